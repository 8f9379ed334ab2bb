#!/usr/bin/env node
// Builds the optional TUN/TAP addon (native/tun) with node-gyp. Run by `npm install`.
// The addon is only needed for `host.attachTun()` and the TUN tests; when it cannot be built
// (not Linux, no compiler, no Node headers) this prints one line and exits 0 so that the
// install still succeeds. Set USERNET_SKIP_NATIVE=1 to skip it. Log: native/tun/build/build.log.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const dir = join(root, 'native', 'tun');
const say = (msg) => console.log(`usernet: TUN/TAP addon ${msg}`);

if (process.env.USERNET_SKIP_NATIVE) { say('not built (USERNET_SKIP_NATIVE is set)'); process.exit(0); }
if (process.platform !== 'linux') { say(`not built: TUN/TAP devices are Linux only (this is ${process.platform})`); process.exit(0); }

// node-gyp: npm tells its lifecycle scripts where its own copy is; otherwise look beside npm.
function findNodeGyp() {
  const cands = [];
  if (process.env.npm_config_node_gyp) cands.push(process.env.npm_config_node_gyp);
  try { cands.push(createRequire(join(root, 'package.json')).resolve('node-gyp/bin/node-gyp.js')); } catch { /* not a dependency */ }
  if (process.env.npm_execpath) cands.push(join(dirname(process.env.npm_execpath), '..', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'));
  const prefix = dirname(dirname(process.execPath));
  cands.push(join(prefix, 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'));
  return cands.find((p) => existsSync(p));
}

// What node-gyp needs, checked first so the one line can say what is missing.
const onPath = (cmd) => (process.env.PATH ?? '').split(':').some((d) => d && existsSync(join(d, cmd)));
const prefix = dirname(dirname(process.execPath));
const headers = process.env.npm_config_nodedir
  ? join(process.env.npm_config_nodedir, 'include', 'node')
  : join(prefix, 'include', 'node');
const missing = [];
if (!['cc', 'gcc', 'clang'].some(onPath)) missing.push('no C compiler (cc)');
if (!onPath('make')) missing.push('no make');
if (!['python3', 'python'].some(onPath)) missing.push('no python3 (node-gyp needs it)');
if (!existsSync(join(headers, 'node_api.h'))) missing.push(`no Node headers in ${headers}`);
const gyp = findNodeGyp();
if (!gyp) missing.push('no node-gyp (it ships with npm)');
if (missing.length > 0) { say(`not built: ${missing.join(', ')}; TUN/TAP devices will be unavailable`); process.exit(0); }

// Use the installed Node headers rather than downloading them (no network is assumed).
const args = [gyp, 'rebuild', `--nodedir=${dirname(dirname(headers))}`];
const r = spawnSync(process.execPath, args, { cwd: dir, encoding: 'utf8' });
const log = `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? String(r.error) : ''}`;
mkdirSync(join(dir, 'build'), { recursive: true });
writeFileSync(join(dir, 'build', 'build.log'), log);
if (r.status === 0 && existsSync(join(dir, 'build', 'Release', 'tun.node'))) {
  say('built (native/tun/build/Release/tun.node)');
} else {
  say(`not built: node-gyp exited with ${r.status ?? r.signal}; TUN/TAP devices will be unavailable; see native/tun/build/build.log`);
}
process.exit(0);
