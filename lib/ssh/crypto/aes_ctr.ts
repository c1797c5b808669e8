// aes128-ctr, aes192-ctr, aes256-ctr (RFC 4344): one continuous keystream per direction whose
// 128-bit big-endian counter starts at the derived IV. On libcrypto (the default) one EVP
// context keeps that state across packets synchronously, for either MAC layout. The fallback
// keeps it in node:crypto for the classic MAC layout (the length sits in the first encrypted
// block, so it must be decrypted synchronously) and pipelines WebCrypto for EtM (aes_ctr_etm.ts).

import { LibcryptoStream } from "../../../ffi/crypto.ts";
import type { CipherSpec, PacketOpener, PacketSealer } from "./cipher.ts";
import { cryptoBackend } from "./crypto_backend.ts";
import { type MacSpec, packetMac } from "./mac.ts";
import { type StreamCipher, StreamMacOpener, StreamMacSealer } from "./stream_mac.ts";
import { CtrEtmOpener, CtrEtmSealer } from "./aes_ctr_etm.ts";
import { nodeCrypto } from "./node_crypto.ts";

function nodeCtr(bits: number, key: Uint8Array, iv: Uint8Array): StreamCipher {
  const c = nodeCrypto().createCipheriv(`aes-${bits}-ctr`, key, iv);
  return {
    backend: "webcrypto (node:crypto AES-CTR)",
    xor(src, dst) {
      dst.set(c.update(src));
    },
  };
}

function libcryptoCtr(bits: number, key: Uint8Array, iv: Uint8Array): StreamCipher {
  const s = new LibcryptoStream(`aes-${bits as 128 | 192 | 256}-ctr`, key, iv);
  return {
    backend: "libcrypto",
    xor: (src, dst) => s.xor(src, dst),
    dispose: () => s.free(),
  };
}

function ctrSpec(bits: number): CipherSpec {
  const libcrypto = () => cryptoBackend("aes-ctr") === "libcrypto";
  const macOf = (mac?: MacSpec, macKey?: Uint8Array) =>
    mac && macKey ? packetMac(mac, macKey) : undefined;
  return {
    name: `aes${bits}-ctr`,
    keyLength: bits / 8,
    ivLength: 16,
    blockSize: 16,
    aead: false,
    sealer(key, iv, mac, macKey): PacketSealer {
      const etm = mac?.etm ?? false;
      if (libcrypto()) {
        return new StreamMacSealer(libcryptoCtr(bits, key, iv), 16, macOf(mac, macKey), etm);
      }
      if (etm && mac && macKey) return new CtrEtmSealer(key, iv, mac, macKey);
      return new StreamMacSealer(nodeCtr(bits, key, iv), 16, macOf(mac, macKey), etm);
    },
    opener(key, iv, mac, macKey): PacketOpener {
      const etm = mac?.etm ?? false;
      if (libcrypto()) {
        return new StreamMacOpener(libcryptoCtr(bits, key, iv), 16, macOf(mac, macKey), etm);
      }
      if (etm && mac && macKey) return new CtrEtmOpener(key, iv, mac, macKey);
      return new StreamMacOpener(nodeCtr(bits, key, iv), 16, macOf(mac, macKey), etm);
    },
  };
}

export const AES_CTR_CIPHERS: readonly CipherSpec[] = [ctrSpec(128), ctrSpec(192), ctrSpec(256)];
