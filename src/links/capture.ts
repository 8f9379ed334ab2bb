// A pcap capture of everything a Tappable (switch, cable, interface) carries.
//
// The file is classic pcap: LINKTYPE_ETHERNET for layer-2 targets, LINKTYPE_RAW for layer-3 ones.
// Timestamps are the network clock. On a virtual clock, network time 0 is written as the Unix epoch
// (1970-01-01 00:00:00 UTC), so the absolute times Wireshark shows are the virtual times and two
// runs with the same seed give identical files. On a real clock, records carry wall-clock time,
// so the capture lines up with tcpdump captures of real interfaces.
//
// Each frame is copied when it is captured (its sender may reuse the buffer later) into an
// in-memory chunk; full chunks are written asynchronously, one write at a time, in order. close()
// stops the capture, writes the rest and resolves when the file is complete and closed.

import { closeSync, openSync, write, close as closeFd } from 'node:fs';
import { machine, type Scheduler } from './clock.js';
import type { LinkLayer, Tappable } from './port.js';
import { LINKTYPE_ETHERNET, LINKTYPE_RAW, pcapGlobalHeader, pcapRecordHeader } from '../wire/pcap.js';

export interface CaptureOptions {
  /** Most bytes kept of each frame (longer frames are truncated, their real length recorded). Default 262144. */
  snaplen?: number;
}

const CHUNK = 256 * 1024;
const RECORD_HEADER = 16;

export class Capture {
  readonly path: string;
  readonly layer: LinkLayer;
  private readonly snaplen: number;
  /** Added to network time to get the pcap timestamp (ms). */
  private readonly epochMs: number;
  private fd: number;
  private chunk: Uint8Array;
  private used = 0;
  private count = 0;
  private writing: Promise<void> = Promise.resolve();
  private error: unknown = null;
  private closing: Promise<void> | null = null;
  private readonly untap: () => void;

  /** Opens (truncates) `path` now, so a bad path throws here; then captures until close(). */
  constructor(target: Tappable, path: string, sched: Scheduler, opts: CaptureOptions = {}) {
    const snaplen = opts.snaplen ?? 262144;
    if (!Number.isInteger(snaplen) || snaplen < 1 || snaplen > 0x7fffffff) {
      throw new RangeError(`capture: snaplen must be a positive whole number of bytes, got ${String(snaplen)}`);
    }
    this.path = path;
    this.layer = target.layer;
    this.snaplen = snaplen;
    // Real clock: network time t happened at wall-clock (now - sched.now() + t). Virtual: epoch 0.
    this.epochMs = sched.mode === 'real' ? machine.timeOrigin + machine.now() - sched.now() : 0;
    this.fd = openSync(path, 'w');
    this.chunk = new Uint8Array(CHUNK);
    const header = pcapGlobalHeader(this.layer === 2 ? LINKTYPE_ETHERNET : LINKTYPE_RAW, snaplen);
    this.chunk.set(header, 0);
    this.used = header.length;
    try {
      this.untap = target.addTap(this.record);
    } catch (err) {
      closeSync(this.fd);
      throw err;
    }
  }

  /** Frames captured so far. */
  get packets(): number { return this.count; }

  /** Stops capturing, writes what is buffered; resolves when the file is complete and closed. */
  close(): Promise<void> {
    if (this.closing !== null) return this.closing;
    this.untap();
    this.flush();
    this.closing = this.writing.then(() => new Promise<void>((resolve, reject) => {
      const fd = this.fd;
      this.fd = -1;
      closeFd(fd, (err) => {
        const e = this.error ?? err;
        if (e) reject(e instanceof Error ? e : new Error(String(e)));
        else resolve();
      });
    }));
    return this.closing;
  }

  private readonly record = (frame: Uint8Array, time: number): void => {
    const capLen = frame.length > this.snaplen ? this.snaplen : frame.length;
    const need = RECORD_HEADER + capLen;
    if (this.used + need > this.chunk.length) {
      this.flush();
      if (need > this.chunk.length) this.chunk = new Uint8Array(need);
    }
    this.chunk.set(pcapRecordHeader(this.epochMs + time, capLen, frame.length), this.used);
    this.chunk.set(capLen === frame.length ? frame : frame.subarray(0, capLen), this.used + RECORD_HEADER);
    this.used += need;
    this.count++;
  };

  /** Hands the current chunk to the writer and starts a new one. */
  private flush(): void {
    if (this.used === 0) return;
    const data = this.chunk.subarray(0, this.used);
    this.chunk = new Uint8Array(CHUNK);
    this.used = 0;
    this.writing = this.writing.then(() => this.writeAll(data));
  }

  private writeAll(data: Uint8Array): Promise<void> {
    if (this.error !== null) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const step = (off: number): void => {
        write(this.fd, data, off, data.length - off, null, (err, n) => {
          if (err) { this.error = err; resolve(); return; }
          if (off + n < data.length) step(off + n);
          else resolve();
        });
      };
      step(0);
    });
  }
}
