// The scenarios of scenarios.ts over TCP on the loopback: host.net on a virtual host must log
// what node:net logs on the machine's own 127.0.0.1.
//
// Linux completes a loopback handshake inside connect() (SYN, SYN-ACK and ACK are processed
// before the call returns), so the listener is ready before the client is told it connected.
// Here the handshake takes Scheduler events, as it does between two machines, and the client
// hears first. For the scenarios where that shows, each side's own order is compared.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Network } from '../../src/index.js';
import { deadline, realLog, scenarios, SCENARIO_DEADLINE, type NetLike } from './scenarios.js';

const handshakeRaces = new Set(['maxConnections', 'serverCloseWaitsForConnections']);

/** The lines of one side ('server:', 'client:', 'a:', ...), in order. */
function sides(log: string[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const l of log) {
    const side = /^(\w+):/.exec(l)?.[1] ?? '';
    (out[side] ??= []).push(l);
  }
  return out;
}

for (const [name, run] of Object.entries(scenarios)) {
  test(`tcp scenario ${name}: same log as node:net on 127.0.0.1`, async () => {
    // host.net first, as code of host a: on the network's clock, its timers take no wall time.
    const world = new Network({ seed: 1 });
    const virt: string[] = [];
    try {
      const a = world.host('a');
      await deadline(a.run(({ net }) => run(net as unknown as NetLike, { port: 0, host: '127.0.0.1' }, (l) => virt.push(l))), SCENARIO_DEADLINE, `${name} on host.net`);
    } finally {
      await world.close();
    }
    const same = (real: string[]): boolean => {
      try {
        if (handshakeRaces.has(name)) assert.deepEqual(sides(virt), sides(real));
        else assert.deepEqual(virt, real);
        return true;
      } catch {
        return false;
      }
    };
    const real = await realLog(run, () => ({ port: 0, host: '127.0.0.1' }), same, name);
    if (handshakeRaces.has(name)) assert.deepEqual(sides(virt), sides(real));
    else assert.deepEqual(virt, real);
  });
}
