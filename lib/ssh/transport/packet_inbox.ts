// The transport's delivered-but-unreceived messages: receive() callers waiting in order, a
// queue for messages nobody waits for yet, and backpressure on the read loop once that queue
// is long (it resumes when half of it has been taken).

/** Queued messages before the read loop pauses. */
export const MAX_INBOX = 512;

interface Receiver {
  resolve(p: Uint8Array | null): void;
  reject(e: Error): void;
}

export class PacketInbox {
  #queue: Uint8Array[] = [];
  #receivers: Receiver[] = [];
  #space: (() => void) | undefined;

  /** Whether a receive() is waiting for the next message. */
  get waiting(): boolean {
    return this.#receivers.length > 0;
  }

  /** The oldest queued message, or undefined (wakes the read loop once there is room). */
  shift(): Uint8Array | undefined {
    const p = this.#queue.shift();
    if (p && this.#space && this.#queue.length < MAX_INBOX / 2) {
      this.#space();
      this.#space = undefined;
    }
    return p;
  }

  /** Waits for the next delivered message (null when the inbox ends cleanly). */
  wait(): Promise<Uint8Array | null> {
    return new Promise((resolve, reject) => this.#receivers.push({ resolve, reject }));
  }

  /** Hands `payload` to the first waiter, or queues it. */
  deliver(payload: Uint8Array): void {
    const r = this.#receivers.shift();
    if (r) r.resolve(payload);
    else this.#queue.push(payload);
  }

  /** Resolves once the queue has room again; undefined when it has room now. */
  room(): Promise<void> | undefined {
    if (this.#queue.length < MAX_INBOX) return undefined;
    return new Promise<void>((res) => (this.#space = res));
  }

  /** The transport ended: waiters get `err`, or null for a clean end; the read loop wakes. */
  end(err: Error | undefined): void {
    for (const r of this.#receivers.splice(0)) {
      if (err) r.reject(err);
      else r.resolve(null);
    }
    this.#space?.();
    this.#space = undefined;
  }
}
