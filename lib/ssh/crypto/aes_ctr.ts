// aes128-ctr, aes192-ctr, aes256-ctr (RFC 4344): one continuous keystream per direction whose
// 128-bit big-endian counter starts at the derived IV. With a classic MAC, node:crypto keeps
// that state across update() calls synchronously, so the packet length can be decrypted
// without an async round trip; with an EtM MAC see aes_ctr_etm.ts.

import { createCipheriv } from "node:crypto";
import type { CipherSpec } from "./cipher.ts";
import { type StreamCipher, StreamMacOpener, StreamMacSealer } from "./stream_mac.ts";
import { CtrEtmOpener, CtrEtmSealer } from "./aes_ctr_etm.ts";

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
    // With an EtM MAC the WebCrypto path opens several packets at once; the classic MAC
    // layout needs the first block decrypted synchronously, so it stays on node:crypto.
    sealer: (key, iv, mac, macKey) =>
      mac?.etm && macKey
        ? new CtrEtmSealer(key, iv, mac, macKey)
        : new StreamMacSealer(ctrStream(bits, key, iv), 16, mac, macKey),
    opener: (key, iv, mac, macKey) =>
      mac?.etm && macKey
        ? new CtrEtmOpener(key, iv, mac, macKey)
        : new StreamMacOpener(ctrStream(bits, key, iv), 16, mac, macKey),
  };
}

export const AES_CTR_CIPHERS: readonly CipherSpec[] = [ctrSpec(128), ctrSpec(192), ctrSpec(256)];
