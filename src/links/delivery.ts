// Frames in flight on one direction of a wire, in order of arrival time.
//
// Every frame in flight has exactly one Scheduler event at its arrival time, and that event is the
// same bound function for all of them: it takes the earliest frame out of this queue. Because the
// Scheduler runs events in (time, scheduling order) and this queue pops in (time, push order), the
// event at time T always finds the frame due at T on top, with no closure allocated per frame.
//
// Arrival times are nearly always non-decreasing (a plain wire, a rate, a fixed latency), so frames
// go into a FIFO (O(1)); only a frame due before the FIFO's last one (jitter, reordering) goes into
// a binary heap. pop() takes the earlier of the two heads.

/** Never written: heapPush replaces it before the first push. */
const NONE: never[] = [];

export class DeliveryQueue {
  // FIFO, as parallel arrays from `head`.
  private fFrames: Array<Uint8Array | undefined> = [];
  private fTimes: number[] = [];
  private fGso: number[] = [];
  private head = 0;
  // Min-heap on (time, push order), as parallel arrays; the shared empty NONE until a frame
  // first arrives out of order (most wires never reorder: no arrays for them).
  private hFrames: Uint8Array[] = NONE;
  private hTimes: number[] = NONE;
  private hSeqs: number[] = NONE;
  private hGso: number[] = NONE;
  private seq = 0;
  /** The `gso` of the frame pop() returned last (0: a plain frame). */
  poppedGso = 0;

  get size(): number { return this.fTimes.length - this.head + this.hTimes.length; }

  push(frame: Uint8Array, time: number, gso = 0): void {
    const n = this.fTimes.length;
    if (n === this.head || time >= this.fTimes[n - 1]!) {
      this.fFrames.push(frame);
      this.fTimes.push(time);
      this.fGso.push(gso);
      return;
    }
    this.heapPush(frame, time, this.seq++, gso);
  }

  /** Removes and returns the frame with the earliest (time, push order); undefined when empty. */
  pop(): Uint8Array | undefined {
    const fifoEmpty = this.head === this.fTimes.length;
    // On equal times the FIFO goes first: a heap entry due at T was pushed while the FIFO's tail
    // was later than T, so every FIFO entry due at T was pushed before it.
    if (this.hTimes.length === 0 || (!fifoEmpty && this.fTimes[this.head]! <= this.hTimes[0]!)) {
      if (fifoEmpty) return undefined;
      const i = this.head;
      const f = this.fFrames[i];
      this.poppedGso = this.fGso[i]!;
      this.fFrames[i] = undefined;
      this.head = i + 1;
      if (this.head === this.fTimes.length) {
        this.fFrames.length = 0; this.fTimes.length = 0; this.fGso.length = 0; this.head = 0;
      } else if (this.head >= 4096 && this.head * 2 >= this.fTimes.length) {
        this.fFrames.splice(0, this.head); this.fTimes.splice(0, this.head); this.fGso.splice(0, this.head);
        this.head = 0;
      }
      return f;
    }
    return this.heapPop();
  }

  private heapPush(frame: Uint8Array, time: number, seq: number, gso: number): void {
    if (this.hTimes === NONE) { this.hFrames = []; this.hTimes = []; this.hSeqs = []; this.hGso = []; }
    const F = this.hFrames, T = this.hTimes, S = this.hSeqs, G = this.hGso;
    let i = T.length;
    F.push(frame); T.push(time); S.push(seq); G.push(gso);
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (T[p]! < time || (T[p] === time && S[p]! < seq)) break;
      F[i] = F[p]!; T[i] = T[p]!; S[i] = S[p]!; G[i] = G[p]!;
      i = p;
    }
    F[i] = frame; T[i] = time; S[i] = seq; G[i] = gso;
  }

  private heapPop(): Uint8Array {
    const F = this.hFrames, T = this.hTimes, S = this.hSeqs, G = this.hGso;
    const top = F[0]!;
    this.poppedGso = G[0]!;
    const lf = F.pop()!, lt = T.pop()!, ls = S.pop()!, lg = G.pop()!;
    const n = T.length;
    if (n > 0) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= n) break;
        const r = l + 1;
        let c = l;
        if (r < n && (T[r]! < T[l]! || (T[r] === T[l] && S[r]! < S[l]!))) c = r;
        if (lt < T[c]! || (lt === T[c] && ls < S[c]!)) break;
        F[i] = F[c]!; T[i] = T[c]!; S[i] = S[c]!; G[i] = G[c]!;
        i = c;
      }
      F[i] = lf; T[i] = lt; S[i] = ls; G[i] = lg;
    }
    return top;
  }
}
