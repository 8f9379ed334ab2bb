// Link and shaping rates, written the way tc(8) writes them.
//
// A number is bits per second. A string is a decimal number with an optional unit, case-insensitive:
//   bit (or none)  bits/s          bps             bytes/s
//   kbit mbit gbit tbit            kbps mbps gbps tbps        SI prefixes: 10^3, 10^6, 10^9, 10^12
//   kibit mibit gibit tibit        kibps mibps gibps tibps    IEC prefixes: 2^10, 2^20, 2^30, 2^40
// so '20mbit' is 20,000,000 bit/s and '1.5mbps' is 1,500,000 bytes/s = 12,000,000 bit/s.

const PREFIX: Record<string, number> = {
  '': 1, k: 1e3, m: 1e6, g: 1e9, t: 1e12,
  ki: 1024, mi: 1024 ** 2, gi: 1024 ** 3, ti: 1024 ** 4,
};

/** Parses a rate ('20mbit', '1gbit', '100kbit', '1.5mbps', or a number of bit/s) into bit/s. */
export function parseRate(v: number | string, what = 'rate'): number {
  let bits: number;
  if (typeof v === 'number') {
    bits = v;
  } else if (typeof v === 'string') {
    const m = /^\s*([0-9]*\.?[0-9]+(?:e[+-]?[0-9]+)?)\s*(|k|m|g|t|ki|mi|gi|ti)(bit|bps)?\s*$/i.exec(v);
    if (!m || (m[2] !== '' && m[3] === undefined)) {
      throw new RangeError(`${what}: cannot parse '${v}' (use e.g. '20mbit', '1gbit', '100kbit', '1.5mbps' or a number of bit/s)`);
    }
    const unit = (m[3] ?? 'bit').toLowerCase();
    bits = Number(m[1]) * PREFIX[m[2]!.toLowerCase()]! * (unit === 'bps' ? 8 : 1);
  } else {
    throw new TypeError(`${what} must be a number of bit/s or a string like '20mbit', got ${typeof v}`);
  }
  if (!Number.isFinite(bits) || bits <= 0) {
    throw new RangeError(`${what} must be a positive, finite number of bit/s, got ${String(v)}`);
  }
  return bits;
}

/** Milliseconds that `bytes` take on a wire running at `bitsPerSecond`. */
export function serialisationMs(bytes: number, bitsPerSecond: number): number {
  return (bytes * 8000) / bitsPerSecond;
}
