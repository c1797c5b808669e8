// An in-memory PacketTransport pair: what one side sends the other receives, in order.
// Used by unit tests (a scripted fake peer on the far end). Sends resolve at once: there is no
// socket to push back.

import type { PacketTransport } from "../../lib/ssh/packet_transport.ts";

class MemoryEnd implements PacketTransport {
  peer!: MemoryEnd;
  private readonly queue: Uint8Array[] = [];
  private waiter: ((p: Uint8Array | null) => void) | null = null;
  private closed = false;
  /** Every payload this end sent, for tests that inspect traffic. */
  readonly sent: Uint8Array[] = [];
  recordSent = false;

  send(payload: Uint8Array): Promise<void> {
    if (this.closed || this.peer.closed) return Promise.reject(new Error("transport closed"));
    // Copy: the receiver owns what it gets, as with a real transport.
    const copy = payload.slice();
    if (this.recordSent) this.sent.push(copy);
    this.peer.deliver(copy);
    return Promise.resolve();
  }

  private deliver(p: Uint8Array): void {
    const w = this.waiter;
    if (w) {
      this.waiter = null;
      w(p);
    } else this.queue.push(p);
  }

  receive(): Promise<Uint8Array | null> {
    const p = this.queue.shift();
    if (p) return Promise.resolve(p);
    if (this.closed || this.peer.closed) return Promise.resolve(null);
    return new Promise((r) => this.waiter = r);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.wakeNull();
    this.peer.wakeNull();
  }

  private wakeNull(): void {
    const w = this.waiter;
    this.waiter = null;
    w?.(null);
  }
}

export type MemoryTransport = MemoryEnd;

/** Two connected transports: a.send → b.receive and b.send → a.receive. */
export function memoryTransportPair(): [MemoryTransport, MemoryTransport] {
  const a = new MemoryEnd();
  const b = new MemoryEnd();
  a.peer = b;
  b.peer = a;
  return [a, b];
}
