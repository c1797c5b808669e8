// Reused buffers for the plaintext of received packets. A fresh 32 KiB Uint8Array per bulk
// packet cost ~19% of a download's CPU (perf: calloc's memset and the page faults behind it),
// more than decrypting it on libcrypto. Openers take their output buffer here; the one consumer
// that knows a chunk is finished with (the session's output pump, after the write) hands it
// back. Anything never handed back is simply garbage-collected, so forgetting is safe; handing
// back a buffer something still reads is not, hence the single caller.

/** Sizes are rounded up to this, so packets of one stream share buffers despite padding. */
const GRAIN = 4096;
/** Buffers kept for reuse (all of the most recent size). */
const KEEP = 8;

const lent = new WeakSet<ArrayBuffer>();
const spare: ArrayBuffer[] = [];
let spareSize = 0;

/** A buffer for `n` bytes of plaintext, not zeroed (the caller overwrites all of it). */
export function takePlain(n: number): Uint8Array {
  const size = Math.ceil(Math.max(n, 1) / GRAIN) * GRAIN;
  const buf = size === spareSize && spare.length > 0 ? spare.pop()! : new ArrayBuffer(size);
  lent.add(buf);
  return new Uint8Array(buf, 0, n);
}

/**
 * Hands back the buffer behind `view` (any view of a takePlain buffer) once nothing reads any
 * view of it any more. Views of other buffers are ignored; a second hand-back is a no-op.
 */
export function releasePlain(view: Uint8Array): void {
  const buf = view.buffer as ArrayBuffer;
  if (!lent.delete(buf)) return;
  if (buf.byteLength !== spareSize) {
    spareSize = buf.byteLength;
    spare.length = 0;
  }
  if (spare.length < KEEP) spare.push(buf);
}
