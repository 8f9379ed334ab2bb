// IGMP (RFC 2236 v2, RFC 3376 v3): queries of every version, v2 reports and leaves, v3 reports.
// (Written by the kernel helper: the wire API contract had no IGMP codec.)

import { WireError } from './error.js';
import { get16, need, put16 } from './bytes.js';
import { foldChecksum, onesSum } from './checksum.js';

export const IGMP_QUERY = 0x11;
export const IGMPV1_REPORT = 0x12;
export const IGMPV2_REPORT = 0x16;
export const IGMPV2_LEAVE = 0x17;
export const IGMPV3_REPORT = 0x22;

/** RFC 3376 §4.2.12 group record types. */
export const IGMPV3_MODE_IS_INCLUDE = 1;
export const IGMPV3_MODE_IS_EXCLUDE = 2;
export const IGMPV3_CHANGE_TO_INCLUDE = 3;
export const IGMPV3_CHANGE_TO_EXCLUDE = 4;
export const IGMPV3_ALLOW_NEW_SOURCES = 5;
export const IGMPV3_BLOCK_OLD_SOURCES = 6;

export interface IgmpRecord {
  type: number;
  group: Uint8Array;
  sources: Uint8Array[];
}

export interface IgmpRepr {
  type: number;
  checksumOk: boolean;
  /** Queries: 1, 2 or 3 (RFC 3376 §7.1: by length and max response code); reports by type. */
  version: 1 | 2 | 3;
  /** Queries: the maximum response time in milliseconds. */
  maxResponse: number;
  /** Queries (zero for a general query), v1/v2 reports and leaves. */
  group: Uint8Array;
  /** v3 queries. */
  sources?: Uint8Array[];
  suppress?: boolean;
  qrv?: number;
  /** v3 queries: querier's query interval, seconds. */
  qqi?: number;
  /** v3 reports. */
  records?: IgmpRecord[];
}

/** RFC 3376 §4.1.1: Max Resp Code (tenths of a second, floating point above 127) → ms. */
export function igmpDecodeMaxResp(code: number): number {
  if (code < 128) return code * 100;
  return (((code & 0x0f) | 0x10) << (((code >>> 4) & 7) + 3)) * 100;
}

/** RFC 3376 §4.1.7: QQIC → seconds. */
function decodeQqic(code: number): number {
  if (code < 128) return code;
  return ((code & 0x0f) | 0x10) << (((code >>> 4) & 7) + 3);
}

export function parseIgmp(buf: Uint8Array): IgmpRepr | WireError {
  const len = buf.length;
  if (len < 8) return new WireError('igmp: shorter than 8 bytes');
  const type = buf[0]!;
  const checksumOk = foldChecksum(onesSum(buf, 0, len)) === 0;
  if (type === IGMP_QUERY) {
    if (len === 8 || len < 12) {
      // RFC 3376 §7.1: an 8-byte query is v1 when its max response code is zero, else v2.
      if (len !== 8) return new WireError('igmp: query of 9-11 bytes');
      const code = buf[1]!;
      return { type, checksumOk, version: code === 0 ? 1 : 2, maxResponse: code === 0 ? 10_000 : code * 100, group: buf.subarray(4, 8) };
    }
    const n = get16(buf, 10);
    if (12 + 4 * n > len) return new WireError('igmp: query sources overrun');
    const sources: Uint8Array[] = [];
    for (let i = 0; i < n; i++) sources.push(buf.subarray(12 + 4 * i, 16 + 4 * i));
    return {
      type, checksumOk, version: 3, maxResponse: igmpDecodeMaxResp(buf[1]!), group: buf.subarray(4, 8), sources,
      suppress: (buf[8]! & 0x08) !== 0, qrv: buf[8]! & 0x07, qqi: decodeQqic(buf[9]!),
    };
  }
  if (type === IGMPV1_REPORT || type === IGMPV2_REPORT || type === IGMPV2_LEAVE) {
    return { type, checksumOk, version: type === IGMPV1_REPORT ? 1 : 2, maxResponse: 0, group: buf.subarray(4, 8) };
  }
  if (type === IGMPV3_REPORT) {
    const n = get16(buf, 6);
    const records: IgmpRecord[] = [];
    let off = 8;
    for (let i = 0; i < n; i++) {
      if (off + 8 > len) return new WireError('igmp: truncated group record');
      const aux = buf[off + 1]! * 4;
      const ns = get16(buf, off + 2);
      const end = off + 8 + 4 * ns + aux;
      if (end > len) return new WireError('igmp: group record overruns');
      const sources: Uint8Array[] = [];
      for (let k = 0; k < ns; k++) sources.push(buf.subarray(off + 8 + 4 * k, off + 12 + 4 * k));
      records.push({ type: buf[off]!, group: buf.subarray(off + 4, off + 8), sources });
      off = end;
    }
    return { type, checksumOk, version: 3, maxResponse: 0, group: new Uint8Array(4), records };
  }
  return new WireError(`igmp: unknown type 0x${type.toString(16)}`);
}

export function igmpv3ReportLength(records: readonly IgmpRecord[]): number {
  let n = 8;
  for (const r of records) n += 8 + 4 * r.sources.length;
  return n;
}

/** RFC 3376 §4.2: writes a v3 membership report with its checksum; returns its length. */
export function emitIgmpv3Report(buf: Uint8Array, offset: number, records: readonly IgmpRecord[]): number {
  const len = igmpv3ReportLength(records);
  need(buf, offset, len, 'emitIgmpv3Report');
  const o = offset;
  buf.fill(0, o, o + 8);
  buf[o] = IGMPV3_REPORT;
  put16(buf, o + 6, records.length);
  let off = o + 8;
  for (const r of records) {
    buf[off] = r.type;
    buf[off + 1] = 0;
    put16(buf, off + 2, r.sources.length);
    buf.set(r.group.subarray(0, 4), off + 4);
    off += 8;
    for (const s of r.sources) {
      buf.set(s.subarray(0, 4), off);
      off += 4;
    }
  }
  put16(buf, o + 2, foldChecksum(onesSum(buf, o, o + len)));
  return len;
}

/** RFC 2236 §2: an 8-byte v2 report, leave or query; returns 8. */
export function emitIgmpv2(buf: Uint8Array, offset: number, type: number, maxRespTenths: number, group: Uint8Array): number {
  need(buf, offset, 8, 'emitIgmpv2');
  buf[offset] = type;
  buf[offset + 1] = maxRespTenths;
  put16(buf, offset + 2, 0);
  buf.set(group.subarray(0, 4), offset + 4);
  put16(buf, offset + 2, foldChecksum(onesSum(buf, offset, offset + 8)));
  return 8;
}

/** RFC 3376 §4.1: a v3 query (for tests and queriers); returns its length. */
export function emitIgmpv3Query(buf: Uint8Array, offset: number, maxRespCode: number, group: Uint8Array, sources: readonly Uint8Array[] = [], qrv = 2, qqic = 125): number {
  const len = 12 + 4 * sources.length;
  need(buf, offset, len, 'emitIgmpv3Query');
  buf[offset] = IGMP_QUERY;
  buf[offset + 1] = maxRespCode;
  put16(buf, offset + 2, 0);
  buf.set(group.subarray(0, 4), offset + 4);
  buf[offset + 8] = qrv & 7;
  buf[offset + 9] = qqic;
  put16(buf, offset + 10, sources.length);
  for (let i = 0; i < sources.length; i++) buf.set(sources[i]!.subarray(0, 4), offset + 12 + 4 * i);
  put16(buf, offset + 2, foldChecksum(onesSum(buf, offset, offset + len)));
  return len;
}
