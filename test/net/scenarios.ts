// Scripts run unchanged against real node:net and against host.net; each logs what it sees so
// the two logs can be compared line by line. `where` is a unix path or a TCP port + host.
//
// host.net runs them as code of a virtual host, so their timers are the network's (no wall time,
// no load). Against node:net the machine may be loaded: a script never waits a fixed time for
// something to happen (it waits for the event), and a fixed time appears only as a margin in
// which something must NOT happen (data on a paused socket) or as the time under test (an idle
// timeout, chosen long enough that the real loopback connects well inside it).
import type * as realNet from 'node:net';

export type NetLike = Pick<typeof realNet, 'createServer' | 'connect'>;
export type Log = (line: string) => void;
/** How to listen and connect: a unix path, or a TCP port on a host. */
export type Where = { path: string } | { port: number; host: string };

export type Scenario = (net: NetLike, where: Where, log: Log) => Promise<void>;

function listenArgs(where: Where): [string] | [number, string] {
  return 'path' in where ? [where.path] : [where.port, where.host];
}

function connectTo(net: NetLike, where: Where, cb?: () => void): realNet.Socket {
  return 'path' in where ? net.connect(where.path, cb) : net.connect(where.port, where.host, cb);
}

/** Listens; resolves with where to connect (the port filled in when 0 was asked for). */
function listen(server: realNet.Server, where: Where): Promise<Where> {
  return new Promise((resolve) => {
    (server.listen as (...a: unknown[]) => unknown)(...listenArgs(where), () => {
      if ('path' in where) resolve(where);
      else resolve({ host: where.host, port: (server.address() as realNet.AddressInfo).port });
    });
  });
}

function watch(s: realNet.Socket, name: string, log: Log): void {
  s.on('connect', () => log(`${name}:connect`));
  s.on('ready', () => log(`${name}:ready`));
  s.on('end', () => log(`${name}:end`));
  s.on('finish', () => log(`${name}:finish`));
  s.on('timeout', () => log(`${name}:timeout`));
  s.on('error', (e: NodeJS.ErrnoException) => log(`${name}:error:${e.code}:${e.message}`));
  s.on('close', (hadError: boolean) => log(`${name}:close:${hadError}`));
}

function closed(s: realNet.Socket): Promise<void> {
  return new Promise((resolve) => { if (s.destroyed && s.closed) resolve(); else s.on('close', () => resolve()); });
}

function serverClosed(server: realNet.Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

/** Rejects when `p` has not settled after `ms` of wall time (a scenario waiting forever fails). */
export function deadline<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not done after ${ms} ms`)), ms);
  });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

/**
 * `net` remembering every server and socket a scenario makes (accepted ones too), so that a
 * run that failed half-way leaves nothing open that would keep the test process alive.
 */
export function tracked(net: NetLike): { net: NetLike; cleanup(): void } {
  const servers = new Set<realNet.Server>();
  const sockets = new Set<realNet.Socket>();
  const wrapped: NetLike = {
    createServer: ((...args: unknown[]) => {
      const server = (net.createServer as (...a: unknown[]) => realNet.Server)(...args);
      servers.add(server);
      server.on('connection', (s: realNet.Socket) => sockets.add(s));
      return server;
    }) as NetLike['createServer'],
    connect: ((...args: unknown[]) => {
      const s = (net.connect as (...a: unknown[]) => realNet.Socket)(...args);
      sockets.add(s);
      return s;
    }) as NetLike['connect'],
  };
  return {
    net: wrapped,
    cleanup() {
      for (const s of sockets) s.destroy();
      for (const server of servers) if (server.listening) server.close();
    },
  };
}

/** How long a scenario may take on either side before it counts as hung. */
export const SCENARIO_DEADLINE = 15_000;

/**
 * The log of `run` against node:net. The machine may be loaded, and a loaded machine makes a
 * poor reference: when the log differs from `expected` the reference is run again (at most
 * three runs); the last log is returned.
 */
export async function realLog(run: Scenario, where: () => Where, expected: (log: string[]) => boolean, name: string): Promise<string[]> {
  const realNet = await import('node:net');
  let log: string[] = [];
  for (let attempt = 0; attempt < 3; attempt++) {
    log = [];
    const t = tracked(realNet);
    try {
      await deadline(run(t.net, where(), (l) => log.push(l)), SCENARIO_DEADLINE, `${name} on node:net`);
    } catch (e) {
      log.push(`threw:${(e as Error).message}`);
    } finally {
      t.cleanup();
    }
    if (expected(log)) break;
  }
  return log;
}

export const scenarios: Record<string, Scenario> = {
  async destroyBeforeConnect(net, where, log) {
    const server = net.createServer(() => log('server:connection'));
    const at = await listen(server, where);
    const c = connectTo(net, at);
    watch(c, 'client', log);
    log(`pending:${c.pending} connecting:${c.connecting} readyState:${c.readyState}`);
    c.destroy();
    log(`destroyed:${c.destroyed} connecting:${c.connecting} readyState:${c.readyState}`);
    await closed(c);
    await serverClosed(server);
  },

  async writesBeforeConnect(net, where, log) {
    let got = '';
    let serverDone!: () => void;
    const serverClosedP = new Promise<void>((r) => { serverDone = r; });
    const done = new Promise<void>((resolve) => {
      const server = net.createServer((s) => {
        s.setEncoding('utf8');
        s.on('data', (d: string) => { got += d; });
        s.on('end', () => { log(`server:got:${got}`); s.end(); server.close(() => { log('server:closed'); serverDone(); }); });
      });
      void listen(server, where).then((at) => {
        const c = connectTo(net, at);
        c.on('close', () => { void serverClosedP.then(resolve); });
        watch(c, 'client', log);
        log(`write1:${c.write('a', () => log('cb1'))}`);
        log(`write2:${c.write(Buffer.from('b'), () => log('cb2'))}`);
        c.end('c', () => log('endcb'));
        log(`bytesWritten:${c.bytesWritten} pending:${c.pending}`);
        c.resume();
      });
    });
    await done;
  },

  async serverDestroysWithError(net, where, log) {
    const server = net.createServer((s) => {
      watch(s, 'server', log);
      s.on('data', () => s.destroy(new Error('boom')));
    });
    const at = await listen(server, where);
    const c = connectTo(net, at, () => c.write('x'));
    watch(c, 'client', log);
    c.resume();
    await closed(c);
    await serverClosed(server);
  },

  async idleTimeout(net, where, log) {
    const server = net.createServer((s) => { s.resume(); s.on('end', () => s.end()); });
    const at = await listen(server, where);
    const c = connectTo(net, at);
    watch(c, 'client', log);
    // Set while connecting: Node's timer runs from here and restarts when the connection is made.
    c.setTimeout(200, () => { log(`timeout-cb timeout:${c.timeout}`); c.end(); });
    c.resume();
    await closed(c);
    await serverClosed(server);
  },

  async pauseOnConnect(net, where, log) {
    let sock: realNet.Socket | undefined;
    let accepted!: () => void;
    const connection = new Promise<void>((r) => { accepted = r; });
    let gotData!: () => void;
    const data = new Promise<void>((r) => { gotData = r; });
    const server = net.createServer({ pauseOnConnect: true }, (s) => {
      sock = s;
      log(`server:paused:${s.isPaused()}`);
      s.on('data', (d: Buffer) => { log(`server:data:${d}`); gotData(); });
      s.on('end', () => { log('server:end'); s.end(); });
      accepted();
    });
    const at = await listen(server, where);
    let c!: realNet.Socket;
    const written = new Promise<void>((r) => { c = connectTo(net, at, () => c.write('hello', () => r())); });
    c.resume();
    await Promise.all([connection, written]);
    // The data sits in the server's receive queue: in this margin a socket that is not paused
    // would have read it.
    await new Promise((r) => setTimeout(r, 20));
    log('resume');
    sock!.resume();
    await data;
    c.end();
    await closed(c);
    await serverClosed(server);
  },

  async maxConnections(net, where, log) {
    const held: realNet.Socket[] = [];
    let accepted!: () => void;
    const first = new Promise<void>((r) => { accepted = r; });
    const server = net.createServer((s) => { log('server:connection'); held.push(s); s.resume(); accepted(); });
    server.maxConnections = 1;
    server.on('drop', (d?: Record<string, unknown>) => log(`server:drop:${d === undefined ? 'undefined' : Object.keys(d).sort().join(',')}`));
    const at = await listen(server, where);
    const a = connectTo(net, at);
    watch(a, 'a', log);
    await Promise.all([new Promise<void>((r) => a.on('connect', () => r())), first]);
    const b = connectTo(net, at);
    watch(b, 'b', log);
    b.resume();
    await closed(b);
    await new Promise<void>((r) => server.getConnections((err, n) => { log(`connections:${err}:${n}`); r(); }));
    a.end();
    a.resume();
    held[0]!.end();
    await closed(a);
    await serverClosed(server);
  },

  async asyncIteration(net, where, log) {
    const server = net.createServer((s) => { s.write('one'); setTimeout(() => s.end('two'), 5); });
    const at = await listen(server, where);
    const c = connectTo(net, at);
    c.setEncoding('utf8');
    let all = '';
    for await (const chunk of c) all += chunk;
    log(`iterated:${all} readyState:${c.readyState}`);
    await closed(c);
    await serverClosed(server);
  },

  async writeAfterPeerEnded(net, where, log) {
    const server = net.createServer((s) => s.end());
    const at = await listen(server, where);
    const c = connectTo(net, at);
    watch(c, 'client', log);
    c.resume();
    c.on('end', () => {
      log(`readyState:${c.readyState} writable:${c.writable}`);
      setImmediate(() => {
        log(`write:${c.write('late', (e) => log(`writecb:${e && (e as NodeJS.ErrnoException).code}`))}`);
      });
    });
    await closed(c);
    await serverClosed(server);
  },

  async endCallbackAndDestroySoon(net, where, log) {
    const server = net.createServer((s) => {
      s.on('data', (d: Buffer) => log(`server:data:${d}`));
      s.on('end', () => { log('server:end'); s.destroySoon(); });
      watch(s, 'server', log);
    });
    const at = await listen(server, where);
    const c = connectTo(net, at, () => { c.end('bye', () => log('client:endcb')); });
    watch(c, 'client', log);
    c.resume();
    await closed(c);
    await serverClosed(server);
  },

  async corkedWritesAndEncodings(net, where, log) {
    let got = '';
    let serverDone!: () => void;
    const serverClosedP = new Promise<void>((r) => { serverDone = r; });
    const done = new Promise<void>((resolve) => {
      const server = net.createServer((s) => {
        s.setEncoding('hex');
        s.on('data', (d: string) => { got += d; });
        s.on('end', () => { log(`server:got:${got}`); s.end(); server.close(() => serverDone()); });
      });
      void listen(server, where).then((at) => {
        const c = connectTo(net, at, () => {
          c.cork();
          c.write('ab');
          c.write('ff00', 'hex');
          c.write(Buffer.from([1, 2]));
          log(`corked:${c.writableCorked} length:${c.writableLength}`);
          c.uncork();
          log(`uncorked:${c.writableCorked} bytesWritten:${c.bytesWritten}`);
          c.end();
        });
        watch(c, 'client', log);
        c.on('close', () => { void serverClosedP.then(resolve); });
        c.resume();
      });
    });
    await done;
  },

  async destroyWithErrorWhileConnecting(net, where, log) {
    const server = net.createServer(() => log('server:connection'));
    const at = await listen(server, where);
    const c = connectTo(net, at);
    watch(c, 'client', log);
    c.write('never', (e) => log(`writecb:${e?.message}`));
    c.destroy(new Error('stop'));
    log(`destroyed:${c.destroyed} readyState:${c.readyState}`);
    await closed(c);
    await serverClosed(server);
  },

  async endWhileConnecting(net, where, log) {
    const server = net.createServer((s) => {
      s.on('data', (d: Buffer) => log(`server:data:${d}`));
      s.on('end', () => { log('server:end'); s.end(); });
    });
    const at = await listen(server, where);
    const c = connectTo(net, at);
    watch(c, 'client', log);
    c.end('early', () => log('client:endcb'));
    log(`readyState:${c.readyState} writableEnded:${c.writableEnded}`);
    c.resume();
    await closed(c);
    await serverClosed(server);
  },

  async serverCloseWaitsForConnections(net, where, log) {
    const server = net.createServer((s) => {
      log('server:connection');
      server.close(() => log('server:closed'));
      log(`listening:${server.listening}`);
      setTimeout(() => s.end('done'), 10);
    });
    server.on('close', () => log('server:close-event'));
    // Resolved inside the 'close' emit; the code after `await serverGone` runs once every
    // listener (the close callback too) has.
    const serverGone = new Promise<void>((r) => server.on('close', () => r()));
    const at = await listen(server, where);
    const c = connectTo(net, at);
    watch(c, 'client', log);
    c.resume();
    await closed(c);
    await serverGone;
  },
};
