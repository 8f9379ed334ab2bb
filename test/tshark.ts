// Reads a capture with tshark, checksums verified for every protocol, and reports what it
// flags: malformed packets, bad checksums, expert warnings. Shared by every test that writes
// a capture. When tshark is missing, `available` is false and tests skip with a visible reason.
import { spawnSync } from 'node:child_process';

export const tsharkAvailable = spawnSync('sh', ['-c', 'command -v tshark'], { stdio: 'ignore' }).status === 0;
export const TSHARK_MISSING = 'tshark is not installed (.ci/run installs it): the capture is not checked by Wireshark';

const PREFS = ['-o', 'ip.check_checksum:TRUE', '-o', 'udp.check_checksum:TRUE', '-o', 'tcp.check_checksum:TRUE'];
const BAD = '_ws.malformed || ip.checksum.status == "Bad" || udp.checksum.status == "Bad" || tcp.checksum.status == "Bad" || icmp.checksum.status == "Bad" || icmpv6.checksum.status == "Bad" || igmp.checksum.status == "Bad" || _ws.expert.severity >= "Warning"';

export interface TsharkReading {
  /** One summary line per packet. */
  lines: string[];
  /** Summary lines of packets tshark flags (malformed, bad checksum, warnings). */
  flagged: string[];
}

/**
 * Reads `path` with tshark. `flagFilter` narrows what counts as flagged (e.g. to exclude expected
 * retransmission warnings); `decodeAs` adds tshark `-d` rules, e.g. 'tcp.port==80,data' when the
 * payload is random bytes that the port's own dissector (HTTP) would call malformed.
 */
export function tsharkRead(path: string, opts: { flagFilter?: string; decodeAs?: string[] } = {}): TsharkReading {
  const prefs = [...PREFS, ...(opts.decodeAs ?? []).flatMap((d) => ['-d', d])];
  const all = spawnSync('tshark', ['-n', '-r', path, ...prefs], { encoding: 'utf8', timeout: 120_000, maxBuffer: 1 << 28 });
  if (all.status !== 0) throw new Error(`tshark -r ${path} failed: ${all.stderr}`);
  const bad = spawnSync('tshark', ['-n', '-r', path, ...prefs, '-Y', opts.flagFilter ?? BAD], { encoding: 'utf8', timeout: 120_000, maxBuffer: 1 << 28 });
  if (bad.status !== 0) throw new Error(`tshark -Y failed: ${bad.stderr}`);
  const split = (s: string): string[] => s.split('\n').map((l) => l.trim()).filter(Boolean);
  return { lines: split(all.stdout), flagged: split(bad.stdout) };
}

/** The filter that flags malformed packets and bad checksums only (not expert warnings such as retransmissions). */
export const MALFORMED_OR_BAD_CHECKSUM = BAD.replace(' || _ws.expert.severity >= "Warning"', '');
