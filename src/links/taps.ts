// The observers of a wire (captures, traces). Copy-on-write, so a tap may remove itself (or add
// another) while frames are being reported.

import type { FrameTap } from './port.js';

export class TapList {
  /** Read on the hot path: `if (taps.list.length !== 0)`. Replaced, never mutated. */
  list: readonly FrameTap[] = [];

  add(tap: FrameTap): () => void {
    if (typeof tap !== 'function') throw new TypeError('addTap: tap must be a function');
    this.list = [...this.list, tap];
    let removed = false;
    return () => {
      if (removed) return;
      removed = true;
      const i = this.list.indexOf(tap);
      if (i >= 0) this.list = [...this.list.slice(0, i), ...this.list.slice(i + 1)];
    };
  }
}
