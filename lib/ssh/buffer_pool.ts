// Reused buffers for the plaintext of received packets. A fresh 32 KiB Uint8Array per bulk
// packet cost ~19% of a download's CPU (perf: calloc's memset and the page faults behind it),
// more than decrypting it on libcrypto. Openers take their output buffer here; the one consumer
// that knows a chunk is finished with (the session's output pump, after the write) hands it
// back. Anything never handed back is simply garbage-collected, so forgetting is safe; handing
// back a buffer something still reads is not, hence the single caller.

import { sizeClass, SizeClassPool } from "./size_class_pool.ts";

/**
 * Below this a packet gets a plain new array, never pooled: small packets (window adjusts,
 * replies) are never handed back, and V8 allocates small arrays cheaply on its own heap.
 */
const SMALL = 512;

const lent = new WeakSet<ArrayBuffer>();
/**
 * Up to 64 buffers of each of 4 sizes. A whole channel window (2 MiB, 64 packets) can be
 * decrypted before the output pump hands the first one back (one socket read is opened at
 * once; a slow stdout pipe holds them longer), so fewer meant fresh buffers on every burst.
 * Kept spares: ~2.3 MiB of the bulk size, as before.
 */
const pool = new SizeClassPool(64, 4);

/** A buffer for `n` bytes of plaintext, not zeroed (the caller overwrites all of it). */
export function takePlain(n: number): Uint8Array {
  if (n < SMALL) return new Uint8Array(n);
  const buf = pool.take(sizeClass(n));
  lent.add(buf);
  return new Uint8Array(buf, 0, n);
}

/**
 * Hands back the buffer behind `view` (any view of a takePlain buffer) once nothing reads any
 * view of it any more. Views of other buffers are ignored; a second hand-back is a no-op.
 */
export function releasePlain(view: Uint8Array): void {
  const buf = view.buffer as ArrayBuffer;
  if (lent.delete(buf)) pool.give(buf);
}
