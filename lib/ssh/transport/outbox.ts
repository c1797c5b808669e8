// The outgoing side: sealed packets (some still being sealed asynchronously) are written in
// order, several per write. Also maps errors to DISCONNECT reason codes.

import { DecodeError, ProtocolError, SizeLimitError } from "../../errors.ts";
import type { ByteStream } from "./byte_stream.ts";
import * as C from "./constants.ts";
import { NegotiationError } from "./kexinit.ts";
import { timeoutWhilePending } from "../../timeout_while_pending.ts";

/** Queued bytes above which send() makes the caller wait, and below which it releases it. */
const HIGH_WATER = 4 * 1024 * 1024;
const LOW_WATER = 1024 * 1024;
/** Packets taken from the queue per round. */
const BATCH = 64;
/** Sealed packets at least this large are written without copying them into the stage. */
const DIRECT_WRITE = 16 * 1024;
/**
 * The write stage: sealed packets that come in parts (AES-GCM: length, then ciphertext and tag)
 * and small packets are copied into one reused buffer, written when the next part does not fit
 * or the queue is drained (so a lone packet is never held back). Fuller writes measured less
 * CPU than writing every 64 KiB.
 */
const STAGE_SIZE = 256 * 1024;

/** What a sealer produced: the wire bytes, whole or as parts to be written back to back. */
export type Sealed = Uint8Array | Uint8Array[];

interface Item {
  data: Sealed | Promise<Sealed>;
  size: number;
}

export class Outbox {
  private queue: Item[] = [];
  private writing = false;
  private queuedBytes = 0;
  /** Bytes of payload held back during a key exchange (count toward backpressure). */
  heldBytes = 0;
  private waiters: (() => void)[] = [];
  private idleWaiters: (() => void)[] = [];
  private dead = false;
  /** Reused between rounds: a write resolves before the stage is filled again. */
  private stage = new Uint8Array(STAGE_SIZE);
  private staged = 0;

  constructor(
    private readonly stream: ByteStream,
    private readonly onError: (e: Error) => void,
    private readonly onWritten: (bytes: number) => void,
    /**
     * Told of each whole sealed packet once it has been written or copied into the stage, so
     * a packet sealed in place in a reusable buffer (packet_codec.ts) can take the next one.
     */
    private readonly onPacketDone: (wire: Uint8Array) => void = () => {},
  ) {}

  /** Queues bytes that need no sealing (the version line). */
  pushRaw(data: Uint8Array): void {
    this.push(data, data.length);
  }

  push(data: Sealed | Promise<Sealed>, size: number): void {
    if (data instanceof Promise) data.catch(() => {}); // awaited in order by the loop
    this.queue.push({ data, size });
    this.queuedBytes += size;
    if (!this.writing) this.loop();
  }

  /** Resolves at once, or when the queue drained below the low-water mark. */
  backpressure(): Promise<void> {
    if (this.queuedBytes + this.heldBytes <= HIGH_WATER || this.dead) return Promise.resolve();
    return new Promise((res) => this.waiters.push(res));
  }

  /**
   * Resolves once everything queued has been written, or after `timeoutMs` (a peer that stopped
   * reading). The write in progress keeps the process alive meanwhile, so the timeout need not
   * be one of Deno's timers (see timeout_while_pending.ts: a `true` run used no other).
   */
  idle(timeoutMs: number): Promise<void> {
    if (!this.writing && this.queue.length === 0) return Promise.resolve();
    const timeout = timeoutWhilePending(timeoutMs);
    return Promise.race([this.drained(), timeout.expired]).finally(() => timeout.cancel());
  }

  /** Resolves once everything queued so far has been written (or writing failed). */
  drained(): Promise<void> {
    if (!this.writing && this.queue.length === 0) return Promise.resolve();
    return new Promise((res) => this.idleWaiters.push(res));
  }

  releaseWaiters(): void {
    this.dead = true;
    for (const w of this.waiters.splice(0)) w();
  }

  /** Copies `part` into the stage (flushing first when it does not fit). */
  private async put(part: Uint8Array): Promise<void> {
    if (this.staged + part.length > this.stage.length) await this.flush();
    if (part.length > this.stage.length) {
      await this.stream.write(part);
      return;
    }
    this.stage.set(part, this.staged);
    this.staged += part.length;
  }

  private async flush(): Promise<void> {
    if (this.staged === 0) return;
    const n = this.staged;
    this.staged = 0;
    await this.stream.write(this.stage.subarray(0, n));
  }

  private async loop(): Promise<void> {
    this.writing = true;
    try {
      // Let packets queued in the same tick join this batch.
      await Promise.resolve();
      while (this.queue.length > 0 && !this.dead) {
        const items = this.queue.splice(0, BATCH);
        let total = 0, size = 0;
        for (const it of items) {
          const c = await it.data;
          size += it.size;
          if (c instanceof Uint8Array) {
            total += c.length;
            if (c.length >= DIRECT_WRITE) {
              // Bulk packets already whole go out as they are (no copy just to batch them).
              await this.flush();
              await this.stream.write(c);
            } else {
              await this.put(c);
            }
            this.onPacketDone(c);
          } else {
            for (const part of c) {
              total += part.length;
              await this.put(part);
            }
          }
        }
        await this.flush();
        this.onWritten(total);
        this.queuedBytes -= size;
        if (this.queuedBytes + this.heldBytes <= LOW_WATER) {
          for (const w of this.waiters.splice(0)) w();
        }
      }
    } catch (e) {
      this.dead = true;
      this.onError(e instanceof Error ? e : new Error(String(e)));
    } finally {
      this.writing = false;
      for (const w of this.idleWaiters.splice(0)) w();
      if (this.dead) this.releaseWaiters();
    }
  }
}

/** The DISCONNECT reason for an error we detected. */
export function disconnectReasonCode(err: Error): number {
  if (err instanceof NegotiationError) return C.SSH2_DISCONNECT_KEY_EXCHANGE_FAILED;
  if (/MAC/.test(err.message)) return C.SSH2_DISCONNECT_MAC_ERROR;
  if (err instanceof DecodeError || err instanceof SizeLimitError) {
    return C.SSH2_DISCONNECT_PROTOCOL_ERROR;
  }
  if (err instanceof ProtocolError) return C.SSH2_DISCONNECT_PROTOCOL_ERROR;
  return C.SSH2_DISCONNECT_BY_APPLICATION;
}
