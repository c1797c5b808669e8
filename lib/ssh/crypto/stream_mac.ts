// Packet protection for a synchronous stream cipher (AES-CTR, or "none" before the first NEWKEYS)
// combined with an optional HMAC, in both the classic (MAC over plaintext) and the
// encrypt-then-MAC layout (OpenSSH PROTOCOL §1.5: clear length, MAC over the ciphertext).
// The cipher writes straight into the wire (or plaintext) buffer: one allocation per packet.

import { ProtocolError } from "../../errors.ts";
import { timingSafeEqual } from "./hash.ts";
import type { PacketMac } from "./mac.ts";
import type { PacketOpener, PacketSealer } from "./cipher.ts";
import { takePlain } from "../buffer_pool.ts";
import { u32At } from "../../wire/reader.ts";

/** A keystream that continues across calls (one per direction). */
export interface StreamCipher {
  /**
   * XORs the next `src.length` keystream bytes over `src` into `dst` (same length; the very
   * same bytes, or not overlapping).
   */
  xor(src: Uint8Array, dst: Uint8Array): void;
  readonly backend?: string;
  dispose?(): void;
}

/** The identity "cipher" used before the first key exchange completes. */
export const NONE_STREAM: StreamCipher = {
  xor: (src, dst) => {
    if (src !== dst) dst.set(src);
  },
};

function backendOf(stream: StreamCipher, mac: PacketMac | undefined): string | undefined {
  if (!stream.backend) return undefined;
  return mac && mac.backend !== stream.backend
    ? `${stream.backend}, MAC ${mac.backend}`
    : stream.backend;
}

export class StreamMacSealer implements PacketSealer {
  readonly lengthExcluded: boolean;
  /** seal() reads the packet synchronously; its output is a new buffer. */
  readonly releasesPacket = true;
  readonly backend: string | undefined;
  constructor(
    private readonly stream: StreamCipher,
    readonly blockSize: number,
    private readonly mac?: PacketMac,
    etm = false,
  ) {
    this.lengthExcluded = mac !== undefined && etm;
    this.backend = backendOf(stream, mac);
  }

  seal(seq: number, packet: Uint8Array): Uint8Array {
    const mac = this.mac;
    const len = packet.length;
    const out = new Uint8Array(len + (mac?.length ?? 0));
    const body = out.subarray(0, len);
    if (!mac) {
      this.stream.xor(packet, body);
    } else if (this.lengthExcluded) {
      out.set(packet.subarray(0, 4));
      this.stream.xor(packet.subarray(4), out.subarray(4, len));
      mac.compute(seq, body, out.subarray(len));
    } else {
      mac.compute(seq, packet, out.subarray(len));
      this.stream.xor(packet, body);
    }
    return out;
  }

  dispose(): void {
    this.stream.dispose?.();
    this.mac?.dispose();
  }
}

export class StreamMacOpener implements PacketOpener {
  readonly lengthExcluded: boolean;
  readonly headLength: number;
  readonly tagLength: number;
  readonly backend: string | undefined;
  private firstBlock: Uint8Array | undefined;
  private readonly tag: Uint8Array;

  constructor(
    private readonly stream: StreamCipher,
    readonly blockSize: number,
    private readonly mac?: PacketMac,
    etm = false,
  ) {
    this.lengthExcluded = mac !== undefined && etm;
    this.headLength = this.lengthExcluded ? 4 : blockSize;
    this.tagLength = mac?.length ?? 0;
    this.tag = new Uint8Array(this.tagLength);
    this.backend = backendOf(stream, mac);
  }

  packetLength(_seq: number, head: Uint8Array): number {
    if (this.lengthExcluded) return u32At(head);
    // Classic layout: the length is inside the first cipher block, so decrypt that block now
    // (it advances the keystream) and keep it for open().
    const first = new Uint8Array(this.blockSize);
    this.stream.xor(head.subarray(0, this.blockSize), first);
    this.firstBlock = first;
    return u32At(first);
  }

  open(seq: number, wire: Uint8Array): Uint8Array {
    const mac = this.mac;
    const bodyEnd = wire.length - this.tagLength;
    if (mac && this.lengthExcluded) {
      mac.compute(seq, wire.subarray(0, bodyEnd), this.tag);
      if (!timingSafeEqual(this.tag, wire.subarray(bodyEnd))) {
        throw new ProtocolError("Corrupted MAC on input.");
      }
      const plain = takePlain(bodyEnd - 4);
      this.stream.xor(wire.subarray(4, bodyEnd), plain);
      return plain;
    }
    const first = this.firstBlock;
    if (!first) throw new ProtocolError("internal: packetLength not called before open");
    this.firstBlock = undefined;
    const plain = takePlain(bodyEnd);
    plain.set(first);
    this.stream.xor(wire.subarray(this.blockSize, bodyEnd), plain.subarray(this.blockSize));
    if (mac) {
      mac.compute(seq, plain, this.tag);
      if (!timingSafeEqual(this.tag, wire.subarray(bodyEnd))) {
        throw new ProtocolError("Corrupted MAC on input.");
      }
    }
    return plain.subarray(4);
  }

  dispose(): void {
    this.stream.dispose?.();
    this.mac?.dispose();
  }
}
