#!/usr/bin/env node
// The usernet command line: `usernet demo`, `usernet --help`.
import { parseArgs } from 'node:util';
import { runDemo } from './demo.js';

const HELP = `usernet: a TCP/IP stack in user space, with node:net and node:dgram on top

Usage:
  usernet demo [--pcap FILE] [--seed N]   run the main job on the built-in topology:
                                          hosts on a switch and behind a router exchange
                                          datagrams and pings; every layer says what it did,
                                          and the wires are captured (default usernet-demo.pcap)
  usernet --help                          this text
  usernet --version                       the version

Run your own program inside a virtual host:
  node --require usernet/register app.js   (or --import usernet/register for ESM)
`;

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      help: { type: 'boolean', short: 'h' },
      version: { type: 'boolean', short: 'v' },
      pcap: { type: 'string' },
      seed: { type: 'string' },
    },
  });
  if (values.version) {
    const { createRequire } = await import('node:module');
    const pkg = createRequire(import.meta.url)('../../package.json') as { version: string };
    process.stdout.write(pkg.version + '\n');
    return 0;
  }
  const cmd = positionals[0];
  if (values.help || cmd === undefined || cmd === 'help') {
    process.stdout.write(HELP);
    return values.help || cmd === 'help' ? 0 : 1;
  }
  if (cmd === 'demo') {
    const seed = values.seed === undefined ? 1 : Number(values.seed);
    if (!Number.isInteger(seed)) { process.stderr.write(`usernet: --seed must be an integer, got '${values.seed}'\n`); return 2; }
    await runDemo({ pcap: values.pcap ?? 'usernet-demo.pcap', seed });
    return 0;
  }
  process.stderr.write(`usernet: unknown command '${cmd}'\n\n${HELP}`);
  return 2;
}

main(process.argv.slice(2)).then((code) => { process.exitCode = code; }, (err: unknown) => {
  process.stderr.write(`usernet: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exitCode = 1;
});
