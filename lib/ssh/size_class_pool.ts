// ArrayBuffers kept for reuse, by size. Allocating a 36 KiB ArrayBuffer costs ~29 us here
// (calloc, page faults, external-memory accounting; measured in a loop of 20,000), twice what libcrypto takes to seal the packet in it. The pools before this kept buffers of
// one size only and dropped them all when another size came back, which bulk transfers do all
// the time (sshd's packets follow its reads; stdin reads vary): a 100 MB download on
// aes128-gcm still allocated a fresh buffer for 4 in 10 packets. Keeping a few sizes at once
// brings that to nearly none.

/** Sizes are rounded up to this, so buffers for nearly the same size are shared. */
const GRAIN = 4096;
/**
 * The one size for everything up to a full 32 KiB channel packet plus its framing (what we
 * advertise, session.ts): sshd's packets follow its reads and come in every size, and with a
 * class per 4 KiB a 1 GB download still allocated a fresh buffer for ~9% of its packets.
 */
const BULK = 36 * 1024;

/** The pool size class a buffer of `n` bytes is taken from. */
export function sizeClass(n: number): number {
  return n <= BULK ? BULK : Math.ceil(n / GRAIN) * GRAIN;
}

export class SizeClassPool {
  /** Size → spare buffers. A Map iterates in insertion order: the first key is the stalest. */
  private readonly lists = new Map<number, ArrayBuffer[]>();
  /** The size last given back (the Map's last key). */
  private newest = -1;

  /**
   * @param perSize spare buffers kept of each size
   * @param sizes sizes kept at once; a new one evicts the size handed back longest ago
   */
  constructor(private readonly perSize: number, private readonly sizes: number) {}

  /** A spare buffer of exactly `size` bytes, or a new one. Contents are not cleared. */
  take(size: number): ArrayBuffer {
    return this.lists.get(size)?.pop() ?? new ArrayBuffer(size);
  }

  /** Keeps `buf` for a later take() of its size. The caller must not use it any more. */
  give(buf: ArrayBuffer): void {
    const size = buf.byteLength;
    let list = this.lists.get(size);
    if (list) {
      // Re-inserted, so the sizes in use stay at the end and odd ones are evicted first
      // (not when it is the newest already: bulk transfers give back one size over and over).
      if (size !== this.newest) {
        this.lists.delete(size);
        this.lists.set(size, list);
      }
    } else {
      if (this.lists.size >= this.sizes) {
        this.lists.delete(this.lists.keys().next().value!);
      }
      list = [];
      this.lists.set(size, list);
    }
    this.newest = size;
    if (list.length < this.perSize) list.push(buf);
  }
}
