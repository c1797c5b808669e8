// Binary packet protocol framing (RFC 4253 §6): padding on the way out, length checks on the
// way in. Encryption and integrity are the sealer's/opener's business (crypto/cipher.ts).

import { ProtocolError, SizeLimitError } from "../../errors.ts";
import type { PacketOpener, PacketSealer } from "../crypto/cipher.ts";
import { NONE_STREAM, StreamMacOpener, StreamMacSealer } from "../crypto/stream_mac.ts";
import { MAX_PACKET_LENGTH } from "./constants.ts";
import { sizeClass, SizeClassPool } from "../size_class_pool.ts";

/** Minimum padding (RFC 4253 §6). */
const MIN_PADDING = 4;
/**
 * Spare bytes allocated after each built packet (not part of the returned view). A sealer may
 * read, never write, them to have a cipher produce packet-plus-tag-sized output in one call.
 */
export const PACKET_TAIL_ROOM = 16;

/** Bytes before a payload for packet_length and padding_length. */
const HEAD_ROOM = 5;
/** Room after an allocPayload payload: the most padding any of our ciphers needs, plus tail. */
const SPARE_AFTER = MIN_PADDING + 32 + PACKET_TAIL_ROOM;
/** Payloads from allocPayload whose buffer's spare bytes have not been used yet. */
const roomy = new WeakSet<Uint8Array>();
/** allocPayload's buffers not yet handed back through recyclePacket. */
const lent = new WeakSet<ArrayBuffer>();
/**
 * Buffers handed back: bulk data packets come in a few sizes, so buffers go round instead of
 * one fresh 32 KiB allocation (zeroing, page faults, GC) per packet. Up to the outbox's high
 * water mark (4 MiB, ~128 packets) can be queued at once. With 32 spares per 4 KiB size class
 * a 300 MB aes128-gcm upload still allocated ~580 fresh buffers; with every payload up to a
 * full 32 KiB channel packet in one class (sizeClass) and 64 spares (~2.3 MiB), ~30.
 */
const spare = new SizeClassPool(64, 4);

/**
 * A payload buffer of `n` bytes with unused room before and after it in the same ArrayBuffer,
 * so buildPacket can frame it in place instead of copying (bulk channel data). The room
 * belongs to the packet: nobody else may hold views of it. The bytes are not necessarily zero
 * (buffers are reused): the caller fills all `n`. Any transport accepts the result like any
 * other payload.
 */
export function allocPayload(n: number): Uint8Array {
  const need = HEAD_ROOM + n + SPARE_AFTER;
  const buf = spare.take(sizeClass(need));
  lent.add(buf);
  const p = new Uint8Array(buf, HEAD_ROOM, n);
  roomy.add(p);
  return p;
}

/**
 * Takes back the buffer of a packet buildPacket framed in place around an allocPayload payload,
 * once nothing reads it any more (the sealer has released it and the payload was consumed by
 * the transport). Other packets are left alone.
 */
export function recyclePacket(packet: Uint8Array): void {
  const buf = packet.buffer as ArrayBuffer;
  if (lent.delete(buf)) spare.give(buf);
}

/** The protection used before the first NEWKEYS: no cipher, no MAC, 8-byte alignment. */
export function noneSealer(): PacketSealer {
  return new StreamMacSealer(NONE_STREAM, 8);
}
export function noneOpener(): PacketOpener {
  return new StreamMacOpener(NONE_STREAM, 8);
}

/**
 * Builds the plaintext packet `u32 packet_length | u8 padding_length | payload | padding`
 * aligned for `sealer`. Padding bytes are random.
 */
export function buildPacket(payload: Uint8Array, sealer: PacketSealer): Uint8Array {
  const bs = Math.max(8, sealer.blockSize);
  const aligned = (sealer.lengthExcluded ? 0 : 4) + 1 + payload.length;
  let pad = bs - (aligned % bs);
  if (pad < MIN_PADDING) pad += bs;
  const packetLength = 1 + payload.length + pad;
  if (packetLength > MAX_PACKET_LENGTH) {
    throw new SizeLimitError(`outgoing packet too large (${payload.length} bytes of payload)`);
  }
  let p: Uint8Array;
  if (
    roomy.delete(payload) && payload.byteOffset >= HEAD_ROOM &&
    payload.byteOffset + packetLength - 1 + PACKET_TAIL_ROOM <= payload.buffer.byteLength
  ) {
    // Framed in place around the payload (allocPayload); the payload bytes stay as they are.
    p = new Uint8Array(payload.buffer, payload.byteOffset - HEAD_ROOM, 4 + packetLength);
  } else {
    p = new Uint8Array(4 + packetLength + PACKET_TAIL_ROOM).subarray(0, 4 + packetLength);
    p.set(payload, 5);
  }
  p[0] = packetLength >>> 24;
  p[1] = packetLength >>> 16;
  p[2] = packetLength >>> 8;
  p[3] = packetLength;
  p[4] = pad;
  randomPadding(p, 5 + payload.length, pad);
  return p;
}

/**
 * Random bytes for padding, fetched 4 KiB at a time: one getRandomValues call per packet cost
 * more than filling its few padding bytes. Every byte is handed out once.
 */
const randomPool = new Uint8Array(4096);
let randomUsed = randomPool.length;

function randomPadding(p: Uint8Array, at: number, n: number): void {
  if (randomUsed + n > randomPool.length) {
    crypto.getRandomValues(randomPool);
    randomUsed = 0;
  }
  for (let i = 0; i < n; i++) p[at + i] = randomPool[randomUsed + i];
  randomUsed += n;
}

/** Checks a received packet_length; returns the total wire size of the packet. */
export function checkPacketLength(len: number, opener: PacketOpener): number {
  if (len < 1 + MIN_PADDING || len > MAX_PACKET_LENGTH) {
    throw new SizeLimitError(`Bad packet length ${len}.`);
  }
  const aligned = opener.lengthExcluded ? len : len + 4;
  if (aligned % Math.max(8, opener.blockSize) !== 0) {
    throw new ProtocolError(`padding error: need ${len} block ${opener.blockSize}`);
  }
  return 4 + len + opener.tagLength;
}

/** Extracts the payload from `padding_length | payload | padding`. */
export function payloadOf(plain: Uint8Array): Uint8Array {
  const pad = plain[0];
  if (pad < MIN_PADDING || pad + 1 > plain.length) {
    throw new ProtocolError(`Bad padding length ${pad} in a ${plain.length}-byte packet`);
  }
  const payload = plain.subarray(1, plain.length - pad);
  if (payload.length === 0) throw new ProtocolError("empty packet payload");
  return payload;
}
