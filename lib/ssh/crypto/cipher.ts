// The packet-protection seam between the binary packet protocol (transport/packet_codec.ts) and
// one algorithm family. One sealer/opener per direction, created at NEWKEYS.
//
// A plaintext packet is `u32 packet_length | u8 padding_length | payload | padding` (RFC 4253 §6).
// Sealers and openers work on whole packets so each family can use its own layout (encrypted or
// clear length, tag after the packet) while the codec only handles framing and padding.

import type { MacSpec } from "./mac.ts";

/**
 * `packet` followed by `trailer` more bytes for its tag or MAC, in place when the packet's
 * buffer has that room after it (the codec leaves it, transport/packet_codec.ts), else a copy.
 */
export function withTrailerRoom(packet: Uint8Array, trailer: number): Uint8Array {
  const n = packet.length + trailer;
  if (packet.byteOffset + n <= packet.buffer.byteLength) {
    return new Uint8Array(packet.buffer, packet.byteOffset, n);
  }
  const wire = new Uint8Array(n);
  wire.set(packet);
  return wire;
}

export interface PacketSealer {
  /** Padding aligns to this (at least 8). */
  readonly blockSize: number;
  /** True when the length field is outside the aligned region (AEAD and EtM modes). */
  readonly lengthExcluded: boolean;
  /**
   * Seals one plaintext packet (`packet` may be overwritten). Returns the wire bytes: the packet
   * followed by its tag/MAC. `seq` is the packet's sequence number (u32).
   */
  seal(seq: number, packet: Uint8Array): Uint8Array | Promise<Uint8Array>;
  /**
   * True when the next seal() will have read all of `packet` by the time it returns (it keeps
   * no view of it), so the transport may reuse the packet's buffer. Read before each call.
   */
  readonly releasesPacket?: boolean;
  /**
   * Optional, used by the transport instead of `seal` when present: the same wire bytes as
   * parts to be written back to back (the transport copies them into its write buffer, so the
   * sealer need not join them into a new one per packet).
   */
  sealParts?(seq: number, packet: Uint8Array): Uint8Array[] | Promise<Uint8Array[]>;
  /** Which implementation carries it, for the verbose log (crypto_backend.ts). */
  readonly backend?: string;
  /**
   * Frees native contexts (libcrypto) once the transport has replaced this sealer or closed.
   * Idempotent; a finalizer frees whatever was never disposed.
   */
  dispose?(): void;
}

export interface PacketOpener {
  readonly blockSize: number;
  readonly lengthExcluded: boolean;
  /** Bytes of the packet needed before `packetLength` can be called. */
  readonly headLength: number;
  /** Bytes after the packet on the wire (tag or MAC). */
  readonly tagLength: number;
  /**
   * True when `packetLength` has no side effects and `open` is asynchronous (WebCrypto), so the
   * reader may cut and start opening several packets before the first one resolves.
   */
  readonly pipelined?: boolean;
  /**
   * True when a pipelined `open` has copied `wire` by the time it returns (WebCrypto does), so
   * the reader may hand it a view of its input buffer instead of a copy.
   */
  readonly inputCopied?: boolean;
  /**
   * The packet_length field of the packet whose first `headLength` wire bytes are `head`.
   * Called exactly once per packet, in order, before `open` for that packet.
   */
  packetLength(seq: number, head: Uint8Array): number;
  /**
   * Verifies and decrypts one packet: `wire` is `4 + packet_length + tagLength` bytes.
   * Returns `padding_length | payload | padding`. Throws ProtocolError on a bad MAC/tag.
   */
  open(seq: number, wire: Uint8Array): Uint8Array | Promise<Uint8Array>;
  /** As for PacketSealer. */
  readonly backend?: string;
  /** As for PacketSealer: called once no packet will be opened with these keys again. */
  dispose?(): void;
}

export interface CipherSpec {
  readonly name: string;
  readonly keyLength: number;
  readonly ivLength: number;
  readonly blockSize: number;
  /** True for ciphers with built-in integrity; no MAC is negotiated for them (RFC 5647 §5.1). */
  readonly aead: boolean;
  sealer(key: Uint8Array, iv: Uint8Array, mac?: MacSpec, macKey?: Uint8Array): PacketSealer;
  opener(key: Uint8Array, iv: Uint8Array, mac?: MacSpec, macKey?: Uint8Array): PacketOpener;
}
