// Packet protection for a synchronous stream cipher (AES-CTR, or "none" before the first NEWKEYS)
// combined with an optional HMAC, in both the classic (MAC over plaintext) and the
// encrypt-then-MAC layout (OpenSSH PROTOCOL §1.5: clear length, MAC over the ciphertext).

import { ProtocolError } from "../../errors.ts";
import { timingSafeEqual } from "./hash.ts";
import { computeMac, type MacSpec } from "./mac.ts";
import type { PacketOpener, PacketSealer } from "./cipher.ts";

/** A keystream that continues across calls (one per direction). */
export interface StreamCipher {
  update(data: Uint8Array): Uint8Array;
}

/** The identity "cipher" used before the first key exchange completes. */
export const NONE_STREAM: StreamCipher = { update: (d) => d };

function u32(b: Uint8Array, off = 0): number {
  return ((b[off] << 24) | (b[off + 1] << 16) | (b[off + 2] << 8) | b[off + 3]) >>> 0;
}

export class StreamMacSealer implements PacketSealer {
  readonly lengthExcluded: boolean;
  /** seal() reads the packet synchronously; its output is a new buffer. */
  readonly releasesPacket = true;
  constructor(
    private readonly stream: StreamCipher,
    readonly blockSize: number,
    private readonly mac?: MacSpec,
    private readonly macKey?: Uint8Array,
  ) {
    this.lengthExcluded = mac?.etm ?? false;
  }

  seal(seq: number, packet: Uint8Array): Uint8Array {
    const mac = this.mac;
    const macLen = mac?.macLength ?? 0;
    const out = new Uint8Array(packet.length + macLen);
    if (!mac) {
      out.set(this.stream.update(packet));
      return out;
    }
    if (mac.etm) {
      out.set(packet.subarray(0, 4));
      out.set(this.stream.update(packet.subarray(4)), 4);
      out.set(computeMac(mac, this.macKey!, seq, out.subarray(0, packet.length)), packet.length);
    } else {
      const tag = computeMac(mac, this.macKey!, seq, packet);
      out.set(this.stream.update(packet));
      out.set(tag, packet.length);
    }
    return out;
  }
}

export class StreamMacOpener implements PacketOpener {
  readonly lengthExcluded: boolean;
  readonly headLength: number;
  readonly tagLength: number;
  private firstBlock: Uint8Array | undefined;

  constructor(
    private readonly stream: StreamCipher,
    readonly blockSize: number,
    private readonly mac?: MacSpec,
    private readonly macKey?: Uint8Array,
  ) {
    this.lengthExcluded = mac?.etm ?? false;
    this.headLength = this.lengthExcluded ? 4 : blockSize;
    this.tagLength = mac?.macLength ?? 0;
  }

  packetLength(_seq: number, head: Uint8Array): number {
    if (this.lengthExcluded) return u32(head);
    // Classic layout: the length is inside the first cipher block, so decrypt that block now
    // (it advances the keystream) and keep it for open().
    this.firstBlock = Uint8Array.from(this.stream.update(head.subarray(0, this.blockSize)));
    return u32(this.firstBlock);
  }

  open(seq: number, wire: Uint8Array): Uint8Array {
    const mac = this.mac;
    const bodyEnd = wire.length - this.tagLength;
    if (mac?.etm) {
      const tag = computeMac(mac, this.macKey!, seq, wire.subarray(0, bodyEnd));
      if (!timingSafeEqual(tag, wire.subarray(bodyEnd))) {
        throw new ProtocolError("Corrupted MAC on input.");
      }
      return Uint8Array.from(this.stream.update(wire.subarray(4, bodyEnd)));
    }
    const first = this.firstBlock;
    if (!first) throw new ProtocolError("internal: packetLength not called before open");
    this.firstBlock = undefined;
    const plain = new Uint8Array(bodyEnd);
    plain.set(first);
    plain.set(this.stream.update(wire.subarray(this.blockSize, bodyEnd)), this.blockSize);
    if (mac) {
      const tag = computeMac(mac, this.macKey!, seq, plain);
      if (!timingSafeEqual(tag, wire.subarray(bodyEnd))) {
        throw new ProtocolError("Corrupted MAC on input.");
      }
    }
    return plain.subarray(4);
  }
}
