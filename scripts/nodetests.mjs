#!/usr/bin/env node
// Runs Node's own net/dgram test files through usernet/register and counts them against the
// list of the running Node line (test/nodetests/node<major>.txt: see its README).
//
//   node scripts/nodetests.mjs --tests /tmp/nodetests24/test [--list FILE] [--jobs 2] [--timeout 120] [--out FILE.json] [--plain]
//
// --plain runs the same files on plain Node (the kernel), the baseline a line's count is read
// against. Needs dist/ built (npm run build). Prints "N of M pass (public API: n of m)" and each failure.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const args = process.argv.slice(2);
const opt = (name, dflt) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : dflt; };
const major = Number(process.versions.node.split('.')[0]);
// Node 22 runs Node 24.12's files: 20.11.1's test/common rejects Node 22's globals (navigator),
// and there is no 22.x set to extract (test/nodetests/README.md).
const lineList = major >= 22 ? 24 : 20;
const listFile = opt('--list', join(root, 'test', 'nodetests', `node${lineList}.txt`));
const tests = opt('--tests', process.env.NODE_TESTS);
const jobs = Number(opt('--jobs', 2));
const timeoutMs = Number(opt('--timeout', 120)) * 1000;
const out = opt('--out');
const plain = args.includes('--plain');
if (!tests || !existsSync(join(tests, 'parallel'))) {
  console.error('usage: node scripts/nodetests.mjs --tests <node/test dir> (see test/nodetests/README.md)');
  process.exit(2);
}
const register = createRequire(join(root, 'package.json')).resolve('usernet/register');

// "parallel/test-x.js  # internals,subproc": a file and what it needs beyond the public API.
const list = readFileSync(listFile, 'utf8').split('\n').filter((l) => l.trim() && !l.startsWith('#')).map((l) => {
  const [file, tags = ''] = l.split('#');
  return { file: file.trim(), tags: tags.trim() };
});

function flagsOf(path) {
  const m = /^\/\/ Flags:(.*)$/m.exec(readFileSync(path, 'utf8'));
  return m ? m[1].trim().split(/\s+/) : [];
}

function runOne(t, slot) {
  return new Promise((resolve) => {
    const path = join(tests, t.file);
    if (!existsSync(path)) { resolve({ ...t, status: 'missing' }); return; }
    const env = { ...process.env, TEST_THREAD_ID: String(slot), NODE_SKIP_FLAG_CHECK: '1' };
    delete env.NODE_TEST_DIR;
    if (t.file.startsWith('parallel/')) env.TEST_PARALLEL = '1'; else delete env.TEST_PARALLEL;
    const cp = spawn(process.execPath, [...flagsOf(path), ...(plain ? [] : ['-r', register]), path], { cwd: tests, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let output = '';
    cp.stdout.on('data', (b) => { output += b; });
    cp.stderr.on('data', (b) => { output += b; });
    let timedOut = false;
    const timer = setTimeout(() => { timedOut = true; try { process.kill(-cp.pid, 'SIGKILL'); } catch { /* gone */ } }, timeoutMs);
    cp.on('close', (code, signal) => {
      clearTimeout(timer);
      try { process.kill(-cp.pid, 'SIGKILL'); } catch { /* gone */ }
      const status = timedOut ? 'timeout' : code === 0 ? 'pass' : 'fail';
      // How it ended too: a failure that printed nothing still says its exit status or signal.
      resolve({ ...t, status, tail: status === 'pass' ? undefined : `${output.slice(-1500)}\n[exit ${code ?? signal}]` });
    });
  });
}

const results = [];
const parallel = list.filter((t) => t.file.startsWith('parallel/'));
const sequential = list.filter((t) => !t.file.startsWith('parallel/'));
let next = 0;
await Promise.all(Array.from({ length: jobs }, async (_, slot) => {
  while (next < parallel.length) results.push(await runOne(parallel[next++], slot));
}));
for (const t of sequential) results.push(await runOne(t, 0));
results.sort((x, y) => x.file.localeCompare(y.file));
if (out) writeFileSync(out, JSON.stringify(results, null, 1));

const pass = results.filter((r) => r.status === 'pass');
const pub = results.filter((r) => !r.tags);
console.log(`Node ${process.version}${plain ? ' (plain, on the kernel)' : ''}, ${listFile.startsWith(root) ? listFile.slice(root.length) : listFile}: ${pass.length} of ${results.length} pass ` +
  `(public API: ${pub.filter((r) => r.status === 'pass').length} of ${pub.length})`);
for (const r of results) if (r.status !== 'pass') console.log(`  ${r.status.padEnd(7)} ${r.file}${r.tags ? `  (${r.tags})` : ''}`);
