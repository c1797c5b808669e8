// The receive buffer of one channel stream (data or stderr): chunks in arrival order, one
// waiting reader at a time, and how the stream ended. Its size is bounded by the channel window
// the owner advertises, not here.

/** A FIFO of received chunks with one pending reader; `ended` means no more will come. */
export class ChunkQueue {
  chunks: Uint8Array[] = [];
  bytes = 0;
  ended = false;
  error: Error | null = null;
  private waiter: (() => void) | null = null;

  push(c: Uint8Array): void {
    this.chunks.push(c);
    this.bytes += c.length;
    this.wake();
  }
  end(err: Error | null = null): void {
    this.ended = true;
    if (err && !this.error) this.error = err;
    this.wake();
  }
  wake(): void {
    const w = this.waiter;
    this.waiter = null;
    w?.();
  }
  wait(): Promise<void> {
    return new Promise((resolve) => {
      const prev = this.waiter;
      this.waiter = () => {
        prev?.();
        resolve();
      };
    });
  }
}
