// aes128-ctr, aes192-ctr, aes256-ctr (RFC 4344): one continuous keystream per direction whose
// 128-bit big-endian counter starts at the derived IV. node:crypto keeps that state across
// update() calls synchronously, so the packet length can be decrypted without an async round trip.

import { createCipheriv } from "node:crypto";
import type { CipherSpec } from "./cipher.ts";
import { type StreamCipher, StreamMacOpener, StreamMacSealer } from "./stream_mac.ts";

function ctrStream(bits: number, key: Uint8Array, iv: Uint8Array): StreamCipher {
  const c = createCipheriv(`aes-${bits}-ctr`, key, iv);
  return {
    update(d) {
      const out = c.update(d);
      return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
    },
  };
}

function ctrSpec(bits: number): CipherSpec {
  return {
    name: `aes${bits}-ctr`,
    keyLength: bits / 8,
    ivLength: 16,
    blockSize: 16,
    aead: false,
    sealer: (key, iv, mac, macKey) =>
      new StreamMacSealer(ctrStream(bits, key, iv), 16, mac, macKey),
    opener: (key, iv, mac, macKey) =>
      new StreamMacOpener(ctrStream(bits, key, iv), 16, mac, macKey),
  };
}

export const AES_CTR_CIPHERS: readonly CipherSpec[] = [ctrSpec(128), ctrSpec(192), ctrSpec(256)];
