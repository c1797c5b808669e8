// mlkem768x25519-sha256 (draft-ietf-sshm-mlkem-hybrid-kex; OpenSSH 9.9+ default).
// Client sends C_INIT = ML-KEM-768 encapsulation key (1184) || X25519 public (32); the server
// answers S_REPLY = ML-KEM ciphertext (1088) || X25519 public (32). The shared secret is
// K = SHA-256(mlkem_secret || x25519_secret), encoded as a `string` (not an mpint) in H and in
// key derivation. UNTESTED against a live server: sshd 9.2 here does not offer it.

import { ProtocolError } from "../../../errors.ts";
import { WireWriter } from "../../../wire/writer.ts";
import { digest } from "../../crypto/hash.ts";
import { x25519Pair } from "./ecdh.ts";
import type { KexClient, KexMethod } from "./kex_method.ts";

export const MLKEM768_PUBLIC = 1184;
export const MLKEM768_CIPHERTEXT = 1088;
const X25519_PUBLIC = 32;

// The ML-KEM WebCrypto names are newer than the DOM typings Deno ships with.
type Subtle = {
  generateKey(alg: unknown, ext: boolean, usages: string[]): Promise<CryptoKeyPair>;
  exportKey(format: string, key: CryptoKey): Promise<ArrayBuffer>;
  importKey(format: string, data: BufferSource, alg: unknown, ext: boolean, u: string[]): Promise<
    CryptoKey
  >;
  decapsulateBits(alg: unknown, key: CryptoKey, ct: BufferSource): Promise<ArrayBuffer>;
  getPublicKey(key: CryptoKey, usages: string[]): Promise<CryptoKey>;
};
const subtle = crypto.subtle as unknown as Subtle;

/** An ML-KEM-768 key pair from a 64-byte seed (d || z), for known-answer tests. */
export async function mlkemPairFromSeed(seed: Uint8Array): Promise<CryptoKeyPair> {
  const privateKey = await subtle.importKey(
    "raw-seed",
    seed as BufferSource,
    {
      name: "ML-KEM-768",
    },
    true,
    ["decapsulateBits"],
  );
  const publicKey = await subtle.getPublicKey(privateKey, ["encapsulateBits"]);
  return { privateKey, publicKey };
}

/** The client side of the hybrid exchange with a given ML-KEM key pair (exported for tests). */
export async function mlkemHybridClient(kem: CryptoKeyPair): Promise<KexClient> {
  const x = await x25519Pair();
  const ek = new Uint8Array(await subtle.exportKey("raw-public", kem.publicKey));
  const init = new Uint8Array(ek.length + X25519_PUBLIC);
  init.set(ek);
  init.set(x.publicRaw, ek.length);
  return {
    clientField: new WireWriter(init.length + 4).string(init).finish(),
    async finish(reply) {
      if (reply.length !== MLKEM768_CIPHERTEXT + X25519_PUBLIC) {
        throw new ProtocolError(`invalid mlkem768x25519 reply length ${reply.length}`);
      }
      let kemSecret: Uint8Array;
      try {
        kemSecret = new Uint8Array(
          await subtle.decapsulateBits(
            { name: "ML-KEM-768" },
            kem.privateKey,
            reply.slice(0, MLKEM768_CIPHERTEXT),
          ),
        );
      } catch (e) {
        throw new ProtocolError(`ML-KEM decapsulation failed: ${e}`);
      }
      const ecdhSecret = await x.derive(reply.subarray(MLKEM768_CIPHERTEXT));
      const k = digest("SHA-256", kemSecret, ecdhSecret);
      return new WireWriter(40).string(k).finish();
    },
  };
}

export const MLKEM768X25519_SHA256: KexMethod = {
  name: "mlkem768x25519-sha256",
  hash: "SHA-256",
  async start() {
    const kem = await subtle.generateKey({ name: "ML-KEM-768" }, false, [
      "decapsulateBits",
      "encapsulateBits",
    ]);
    return mlkemHybridClient(kem);
  },
};
