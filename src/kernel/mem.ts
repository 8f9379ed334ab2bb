// Memory accounting for what input can make a host hold, as Linux does it: each held packet is
// charged its "true size" (skb->truesize: the buffer it pins plus the bookkeeping around it),
// not its payload, against a limit with Linux's name; over the limit input is dropped and
// counted, and queues never grow past it.

/**
 * What one held entry costs besides its buffer (Linux SKB_TRUESIZE's struct sk_buff part): the
 * entry object, the Uint8Array views of the packet, the ArrayBuffer object and the malloc header
 * of its store, its slot in the queue. Measured on V8 (node 20, x64) with 100,000 held fragments
 * (heap plus array buffers after GC, divided by the entries; test/network/floods.test.ts).
 */
export const SKB_OVERHEAD = 320;

/** The page fragment Linux's receive path puts an MTU-sized frame in (truesize of a 1500-byte frame: 2 KiB plus overhead). */
const FRAG_GRAIN = 2048;

/**
 * The bytes a held view of a received frame pins (Linux skb->truesize). A frame that arrived in a
 * buffer of its own pins all of it, however little of it is payload (padding, headers, a one-byte
 * segment in a 1500-byte frame); a view of a larger shared slab (a sender's send-queue slab,
 * Node's buffer pool) is charged as Linux charges a page fragment: its length, at least 2 KiB.
 */
export function truesize(v: Uint8Array): number {
  const buf = v.buffer.byteLength;
  const len = v.byteLength;
  const frag = len > FRAG_GRAIN ? len : FRAG_GRAIN;
  return (buf < frag ? buf : frag) + SKB_OVERHEAD;
}
