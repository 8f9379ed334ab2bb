// Runs a script in a network namespace of its own (`unshare -n`, or `unshare -rn` when not
// root), so that TUN tests never touch an interface or address outside it.
// The script prints `SKIP <reason>` when it cannot run, else `RESULT <json>` on its last line.

import { execFile, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { tunUnavailable } from '../../src/doors/tun.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

export function onPath(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

/** Null when a namespace with a TUN device can be tried here, else why not (one line). */
export function netnsUnavailable(): string | null {
  if (process.platform !== 'linux') return `TUN tests need Linux (this is ${process.platform})`;
  const tun = tunUnavailable();
  if (tun) return tun;
  if (!onPath('unshare')) return 'no `unshare` command (util-linux) to make a network namespace';
  if (!onPath('ip')) return 'no `ip` command (iproute2) to configure the device';
  const r = spawnSync('unshare', [...unshareFlags(), 'true'], { encoding: 'utf8' });
  if (r.status !== 0) {
    return `cannot create a network namespace (unshare ${unshareFlags().join(' ')}: ${(r.stderr || r.error?.message || `exit ${r.status}`).trim()}); needs root or unprivileged user namespaces`;
  }
  return null;
}

function unshareFlags(): string[] {
  return process.getuid?.() === 0 ? ['-n'] : ['-rn'];
}

export type NetnsOutcome<T> = { skip: string } | { result: T; output: string };

/**
 * Runs `node --import tsx <script> ...args` inside a new network namespace; `wrap` goes
 * between `unshare` and node (e.g. setpriv to drop privileges).
 */
export function runInNetns<T>(script: string, args: string[], opts: { timeoutMs?: number; wrap?: string[] } = {}): Promise<NetnsOutcome<T>> {
  const path = fileURLToPath(new URL(script, import.meta.url));
  const timeoutMs = opts.timeoutMs ?? 60_000;
  return new Promise((resolve, reject) => {
    execFile('unshare', [...unshareFlags(), ...(opts.wrap ?? []), process.execPath, '--import', 'tsx', path, ...args],
      { cwd: root, timeout: timeoutMs, encoding: 'utf8' }, (err, stdout, stderr) => {
        const output = `${stdout}${stderr}`;
        const lines = stdout.trim().split('\n');
        const last = lines[lines.length - 1] ?? '';
        const skip = lines.find((l) => l.startsWith('SKIP '));
        if (skip) { resolve({ skip: skip.slice(5) }); return; }
        if (last.startsWith('RESULT ')) { resolve({ result: JSON.parse(last.slice(7)) as T, output }); return; }
        reject(new Error(`${script} in a namespace failed (${err ? err.message : 'no RESULT line'}):\n${output}`));
      });
  });
}
