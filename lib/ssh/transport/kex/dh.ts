// diffie-hellman-group14-sha256, diffie-hellman-group16-sha512 (RFC 8268) and, only when asked
// for, diffie-hellman-group14-sha1 (RFC 4253 §8): finite-field DH over the RFC 3526 MODP groups
// with BigInt modular exponentiation. Slower than ECDH; offered last as a fallback.
// The primes were taken from OpenSSL's built-in named groups modp_2048 / modp_4096.

import { ProtocolError } from "../../../errors.ts";
import { WireReader } from "../../../wire/reader.ts";
import { WireWriter } from "../../../wire/writer.ts";
import type { HashName } from "../../crypto/hash.ts";
import type { KexClient, KexMethod } from "./kex_method.ts";

const GROUP14_P = BigInt(
  "0xFFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E3404DDEF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7EDEE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF0598DA48361C55D39A69163FA8FD24CF5F83655D23DCA3AD961C62F356208552BB9ED529077096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3BE39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF6955817183995497CEA956AE515D2261898FA051015728E5A8AACAA68FFFFFFFFFFFFFFFF",
);
const GROUP16_P = BigInt(
  "0xFFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E3404DDEF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7EDEE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF0598DA48361C55D39A69163FA8FD24CF5F83655D23DCA3AD961C62F356208552BB9ED529077096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3BE39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF6955817183995497CEA956AE515D2261898FA051015728E5A8AAAC42DAD33170D04507A33A85521ABDF1CBA64ECFB850458DBEF0A8AEA71575D060C7DB3970F85A6E1E4C7ABF5AE8CDB0933D71E8C94E04A25619DCEE3D2261AD2EE6BF12FFA06D98A0864D87602733EC86A64521F2B18177B200CBBE117577A615D6C770988C0BAD946E208E24FA074E5AB3143DB5BFCE0FD108E4B82D120A92108011A723C12A787E6D788719A10BDBA5B2699C327186AF4E23C1A946834B6150BDA2583E9CA2AD44CE8DBBBC2DB04DE8EF92E8EFC141FBECAA6287C59474E6BC05D99B2964FA090C3A2233BA186515BE7ED1F612970CEE2D7AFB81BDD762170481CD0069127D5B05AA993B4EA988D8FDDC186FFB7DC90A6C08F4DF435C934063199FFFFFFFFFFFFFFFF",
);

/** base^exp mod m (square-and-multiply, left to right). */
export function modPow(base: bigint, exp: bigint, m: bigint): bigint {
  let result = 1n;
  const b = base % m;
  const bits = exp.toString(2);
  for (let i = 0; i < bits.length; i++) {
    result = (result * result) % m;
    if (bits[i] === "1") result = (result * b) % m;
  }
  return result;
}

function randomBigInt(bytes: number): bigint {
  const r = crypto.getRandomValues(new Uint8Array(bytes));
  let v = 0n;
  for (const x of r) v = (v << 8n) | BigInt(x);
  return v;
}

function dhMethod(name: string, hash: HashName, p: bigint, exponentBytes: number): KexMethod {
  return {
    name,
    hash,
    start(): Promise<KexClient> {
      // A private exponent of at least twice the group's security strength (RFC 8268 §4); the
      // top bit is set so it always has its full length.
      const x = randomBigInt(exponentBytes) | (1n << BigInt(exponentBytes * 8 - 1));
      const e = modPow(2n, x, p);
      return Promise.resolve({
        clientField: new WireWriter(p.toString(16).length / 2 + 8).mpint(e).finish(),
        finish(serverField: Uint8Array): Promise<Uint8Array> {
          return Promise.resolve().then(() => {
            // The reply's f is an mpint; re-read it from its string form.
            const f = new WireReader(
              new WireWriter(serverField.length + 4).string(serverField).finish(),
            )
              .mpint();
            if (f <= 1n || f >= p - 1n) throw new ProtocolError("invalid DH value f from server");
            const k = modPow(f, x, p);
            return new WireWriter(p.toString(16).length / 2 + 8).mpint(k).finish();
          });
        },
      });
    },
  };
}

export const DH_GROUP14_SHA256 = dhMethod(
  "diffie-hellman-group14-sha256",
  "SHA-256",
  GROUP14_P,
  32,
);
export const DH_GROUP16_SHA512 = dhMethod(
  "diffie-hellman-group16-sha512",
  "SHA-512",
  GROUP16_P,
  64,
);
export const DH_GROUP14_SHA1 = dhMethod("diffie-hellman-group14-sha1", "SHA-1", GROUP14_P, 32);
