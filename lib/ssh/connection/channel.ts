// One SSH channel (RFC 4254 §5): flow-controlled data both ways, stderr, EOF/CLOSE state and
// channel requests. The connection feeds it decoded messages through the `handle*` methods and
// sends what it produces through a ChannelLink, so the channel itself never touches a socket.
//
// Flow control, like OpenSSH's channels.c: we advertise `localWindowMax` and re-open the window
// only as the consumer read()s, in batches once half of it is consumed, so an unread channel
// stops the sender and buffers stay bounded by the window. Writes wait for the peer's window
// and are cut to its max packet size.

import { ProtocolError } from "../../errors.ts";
import { log } from "../../log.ts";
import { ChunkQueue } from "./chunk_queue.ts";
import { ChannelClosedError, ConnectionLostError } from "./errors.ts";
import {
  encodeChannelReply,
  encodeChannelRequest,
  encodeClose,
  encodeData,
  encodeEof,
  encodeExtendedData,
  encodeWindowAdjust,
  SSH2_EXTENDED_DATA_STDERR,
} from "./messages.ts";

/** OpenSSH's session defaults (channels.h CHAN_SES_WINDOW_DEFAULT / CHAN_SES_PACKET_DEFAULT). */
export const DEFAULT_WINDOW = 2 * 1024 * 1024;
export const DEFAULT_MAX_PACKET = 32 * 1024;
/** Largest data chunk we put in one packet whatever the peer allows (transport packet cap). */
export const MAX_SEND_CHUNK = 128 * 1024;

/** What a channel needs from its connection. */
export interface ChannelLink {
  send(payload: Uint8Array): Promise<void>;
  /** Both CLOSEs done: the id may be reused. */
  release(channel: Channel): void;
  /** The peer broke a rule on this channel: the connection must end. */
  fail(err: Error): void;
}

export type RequestHandler = (
  name: string,
  data: Uint8Array,
  wantReply: boolean,
) => boolean | void;

export interface ChannelParams {
  localId: number;
  remoteId: number;
  type: string;
  localWindow: number;
  localMaxPacket: number;
  remoteWindow: number;
  remoteMaxPacket: number;
  onRequest?: RequestHandler;
}

export interface ChannelInfo {
  localId: number;
  remoteId: number;
  type: string;
  state: string;
  localWindow: number;
  remoteWindow: number;
  queuedBytes: number;
  /** Data and extended data bytes received from / sent to the peer so far. */
  bytesIn: number;
  bytesOut: number;
}

export class Channel {
  readonly localId: number;
  readonly remoteId: number;
  readonly type: string;
  /** Resolves once both sides closed the channel or the connection ended. */
  readonly closed: Promise<void>;

  private readonly link: ChannelLink;
  private readonly localWindowMax: number;
  private localWindow: number;
  private localConsumed = 0;
  private localExcess = 0;
  readonly localMaxPacket: number;
  private remoteWindow: number;
  readonly remoteMaxPacket: number;

  /** Counters for listings (data + extended data, payload bytes only). */
  bytesIn = 0;
  bytesOut = 0;
  private readonly data = new ChunkQueue();
  private readonly stderr = new ChunkQueue();

  private eofSent = false;
  private closeSent = false;
  private eofReceived = false;
  private closeReceived = false;
  /** The peer sent eow@openssh.com: it reads no more of our data. */
  private eowReceived = false;
  private lost: Error | null = null;
  private released = false;
  private resolveClosed!: () => void;

  private windowWaiter: (() => void) | null = null;
  private writeChain: Promise<void> = Promise.resolve();
  private readonly replyWaiters: Array<(ok: boolean) => void> = [];
  private requestHandler: RequestHandler | undefined;

  constructor(link: ChannelLink, p: ChannelParams) {
    this.link = link;
    this.localId = p.localId;
    this.remoteId = p.remoteId;
    this.type = p.type;
    this.localWindowMax = p.localWindow;
    this.localWindow = p.localWindow;
    this.localMaxPacket = p.localMaxPacket;
    this.remoteWindow = p.remoteWindow;
    this.remoteMaxPacket = Math.max(1, Math.min(p.remoteMaxPacket, MAX_SEND_CHUNK));
    this.requestHandler = p.onRequest;
    this.closed = new Promise((r) => this.resolveClosed = r);
  }

  // ---------------------------------------------------------------- consumer API

  /** Sends data, split by the peer's max packet, waiting for window (backpressure). */
  write(data: Uint8Array): Promise<void> {
    return this.serialized(() => this.sendChunks(data, -1));
  }

  /** Sends extended data (code 1 = stderr); it shares the channel window with data. */
  writeExtended(code: number, data: Uint8Array): Promise<void> {
    return this.serialized(() => this.sendChunks(data, code));
  }

  /** Next data chunk; null at EOF. Rejects with ConnectionLostError if the connection died. */
  read(): Promise<Uint8Array | null> {
    return this.readFrom(this.data);
  }

  /**
   * Next stderr (extended data type 1) chunk; null at EOF. Stderr shares the window with data:
   * a session whose stderr is never read stalls once a window of it is queued.
   */
  readExtended(): Promise<Uint8Array | null> {
    return this.readFrom(this.stderr);
  }

  /**
   * Every data chunk received so far (at least one), in order; null at EOF. For output pumps:
   * one wake-up and one local write for all the packets a socket read brought.
   */
  readBatch(): Promise<Uint8Array[] | null> {
    return this.readAllFrom(this.data);
  }

  /** As readBatch, for stderr (see readExtended). */
  readExtendedBatch(): Promise<Uint8Array[] | null> {
    return this.readAllFrom(this.stderr);
  }

  /** Sends EOF once, after every queued write. */
  sendEof(): Promise<void> {
    return this.serialized(async () => {
      if (this.eofSent || this.closeSent || this.closeReceived || this.lost) return;
      this.eofSent = true;
      await this.link.send(encodeEof(this.remoteId));
    });
  }

  /**
   * Sends CLOSE once (pending writes fail) and resolves when the peer's CLOSE arrived too.
   * Data already received stays readable.
   */
  async close(): Promise<void> {
    if (!this.closeSent && !this.lost) {
      this.closeSent = true;
      this.wakeWriters();
      try {
        await this.link.send(encodeClose(this.remoteId));
      } catch { /* connection gone: closed resolves via connectionLost */ }
      this.maybeRelease();
    }
    return this.closed;
  }

  /** Sends a channel request; with wantReply, resolves to the peer's SUCCESS/FAILURE. */
  async request(name: string, data: Uint8Array, wantReply: boolean): Promise<boolean> {
    if (this.closeSent || this.closeReceived || this.lost) return false;
    const reply = wantReply
      ? new Promise<boolean>((r) => this.replyWaiters.push(r))
      : Promise.resolve(true);
    await this.link.send(encodeChannelRequest(this.remoteId, name, wantReply, data));
    return reply;
  }

  /** Handles the peer's requests (exit-status, exit-signal, ...). True → SUCCESS if wanted. */
  onRequest(handler: RequestHandler): void {
    this.requestHandler = handler;
  }

  /** True once the peer sent EOF or CLOSE. */
  get eof(): boolean {
    return this.eofReceived || this.closeReceived;
  }

  /** True once the peer signalled it will not read our data any more (eow or close). */
  get writeClosed(): boolean {
    return this.eowReceived || this.closeReceived || this.closeSent || this.eofSent ||
      this.lost !== null;
  }

  /** Why the connection under this channel ended, if it did before the channel closed. */
  get connectionError(): Error | null {
    return this.lost;
  }

  info(): ChannelInfo {
    const state = this.lost ? "lost" : [
      this.eofSent ? "eof-sent" : "",
      this.eofReceived ? "eof-rcvd" : "",
      this.closeSent ? "close-sent" : "",
      this.closeReceived ? "close-rcvd" : "",
    ].filter(Boolean).join(",") || "open";
    return {
      localId: this.localId,
      remoteId: this.remoteId,
      type: this.type,
      state,
      localWindow: this.localWindow,
      remoteWindow: this.remoteWindow,
      queuedBytes: this.data.bytes + this.stderr.bytes,
      bytesIn: this.bytesIn,
      bytesOut: this.bytesOut,
    };
  }

  // ---------------------------------------------------------------- write side internals

  private serialized(op: () => Promise<void>): Promise<void> {
    const next = this.writeChain.then(op);
    this.writeChain = next.catch(() => {});
    return next;
  }

  private checkWritable(): void {
    if (this.lost) throw new ConnectionLostError(this.lost.message, this.lost);
    if (this.closeSent || this.closeReceived) {
      throw new ChannelClosedError(`channel ${this.localId} is closed`);
    }
    if (this.eofSent) throw new ChannelClosedError(`channel ${this.localId}: write after EOF`);
    if (this.eowReceived) {
      throw new ChannelClosedError(`channel ${this.localId}: peer stopped reading`);
    }
  }

  private async sendChunks(data: Uint8Array, code: number): Promise<void> {
    let off = 0;
    this.checkWritable();
    while (off < data.length) {
      while (this.remoteWindow === 0) {
        await new Promise<void>((r) => this.windowWaiter = r);
        this.checkWritable();
      }
      const n = Math.min(data.length - off, this.remoteWindow, this.remoteMaxPacket);
      const chunk = data.subarray(off, off + n);
      this.remoteWindow -= n;
      this.bytesOut += n;
      off += n;
      await this.link.send(
        code < 0
          ? encodeData(this.remoteId, chunk)
          : encodeExtendedData(this.remoteId, code, chunk),
      );
      this.checkWritable();
    }
  }

  private wakeWriters(): void {
    const w = this.windowWaiter;
    this.windowWaiter = null;
    w?.();
  }

  // ---------------------------------------------------------------- read side internals

  /**
   * Waits until `q` has a chunk (true) or has ended (false); throws if the connection is lost.
   * Callers skip it when a chunk is already there, so that path takes no extra promise turn.
   */
  private async waitForChunks(q: ChunkQueue): Promise<boolean> {
    while (q.chunks.length === 0) {
      if (q.error) throw new ConnectionLostError(q.error.message, q.error);
      if (q.ended) return false;
      await q.wait();
    }
    return true;
  }

  private async readFrom(q: ChunkQueue): Promise<Uint8Array | null> {
    if (q.chunks.length === 0 && !(await this.waitForChunks(q))) return null;
    const c = q.chunks.shift()!;
    q.bytes -= c.length;
    this.consumed(c.length);
    return c;
  }

  private async readAllFrom(q: ChunkQueue): Promise<Uint8Array[] | null> {
    if (q.chunks.length === 0 && !(await this.waitForChunks(q))) return null;
    const all = q.chunks;
    q.chunks = [];
    const n = q.bytes;
    q.bytes = 0;
    this.consumed(n);
    return all;
  }

  /** Credits consumed bytes back to the peer in batches (half the window, like OpenSSH). */
  private consumed(n: number): void {
    this.localConsumed += n;
    if (this.eofReceived || this.closeReceived || this.closeSent || this.lost) return;
    if (this.localConsumed < this.localWindowMax / 2) return;
    const credit = this.localConsumed;
    this.localConsumed = 0;
    this.localWindow += credit;
    this.link.send(encodeWindowAdjust(this.remoteId, credit)).catch(() => {});
  }

  private accept(len: number): boolean {
    if (this.eofReceived || this.closeReceived) {
      this.link.fail(new ProtocolError(`channel ${this.localId}: data after EOF`));
      return false;
    }
    if (len > this.localWindow) {
      // OpenSSH tolerates a little excess (peers that count headers); much more is abuse.
      this.localExcess += len - this.localWindow;
      if (this.localExcess > this.localWindowMax / 10) {
        this.link.fail(new ProtocolError(`channel ${this.localId}: peer ignored channel window`));
        return false;
      }
      this.localWindow = 0;
    } else {
      this.localWindow -= len;
    }
    this.bytesIn += len;
    // After our CLOSE the peer may still have data in flight; nobody will read it.
    return !this.closeSent;
  }

  // ---------------------------------------------------------------- called by the connection

  /** @internal */
  handleData(data: Uint8Array): void {
    if (this.accept(data.length) && data.length > 0) this.data.push(data);
  }

  /** @internal */
  handleExtendedData(code: number, data: Uint8Array): void {
    if (!this.accept(data.length)) return;
    if (code === SSH2_EXTENDED_DATA_STDERR) {
      if (data.length > 0) this.stderr.push(data);
    } else {
      this.consumed(data.length); // unknown stream: dropped, but the window must still move
    }
  }

  /** @internal */
  handleWindowAdjust(bytes: number): void {
    const next = this.remoteWindow + bytes;
    if (next > 0xffffffff) {
      this.link.fail(new ProtocolError(`channel ${this.localId}: window adjust overflows`));
      return;
    }
    this.remoteWindow = next;
    this.wakeWriters();
  }

  /** @internal */
  handleEof(): void {
    if (this.eofReceived) {
      log.debug(`channel ${this.localId}: duplicate EOF ignored`);
      return;
    }
    this.eofReceived = true;
    this.data.end();
    this.stderr.end();
  }

  /** @internal */
  handleClose(): void {
    if (this.closeReceived) {
      this.link.fail(new ProtocolError(`channel ${this.localId}: duplicate CLOSE`));
      return;
    }
    this.closeReceived = true;
    this.data.end();
    this.stderr.end();
    this.wakeWriters();
    for (const w of this.replyWaiters.splice(0)) w(false);
    if (!this.closeSent) {
      this.closeSent = true;
      this.link.send(encodeClose(this.remoteId)).catch(() => {});
    }
    this.maybeRelease();
  }

  /** @internal */
  handleRequest(name: string, wantReply: boolean, data: Uint8Array): void {
    if (name === "eow@openssh.com") {
      this.eowReceived = true;
      this.wakeWriters();
    }
    let ok = false;
    try {
      ok = this.requestHandler?.(name, data, wantReply) === true;
    } catch (e) {
      log.debug(`channel ${this.localId}: request handler for ${name} failed: ${e}`);
    }
    if (wantReply && !this.closeSent) {
      this.link.send(encodeChannelReply(this.remoteId, ok)).catch(() => {});
    }
  }

  /** @internal */
  handleRequestReply(ok: boolean): void {
    const w = this.replyWaiters.shift();
    if (!w) {
      this.link.fail(new ProtocolError(`channel ${this.localId}: unexpected request reply`));
      return;
    }
    w(ok);
  }

  /** @internal The connection ended under this channel. */
  connectionLost(err: Error): void {
    if (this.released) return;
    this.lost = err;
    this.data.end(this.eofReceived ? null : err);
    this.stderr.end(this.eofReceived ? null : err);
    this.wakeWriters();
    for (const w of this.replyWaiters.splice(0)) w(false);
    this.released = true;
    this.resolveClosed();
  }

  private maybeRelease(): void {
    if (this.released || !this.closeSent || !this.closeReceived) return;
    this.released = true;
    this.link.release(this);
    this.resolveClosed();
  }
}
