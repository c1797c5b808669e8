// Decrypting passphrase-protected PEM keys, as ssh reads them through OpenSSL:
// "traditional" PEM (Proc-Type: 4,ENCRYPTED + DEK-Info; key = EVP_BytesToKey(MD5, salt = IV[0..8]))
// and PKCS#8 "ENCRYPTED PRIVATE KEY" (PBES2 = PBKDF2 + AES/3DES-CBC). node:crypto does the CBC
// (with its PKCS#7 padding, which these formats use) and MD5; a wrong passphrase shows as bad
// padding or as garbage DER, both reported as IncorrectPassphraseError.
// Callers load node:crypto first (node_crypto.ts): pem_key.ts does before decrypting.

import { nodeCrypto } from "../crypto/node_crypto.ts";
import { derItems, hex, octets, oidHex, seq, smallInt } from "./der.ts";
import { IncorrectPassphraseError, KeyFormatError } from "./key_errors.ts";

const TRADITIONAL: Record<string, { cipher: string; keyLen: number; ivLen: number }> = {
  "AES-128-CBC": { cipher: "aes-128-cbc", keyLen: 16, ivLen: 16 },
  "AES-192-CBC": { cipher: "aes-192-cbc", keyLen: 24, ivLen: 16 },
  "AES-256-CBC": { cipher: "aes-256-cbc", keyLen: 32, ivLen: 16 },
  "DES-EDE3-CBC": { cipher: "des-ede3-cbc", keyLen: 24, ivLen: 8 },
};

/** PBKDF2 iteration cap: real files use 2048–600000; more is a stall, not a key. */
const MAX_PBKDF2_ITERATIONS = 10_000_000;

function cbcDecrypt(cipher: string, key: Uint8Array, iv: Uint8Array, data: Uint8Array) {
  try {
    const d = nodeCrypto().createDecipheriv(cipher, key, iv);
    const a = d.update(data);
    const b = d.final(); // throws on bad padding: almost always a wrong passphrase
    const out = new Uint8Array(a.length + b.length);
    out.set(a);
    out.set(b, a.length);
    return out;
  } catch {
    throw new IncorrectPassphraseError();
  }
}

/** The decrypted DER must at least be one well-formed SEQUENCE covering the whole buffer. */
function checkDer(der: Uint8Array): Uint8Array {
  try {
    const items = derItems(der);
    if (items.length !== 1 || items[0].tag !== 0x30) throw new Error();
  } catch {
    throw new IncorrectPassphraseError();
  }
  return der;
}

/** Traditional PEM: `headers` are the lines before the base64 body. */
export function decryptTraditional(headers: string, body: Uint8Array, pass: string): Uint8Array {
  const m = /DEK-Info:\s*([A-Z0-9-]+),([0-9A-Fa-f]+)/.exec(headers);
  if (!m) throw new KeyFormatError("invalid format: encrypted PEM without DEK-Info");
  const spec = TRADITIONAL[m[1].toUpperCase()];
  if (!spec) throw new KeyFormatError(`unsupported PEM cipher ${m[1]}`);
  const iv = Uint8Array.from(m[2].match(/../g) ?? [], (h) => parseInt(h, 16));
  if (iv.length !== spec.ivLen) throw new KeyFormatError("invalid format: bad PEM IV");
  // EVP_BytesToKey(MD5, one round): D1 = MD5(pass ‖ salt), Di = MD5(Di-1 ‖ pass ‖ salt).
  const passBytes = new TextEncoder().encode(pass);
  const salt = iv.subarray(0, 8);
  const key = new Uint8Array(spec.keyLen);
  let prev = new Uint8Array(0);
  for (let off = 0; off < key.length; off += prev.length) {
    prev = new Uint8Array(
      nodeCrypto().createHash("md5").update(prev).update(passBytes).update(salt).digest(),
    );
    key.set(prev.subarray(0, key.length - off), off);
  }
  return checkDer(cbcDecrypt(spec.cipher, key, iv, body));
}

const OID_PBES2 = "2a864886f70d01050d";
const OID_PBKDF2 = "2a864886f70d01050c";
const PRF: Record<string, string> = {
  "2a864886f70d0207": "sha1",
  "2a864886f70d0209": "sha256",
  "2a864886f70d020a": "sha384",
  "2a864886f70d020b": "sha512",
};
const PBES2_CIPHERS: Record<string, { cipher: string; keyLen: number }> = {
  "608648016503040102": { cipher: "aes-128-cbc", keyLen: 16 },
  "608648016503040116": { cipher: "aes-192-cbc", keyLen: 24 },
  "60864801650304012a": { cipher: "aes-256-cbc", keyLen: 32 },
  "2a864886f70d0307": { cipher: "des-ede3-cbc", keyLen: 24 },
};

/** PKCS#8 EncryptedPrivateKeyInfo with PBES2; returns the plain PKCS#8 DER. */
export function decryptPkcs8(der: Uint8Array, pass: string): Uint8Array {
  const top = seq(derItems(der)[0]);
  const alg = seq(top[0]);
  if (oidHex(alg[0]) !== OID_PBES2) throw new KeyFormatError("unsupported PKCS#8 encryption");
  const [kdf, enc] = seq(alg[1]).map((d) => seq(d));
  if (oidHex(kdf[0]) !== OID_PBKDF2) throw new KeyFormatError("unsupported PKCS#8 key derivation");
  const params = seq(kdf[1]);
  const salt = octets(params[0]);
  const iterations = smallInt(params[1]);
  if (iterations < 1 || iterations > MAX_PBKDF2_ITERATIONS) {
    throw new KeyFormatError(`unsupported PBKDF2 iteration count ${iterations}`);
  }
  // Optional keyLength INTEGER, then optional PRF AlgorithmIdentifier (default HMAC-SHA1).
  const prfItem = params.slice(2).find((d) => d.tag === 0x30);
  const prf = prfItem ? PRF[oidHex(seq(prfItem)[0])] : "sha1";
  if (!prf) throw new KeyFormatError("unsupported PBKDF2 PRF");
  const cipher = PBES2_CIPHERS[oidHex(enc[0])];
  if (!cipher) throw new KeyFormatError(`unsupported PKCS#8 cipher ${hex(enc[0].body)}`);
  const iv = octets(enc[1]);
  const key = new Uint8Array(nodeCrypto().pbkdf2Sync(pass, salt, iterations, cipher.keyLen, prf));
  return checkDer(cbcDecrypt(cipher.cipher, key, iv, octets(top[1])));
}
