#!/usr/bin/env node
// Runs a command as a loaded machine would: the command's whole process group is frozen
// (SIGSTOP, then SIGCONT) for stretches of up to MAX ms, at random moments MEAN ms apart on
// average, while the kernel (its sockets, TUN devices, other processes) keeps going. A test that
// waits on the real clock and passes under this passes on a loaded CI machine.
//
//   node scripts/stalls.mjs [--max 400] [--mean 150] -- node scripts/run-tests.mjs gateway
//
// Prints how many stalls and how long frozen in all; exits with the command's status.
import { spawn } from 'node:child_process';

const args = process.argv.slice(2);
const sep = args.indexOf('--');
if (sep < 0 || sep === args.length - 1) {
  console.error('usage: node scripts/stalls.mjs [--max MS] [--mean MS] -- command [args...]');
  process.exit(2);
}
const opt = (name, dflt) => { const i = args.indexOf(name); return i >= 0 && i < sep ? Number(args[i + 1]) : dflt; };
const max = opt('--max', 400);
const mean = opt('--mean', 150);
const [cmd, ...rest] = args.slice(sep + 1);

// Its own process group, so that one signal freezes the command and everything it started.
const child = spawn(cmd, rest, { stdio: 'inherit', detached: true });
let stalls = 0;
let frozen = 0;
let done = false;
const signal = (sig) => { try { process.kill(-child.pid, sig); return true; } catch { return false; } };

function next() {
  if (done) return;
  const gap = -Math.log(1 - Math.random()) * mean; // exponential: stalls come at random moments
  setTimeout(() => {
    if (done) return;
    const ms = Math.round(Math.random() * max);
    if (!signal('SIGSTOP')) return;
    stalls++;
    frozen += ms;
    setTimeout(() => { signal('SIGCONT'); next(); }, ms);
  }, gap);
}
next();

for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => { signal('SIGCONT'); signal(sig); });
child.on('exit', (code, sig) => {
  done = true;
  console.error(`stalls: ${stalls} stalls of up to ${max} ms (${frozen} ms frozen in all); the command exited with ${code ?? sig}`);
  process.exit(code ?? 1);
});
