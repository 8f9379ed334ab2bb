// Inside a fresh network namespace (see netns.ts): what openTun says when it cannot open a
// device, what close() and send() after close do, what the kernel refuses, what happens when
// the device is deleted under the reader, and that an unref'd device lets the process exit.
// `privs` mode only tries to open a device (run unprivileged by the test) and reports the error.
// Prints `RESULT {...}`.

import { spawnSync } from 'node:child_process';
import { openTun, type TunDevice } from '../../src/doors/tun.js';

function attempt(f: () => unknown): { code?: string; name?: string; message?: string } | 'ok' {
  try { f(); return 'ok'; } catch (e) {
    const err = e as { code?: string; name?: string; message?: string };
    return { code: err.code, name: err.name, message: err.message };
  }
}
const linkExists = (name: string): boolean => spawnSync('ip', ['link', 'show', name], { stdio: 'ignore' }).status === 0;
const ip = (args: string): void => {
  const r = spawnSync('ip', args.split(' '), { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ip ${args}: ${r.stderr}`);
};

if (process.argv[2] === 'privs') {
  console.log(`RESULT ${JSON.stringify({ open: attempt(() => openTun('upriv0', { layer: 3 }).close()) })}`);
} else {
  const r: Record<string, unknown> = {};
  r.badLayer = attempt(() => openTun('ux0', { layer: 4 as 3 }));
  r.longName = attempt(() => openTun('a-name-too-long-for-linux', { layer: 3 }));
  r.badMtu = attempt(() => openTun('ux0', { layer: 3, mtu: 20 }));

  const a = openTun('ulc0', { layer: 3 });
  r.named = a.name;
  r.existsWhileOpen = linkExists('ulc0');
  r.busy = attempt(() => openTun('ulc0', { layer: 3 }));
  r.wrongType = attempt(() => openTun('ulc0', { layer: 2 }));

  // The kernel refuses a TUN packet that is not IPv4/IPv6 (EINVAL) and anything while down (EIO).
  a.send(Uint8Array.of(0x00, 1, 2, 3));
  await new Promise((res) => setImmediate(res));
  r.whileDown = { ...a.stats };
  ip('link set ulc0 up');
  a.send(Uint8Array.of(0x00, 1, 2, 3));
  await new Promise((res) => setImmediate(res));
  r.notIp = { ...a.stats };

  let closeEvents = 0;
  a.on('close', () => { closeEvents++; });
  a.close();
  a.close();
  r.goneAfterClose = !linkExists('ulc0');
  a.send(Uint8Array.of(0x45));
  r.afterClose = { ...a.stats };
  r.reopen = attempt(() => openTun('ulc0', { layer: 3 }).close());
  await new Promise((res) => setImmediate(res));
  r.closeEvents = closeEvents;

  // Deleting the device under the reader: its next read fails, 'error' then 'close'.
  const b: TunDevice = openTun('udel0', { layer: 3 });
  const events: string[] = [];
  const gotError = new Promise<{ code: string; message: string }>((resolve) => {
    b.on('error', (e: { code: string; message: string }) => { events.push('error'); resolve({ code: e.code, message: e.message }); });
  });
  b.on('close', () => events.push('close'));
  ip('link del udel0');
  const timeout = setTimeout(() => { console.log('RESULT {"deleteNoError":true}'); process.exit(0); }, 3000);
  r.deleteError = await gotError;
  clearTimeout(timeout);
  await new Promise((res) => setImmediate(res));
  r.deleteEvents = events;
  r.deleteClosed = b.closed;

  // An unref'd open device does not keep the process alive: this script must end by itself.
  const c = openTun('uref0', { layer: 2 });
  c.unref();
  r.left = c.name;
  console.log(`RESULT ${JSON.stringify(r)}`);
}
