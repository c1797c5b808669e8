// The incoming side of the binary packet protocol: cuts whole packets out of the input buffer,
// checks their length, and opens them in order with the current opener. With an asynchronous
// opener (AES-GCM on WebCrypto) several buffered packets are opened at once to hide the
// per-call latency; the caller turns that off during key exchange, because a packet after
// NEWKEYS must be opened with the new keys.

import { DisconnectError } from "../../errors.ts";
import type { PacketOpener } from "../crypto/cipher.ts";
import type { InputBuffer } from "./input_buffer.ts";
import { checkPacketLength, noneOpener, payloadOf } from "./packet_codec.ts";

/** Packets opened ahead when the opener is asynchronous. */
const MAX_IN_FLIGHT = 16;

interface Opened {
  plain: Uint8Array;
  seq: number;
  wireLength: number;
}

export interface IncomingPacket {
  payload: Uint8Array;
  seq: number;
  wireLength: number;
}

export class PacketReader {
  private opener: PacketOpener = noneOpener();
  /** Sequence number of the next packet to be cut. */
  private seq = 0;
  private inFlight: Promise<Opened>[] = [];
  /** Wire size of the packet whose length was read but which is not all buffered yet, or -1. */
  private pendingTotal = -1;
  /** A socket read started while packets were being opened (pipelined openers only). */
  private readAhead: Promise<boolean> | undefined;

  constructor(private readonly input: InputBuffer, private readonly where: string) {}

  /** Switches to new keys (at NEWKEYS); `resetSeq` for strict kex. */
  setOpener(op: PacketOpener, resetSeq: boolean): void {
    // Packets before NEWKEYS were opened synchronously by a native opener, or it has none.
    this.opener.dispose?.();
    this.opener = op;
    if (resetSeq) this.seq = 0;
  }

  /** Frees the current opener's native contexts (the transport is closing). */
  dispose(): void {
    this.opener.dispose?.();
  }

  /**
   * The next packet if it is already buffered whole and the opener is synchronous (libcrypto,
   * WASM), opened now; undefined otherwise (then call next()). Lets the read loop work through
   * a whole socket read without a promise per packet.
   */
  nextBuffered(): IncomingPacket | undefined {
    if (this.opener.pipelined || this.inFlight.length > 0 || this.readAhead) return undefined;
    return this.takeBuffered();
  }

  /** The next packet's payload, or null at a clean end of stream (between packets). */
  async next(allowAhead: boolean): Promise<IncomingPacket | null> {
    // Synchronous openers: fill, then cut and open in place (no promise per packet).
    while (!this.opener.pipelined && this.inFlight.length === 0) {
      if (this.readAhead) {
        // Left from a pipelined opener before a rekey: one fill at a time.
        const p = this.readAhead;
        this.readAhead = undefined;
        await p; // its end of stream shows in the fill below; its error is thrown here
      }
      const pkt = this.takeBuffered();
      if (pkt) return pkt;
      const need = this.pendingTotal >= 0 ? this.pendingTotal : this.opener.headLength;
      if (!(await this.input.fill(need))) {
        if (this.input.available > 0 || this.pendingTotal >= 0) {
          throw new DisconnectError(`Connection closed by ${this.where}`);
        }
        return null;
      }
    }
    if (this.inFlight.length === 0) {
      const first = await this.cut();
      if (!first) return null;
      this.inFlight.push(first.opened);
    }
    if (allowAhead && this.opener.pipelined) {
      while (this.inFlight.length < MAX_IN_FLIGHT) {
        const more = this.cutIfBuffered();
        if (!more) break;
        this.inFlight.push(more);
      }
      // While those are being opened (off the JS thread), read on from the socket.
      if (!this.readAhead && this.inFlight.length < MAX_IN_FLIGHT && this.opener.inputCopied) {
        const p = this.input.fill(this.input.available + 1);
        p.catch(() => {}); // awaited by cut()
        this.readAhead = p;
        p.finally(() => {
          if (this.readAhead === p) this.readAhead = undefined;
        }).catch(() => {});
      }
    }
    const { plain, seq, wireLength } = await this.inFlight.shift()!;
    return { payload: payloadOf(plain), seq, wireLength };
  }

  private async cut(): Promise<{ opened: Promise<Opened> } | null> {
    if (this.readAhead) {
      const p = this.readAhead;
      this.readAhead = undefined;
      await p; // its end of stream shows in the fill below; its error is thrown here
    }
    const op = this.opener;
    if (!(await this.input.fill(op.headLength))) {
      if (this.input.available > 0) throw new DisconnectError(`Connection closed by ${this.where}`);
      return null;
    }
    const total = checkPacketLength(op.packetLength(this.seq, this.input.peek(op.headLength)), op);
    if (!(await this.input.fill(total))) {
      throw new DisconnectError(`Connection closed by ${this.where}`);
    }
    return { opened: this.open(op, total) };
  }

  /**
   * Cuts and opens the next packet if all of it is buffered (synchronous openers only). Its
   * length is read once (packetLength may decrypt, with state) and kept while the rest of the
   * packet is still on its way.
   */
  private takeBuffered(): IncomingPacket | undefined {
    const op = this.opener;
    let total = this.pendingTotal;
    if (total < 0) {
      if (this.input.available < op.headLength) return undefined;
      total = checkPacketLength(op.packetLength(this.seq, this.input.peek(op.headLength)), op);
      this.pendingTotal = total;
    }
    if (this.input.available < total) return undefined;
    this.pendingTotal = -1;
    const seq = this.seq;
    this.seq = (seq + 1) >>> 0;
    const plain = op.open(seq, this.input.peek(total));
    if (plain instanceof Promise) throw new Error("PacketReader: synchronous opener expected");
    this.input.consume(total);
    return { payload: payloadOf(plain), seq, wireLength: total };
  }

  private cutIfBuffered(): Promise<Opened> | null {
    const op = this.opener;
    if (this.input.available < op.headLength) return null;
    const total = checkPacketLength(op.packetLength(this.seq, this.input.peek(op.headLength)), op);
    if (this.input.available < total) return null;
    return this.open(op, total);
  }

  private open(op: PacketOpener, total: number): Promise<Opened> {
    const seq = this.seq;
    this.seq = (seq + 1) >>> 0;
    // Asynchronous openers may keep the bytes past this call: give them their own copy
    // unless they copy it themselves before returning.
    const wire = op.pipelined && !op.inputCopied
      ? this.input.peek(total).slice()
      : this.input.peek(total);
    const opened = op.open(seq, wire);
    this.input.consume(total);
    const p = Promise.resolve(opened).then((plain) => ({ plain, seq, wireLength: total }));
    p.catch(() => {}); // observed when awaited in order; avoid an unhandled rejection meanwhile
    return p;
  }
}
