// Heap measurement for bench/scale: a full garbage collection, then V8's used heap. The bench
// runs without --expose-gc (as `npm run bench` runs every benchmark), so gc is taken from V8 once.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** Used JS heap after full collections (external memory, i.e. ArrayBuffers, added). */
export function heapUsed(): number {
  gc();
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

export function kib(bytes: number): string {
  return (bytes / 1024).toFixed(2) + ' KiB';
}
