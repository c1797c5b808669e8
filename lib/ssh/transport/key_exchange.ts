// The pieces of RFC 4253 §7.2-§8 that do not depend on the method: the exchange hash H, key
// derivation, and checking the server's signature over H with its host key.

import { ProtocolError } from "../../errors.ts";
import { WireReader } from "../../wire/reader.ts";
import { WireWriter } from "../../wire/writer.ts";
import { digest, type HashName } from "../crypto/hash.ts";
import { keyTypeForAlgorithm, parsePublicKey, parseSignatureBlob } from "../keys/public_key.ts";
import { SSH_MSG_KEX_ECDH_REPLY } from "./constants.ts";

export interface ExchangeHashInput {
  clientVersion: string;
  serverVersion: string;
  clientKexInit: Uint8Array;
  serverKexInit: Uint8Array;
  hostKey: Uint8Array;
  /** Our public value, already encoded (string or mpint). */
  clientField: Uint8Array;
  /** The server's public value: the raw bytes of its string/mpint. */
  serverField: Uint8Array;
  /** K, already encoded (mpint or string). */
  sharedSecret: Uint8Array;
}

export function exchangeHash(hash: HashName, i: ExchangeHashInput): Uint8Array {
  const w = new WireWriter(2048);
  w.string(i.clientVersion).string(i.serverVersion);
  w.string(i.clientKexInit).string(i.serverKexInit).string(i.hostKey);
  w.raw(i.clientField).string(i.serverField).raw(i.sharedSecret);
  return digest(hash, w.finish());
}

/**
 * Derives `length` bytes of key material for `letter` ("A".."F"): K1 = HASH(K || H || X ||
 * session_id), K(n+1) = HASH(K || H || K1 || ... || Kn).
 */
export function deriveKey(
  hash: HashName,
  sharedSecret: Uint8Array,
  h: Uint8Array,
  letter: string,
  sessionId: Uint8Array,
  length: number,
): Uint8Array {
  const out = new Uint8Array(length);
  if (length === 0) return out;
  let have = digest(hash, sharedSecret, h, new TextEncoder().encode(letter), sessionId);
  while (have.length < length) {
    const next = digest(hash, sharedSecret, h, have);
    const grown = new Uint8Array(have.length + next.length);
    grown.set(have);
    grown.set(next, have.length);
    have = grown;
  }
  out.set(have.subarray(0, length));
  return out;
}

export interface KexReply {
  hostKey: Uint8Array;
  serverField: Uint8Array;
  signature: Uint8Array;
}

/** Parses SSH_MSG_KEX_ECDH_REPLY / KEXDH_REPLY / KEX_HYBRID_REPLY. */
export function parseKexReply(payload: Uint8Array): KexReply {
  const r = new WireReader(payload);
  if (r.u8() !== SSH_MSG_KEX_ECDH_REPLY) throw new ProtocolError("expected a kex reply");
  const hostKey = Uint8Array.from(r.string());
  const serverField = Uint8Array.from(r.string());
  const signature = Uint8Array.from(r.string());
  r.expectEnd("kex reply");
  return { hostKey, serverField, signature };
}

/**
 * Verifies the server's signature over H with its host key. The key's type must match the
 * negotiated host key algorithm and the signature must use that algorithm (as OpenSSH checks).
 */
export async function verifyHostSignature(
  hostKeyAlgorithm: string,
  hostKey: Uint8Array,
  signatureBlob: Uint8Array,
  h: Uint8Array,
): Promise<void> {
  const key = parsePublicKey(hostKey);
  if (keyTypeForAlgorithm(hostKeyAlgorithm) !== key.type) {
    throw new ProtocolError(
      `Server host key type ${key.type} does not match the negotiated ${hostKeyAlgorithm}`,
    );
  }
  const { algorithm, signature } = parseSignatureBlob(signatureBlob);
  if (algorithm !== hostKeyAlgorithm) {
    throw new ProtocolError(
      `Server signed with ${algorithm.slice(0, 64)}, expected ${hostKeyAlgorithm}`,
    );
  }
  let ok = false;
  try {
    ok = await key.verify(algorithm, signature, h);
  } catch {
    ok = false;
  }
  if (!ok) throw new ProtocolError("ssh_dispatch_run_fatal: incorrect signature");
}
