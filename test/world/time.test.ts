import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleepReal } from 'node:timers/promises';
import { Network } from '../../src/index.js';

function pair(seed = 1) {
  const world = new Network({ seed });
  const lan = world.switch('lan');
  const a = world.host('a');
  const b = world.host('b');
  a.attach(lan, { ipv4: '10.0.0.1/24' });
  b.attach(lan, { ipv4: '10.0.0.2/24' });
  return { world, a, b };
}

test('host code: setTimeout, setInterval, Date and performance.now run on the network clock', async () => {
  const { world, a } = pair();
  const wall0 = Date.now();
  const seen = await a.run(async () => {
    const out: string[] = [];
    const t0 = performance.now();
    const d0 = Date.now();
    assert.equal(d0, Date.UTC(2024, 0, 1), 'virtual time 0 is the epoch');
    assert.equal(new Date().getTime(), d0);
    assert.equal(typeof Date(), 'string');
    await new Promise((r) => setTimeout(r, 10_000));
    out.push(`after 10s: perf ${performance.now() - t0} date ${Date.now() - d0} world ${world.now()}`);
    let n = 0;
    await new Promise<void>((resolve) => {
      const iv = setInterval(() => { if (++n === 3) { clearInterval(iv); resolve(); } }, 1000);
    });
    out.push(`interval x3: ${Date.now() - d0}`);
    const { setTimeout: st } = await import('node:timers/promises');
    const v = await st(500, 'v');
    out.push(`promises: ${v} at ${Date.now() - d0}`);
    return out;
  });
  assert.deepEqual(seen, ['after 10s: perf 10000 date 10000 world 10000', 'interval x3: 13000', 'promises: v at 13500']);
  assert.ok(Date.now() - wall0 < 5000, 'minutes of virtual time take no wall time');
  // Outside any host, the globals are Node's own.
  assert.ok(Math.abs(Date.now() - wall0) < 60_000);
  const t = setTimeout(() => {}, 1);
  assert.equal(t.constructor.name, 'Timeout');
  clearTimeout(t);
  await sleepReal(1);
});

test('timer objects behave as Node\'s: ref/unref/hasRef/refresh/toPrimitive, clearTimeout by id, this', async () => {
  const { world, a } = pair();
  const log: string[] = [];
  a.run(() => {
    const t = setTimeout(function (this: unknown) { log.push(`fired at ${world.now()} this=${this === t}`); }, 100);
    assert.equal(t.hasRef(), true);
    t.unref();
    assert.equal(t.hasRef(), false);
    t.ref();
    const id = +t;
    assert.equal(typeof id, 'number');
    const u = setTimeout(() => log.push('never'), 50);
    clearTimeout(+u as unknown as NodeJS.Timeout);
    setTimeout(() => t.refresh(), 60); // pushes t to 160
    setTimeout((x: string, y: number) => log.push(`args ${x} ${y}`), 1, 'x', 2);
    setTimeout(() => log.push('zero is 1 ms'), 0);
    setImmediate(() => log.push(`immediate at ${world.now()}`));
  });
  await world.run();
  assert.deepEqual(log, ['immediate at 0', 'args x 2', 'zero is 1 ms', 'fired at 160 this=true']);
});

test('virtual time waits for host code\'s immediates and real work (a file read, a child process)', async () => {
  const { world, a } = pair();
  const log: string[] = [];
  const { readFile } = await import('node:fs/promises');
  const { execFile } = await import('node:child_process');
  a.run(async () => {
    const t0 = Date.now();
    setTimeout(() => log.push(`timer at ${Date.now() - t0}`), 5);
    await readFile(new URL(import.meta.url));
    log.push(`read at ${Date.now() - t0}`);
    await new Promise((r) => execFile(process.execPath, ['-e', 'setTimeout(() => {}, 50)'], r));
    log.push(`child at ${Date.now() - t0}`);
    let n = 0;
    await new Promise<void>((resolve) => { const spin = () => (++n < 100 ? setImmediate(spin) : resolve()); spin(); });
    log.push(`100 immediates at ${Date.now() - t0}`);
  });
  await world.run();
  assert.deepEqual(log, ['read at 0', 'child at 0', '100 immediates at 0', 'timer at 5']);
});

test('timers of a crashed host never fire; its code then gets ERR_HOST_DOWN', async () => {
  const { world, a } = pair();
  let fired = 0;
  let release!: () => void;
  const gate = new Promise<void>((r) => { release = r; });
  const later = a.run(async () => {
    setTimeout(() => fired++, 1000);
    await gate;
    setTimeout(() => fired++, 1); // code that outlived its host
  });
  a.crash();
  release();
  await assert.rejects(later, { code: 'ERR_HOST_DOWN' });
  await world.run();
  assert.equal(fired, 0);
  a.restart();
  a.run(() => setTimeout(() => fired++, 1));
  await world.run();
  assert.equal(fired, 1);
});

test('two networks keep two clocks; world.sleep waits on the network clock', async () => {
  const w1 = pair(1);
  const w2 = pair(2);
  const got: number[] = [];
  w1.a.run(() => setTimeout(() => got.push(w1.world.now()), 3000));
  w2.a.run(() => setTimeout(() => got.push(w2.world.now()), 7000));
  await w1.world.sleep('1s');
  assert.equal(w1.world.now(), 1000);
  await Promise.all([w1.world.run(), w2.world.run()]);
  assert.deepEqual(got.sort(), [3000, 7000]);
});

test('host clock: offset moves Date, not performance.now; drift accumulates and speeds the host\'s timers', async () => {
  const { world, a, b } = pair();
  a.clock.set({ offset: '2s' });
  const d = () => a.run(() => Date.now()) - b.run(() => Date.now());
  assert.equal(d(), 2000);
  assert.equal(a.run(() => performance.now()), b.run(() => performance.now()));
  a.clock.set({ offset: 0, drift: 1000 }); // 1 ms per second fast
  await world.run({ for: '10s' });
  assert.equal(d(), 10);
  assert.equal(a.run(() => performance.now()) - b.run(() => performance.now()), 10);
  a.clock.drift = 0;
  await world.run({ for: '10s' });
  assert.equal(d(), 10, 'what drifted stays');
  a.clock.set({ offset: '-1s' });
  assert.equal(d(), -990);
  a.clock.set({ drift: 100_000 }); // 10% fast: a 1100 ms timer of a's takes 1000 ms
  const at = await a.run(() => new Promise<number>((r) => setTimeout(() => r(world.now()), 1100)));
  assert.equal(Math.round(at - 20_000), 1000);
});

test('host code: process.hrtime()/.bigint(), AbortSignal.timeout(), node:timers/promises\' setInterval and setImmediate, scheduler.wait on the network clock', async () => {
  const { world, a } = pair();
  const wall0 = performance.now();
  const seen = await a.run(async () => {
    const tp = await import('node:timers/promises');
    const out: string[] = [];
    const h0 = process.hrtime();
    const b0 = process.hrtime.bigint();
    await tp.setTimeout(1500);
    out.push(`hrtime +${process.hrtime(h0).join(',')} bigint +${process.hrtime.bigint() - b0}`);
    // AbortSignal.timeout: aborts with a TimeoutError after 2 s of the network's time. Its timer is
    // unref'd, as Node's: a ref'd one keeps the program (and virtual time) going meanwhile.
    const keep = setTimeout(() => {}, 60_000);
    const signal = AbortSignal.timeout(2000);
    const t0 = Date.now();
    const reason = await new Promise<Error>((resolve) => signal.addEventListener('abort', () => resolve(signal.reason as Error)));
    out.push(`abort after ${Date.now() - t0} ${reason.name}`);
    // A timers/promises wait given that signal rejects at once now; a fresh one cuts a long wait short.
    const cut = await tp.setTimeout(60_000, 'x', { signal: AbortSignal.timeout(250) }).catch((e: Error) => e.name);
    out.push(`cut ${cut} at ${Date.now() - t0}`);
    clearTimeout(keep);
    let n = 0;
    for await (const v of tp.setInterval(400, 'tick')) { if (++n === 3) { out.push(`${v} x3 at ${Date.now() - t0}`); break; } }
    const v = await tp.setImmediate('imm');
    out.push(`${v} at ${Date.now() - t0}`);
    const sched = (tp as unknown as { scheduler?: { wait(ms: number): Promise<void> } }).scheduler;
    if (sched !== undefined) { await sched.wait(100); out.push(`scheduler.wait at ${Date.now() - t0}`); }
    return out;
  });
  const waited = (tpScheduler: boolean) => ['hrtime +1,500000000 bigint +1500000000', 'abort after 2000 TimeoutError', 'cut AbortError at 2250', 'tick x3 at 3450', 'imm at 3450', ...(tpScheduler ? ['scheduler.wait at 3550'] : [])];
  assert.deepEqual(seen, waited(seen.length === 6));
  assert.equal(world.now(), 1500 + 3550 - (seen.length === 6 ? 0 : 100));
  assert.ok(performance.now() - wall0 < 5000, 'no wall time waited');
});
