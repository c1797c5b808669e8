// Proxy-mode framing (PROTOCOL.mux §9, reference §2.10): after MUX_S_PROXY the control socket
// carries unencrypted, MAC-less SSH binary packets: u32 length | u8 padding length (always 0) |
// payload, where the payload starts with the SSH message type. Lengths are checked like the stock
// client does (packet.c ssh_packet_read_poll2_mux: 5 <= length <= 256 KiB; the master side
// accepts 2, see ProxyFramerOptions). OpenSSH ignores the padding byte on receive; we require 0,
// which is all any implementation sends.

import { ProtocolError, SizeLimitError } from "../errors.ts";
import { MUX_PROXY_MAX_PACKET, MUX_PROXY_MIN_PACKET } from "./constants.ts";
import { FrameAssembler, frameHeaderLength } from "./frame_assembler.ts";

function proxyLengthCheck(minLength: number) {
  return (length: number): void => {
    if (length > MUX_PROXY_MAX_PACKET) {
      throw new SizeLimitError(
        `proxy packet of ${length} bytes exceeds the ${MUX_PROXY_MAX_PACKET} limit`,
      );
    }
    if (length < minLength) {
      throw new ProtocolError(`proxy packet of ${length} bytes is shorter than ${minLength}`);
    }
  };
}

/**
 * Frames one SSH message payload (type byte first) for proxy mode. Payloads shorter than 4
 * bytes (bare REQUEST_SUCCESS/FAILURE) are legal towards a master but a stock client would drop
 * them; the master only relays channel messages downstream, which are never that short.
 */
export function encodeProxyPacket(
  payload: Uint8Array,
  alloc: (n: number) => Uint8Array = (n) => new Uint8Array(n),
): Uint8Array {
  const length = payload.length + 1;
  // The receiver would drop the connection over these; refuse to produce them.
  if (payload.length < 1 || length > MUX_PROXY_MAX_PACKET) {
    throw new RangeError(`proxy payload of ${payload.length} bytes is outside the packet limits`);
  }
  const out = alloc(frameHeaderLength + length);
  new DataView(out.buffer, out.byteOffset, 4).setUint32(0, length);
  out[4] = 0; // padding length
  out.set(payload, 5);
  return out;
}

export interface ProxyFramerOptions {
  /**
   * Smallest packet length accepted: MUX_PROXY_MIN_PACKET (5, the stock client's rule) by
   * default; a master reading a proxy client uses MUX_PROXY_MIN_DOWNSTREAM_PACKET (2).
   */
  minPacketLength?: number;
}

/** Assembles proxy-mode packets from a byte stream; yields payloads (type byte first). */
export class ProxyFramer {
  private readonly frames: FrameAssembler;

  constructor(options: ProxyFramerOptions = {}) {
    const min = options.minPacketLength ?? MUX_PROXY_MIN_PACKET;
    if (!Number.isInteger(min) || min < 2 || min > MUX_PROXY_MAX_PACKET) {
      throw new RangeError(
        `proxy minimum packet length ${min} is not in 2..${MUX_PROXY_MAX_PACKET}`,
      );
    }
    this.frames = new FrameAssembler(proxyLengthCheck(min));
  }

  /**
   * Appends bytes and returns every payload they complete (fresh copies, in order). A bad
   * packet throws; payloads completed before it are returned first and the next call throws.
   */
  push(bytes: Uint8Array): Uint8Array[] {
    this.frames.append(bytes);
    const out: Uint8Array[] = [];
    for (;;) {
      let payload: Uint8Array | null;
      try {
        payload = this.next();
      } catch (e) {
        if (out.length > 0) return out;
        throw e;
      }
      if (payload === null) return out;
      out.push(payload);
    }
  }

  /** Appends bytes without taking packets (use with `next()`). */
  append(bytes: Uint8Array): void {
    this.frames.append(bytes);
  }

  /** One complete payload (a fresh copy) or null. A nonzero padding byte is a ProtocolError. */
  next(): Uint8Array | null {
    const body = this.frames.peekBody();
    if (body === null) return null;
    if (body[0] !== 0) {
      throw new ProtocolError(`proxy packet has padding length ${body[0]}, expected 0`);
    }
    const payload = body.slice(1);
    this.frames.consume(frameHeaderLength + body.length);
    return payload;
  }

  /** Bytes to read to finish the packet in progress (0 if one is complete). */
  get bytesNeeded(): number {
    return this.frames.bytesNeeded;
  }

  get buffered(): number {
    return this.frames.buffered;
  }

  /**
   * Call at EOF, after taking every complete packet: throws if the stream stopped inside a packet
   * (DecodeError) or on a bad header.
   */
  end(): void {
    this.frames.end();
  }
}
