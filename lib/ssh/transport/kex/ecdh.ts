// curve25519-sha256 (RFC 8731) and ecdh-sha2-nistp256/384/521 (RFC 5656 §4) on WebCrypto.
// K is the X coordinate / X25519 output read as an unsigned big-endian number, sent as mpint.
// WebCrypto throws on an all-zero X25519 result (low-order point), which RFC 8731 requires us
// to treat as a failure; P-521 needs deriveBits(528) (66-byte coordinates).

import { ProtocolError } from "../../../errors.ts";
import { WireWriter } from "../../../wire/writer.ts";
import type { HashName } from "../../crypto/hash.ts";
import type { KexClient, KexMethod } from "./kex_method.ts";

/** An ephemeral WebCrypto key pair and its raw public key. */
export interface EcdhPair {
  readonly publicRaw: Uint8Array;
  /** The raw shared secret with the peer's raw public key. */
  derive(peerRaw: Uint8Array): Promise<Uint8Array>;
}

type Alg = { name: "X25519" } | { name: "ECDH"; namedCurve: "P-256" | "P-384" | "P-521" };

async function generatePair(alg: Alg, pubLen: number, bits: number): Promise<EcdhPair> {
  const kp = await crypto.subtle.generateKey(alg, true, ["deriveBits"]) as CryptoKeyPair;
  const publicRaw = new Uint8Array(await crypto.subtle.exportKey("raw", kp.publicKey));
  return {
    publicRaw,
    async derive(peerRaw) {
      if (peerRaw.length !== pubLen) {
        throw new ProtocolError(`invalid server public key length ${peerRaw.length}`);
      }
      try {
        const peer = await crypto.subtle.importKey("raw", peerRaw as BufferSource, alg, false, []);
        return new Uint8Array(
          await crypto.subtle.deriveBits({ name: alg.name, public: peer }, kp.privateKey, bits),
        );
      } catch (e) {
        throw new ProtocolError(`key exchange failed: invalid server public key (${e})`);
      }
    },
  };
}

export function x25519Pair(): Promise<EcdhPair> {
  return generatePair({ name: "X25519" }, 32, 256);
}

function ecdhMethod(
  name: string,
  hash: HashName,
  alg: Alg,
  pubLen: number,
  bits: number,
): KexMethod {
  return {
    name,
    hash,
    async start(): Promise<KexClient> {
      const pair = await generatePair(alg, pubLen, bits);
      return {
        clientField: new WireWriter(pubLen + 4).string(pair.publicRaw).finish(),
        async finish(serverField) {
          const k = await pair.derive(serverField);
          return new WireWriter(k.length + 8).mpintBytes(k).finish();
        },
      };
    },
  };
}

export const CURVE25519_SHA256 = ecdhMethod(
  "curve25519-sha256",
  "SHA-256",
  { name: "X25519" },
  32,
  256,
);
export const CURVE25519_SHA256_LIBSSH = {
  ...CURVE25519_SHA256,
  name: "curve25519-sha256@libssh.org",
};
export const ECDH_NISTP256 = ecdhMethod(
  "ecdh-sha2-nistp256",
  "SHA-256",
  { name: "ECDH", namedCurve: "P-256" },
  65,
  256,
);
export const ECDH_NISTP384 = ecdhMethod(
  "ecdh-sha2-nistp384",
  "SHA-384",
  { name: "ECDH", namedCurve: "P-384" },
  97,
  384,
);
export const ECDH_NISTP521 = ecdhMethod(
  "ecdh-sha2-nistp521",
  "SHA-512",
  { name: "ECDH", namedCurve: "P-521" },
  133,
  528,
);
