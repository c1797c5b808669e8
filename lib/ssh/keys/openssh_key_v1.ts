// The openssh-key-v1 private key container (OpenSSH PROTOCOL.key): the armored file, its cleartext
// header (cipher, KDF, public key) and the encrypted private section with its check-ints.
// Decryption: bcrypt_pbkdf (npm bcrypt-pbkdf) derives key‖iv; AES-CTR/GCM via WebCrypto, CBC via
// node:crypto (WebCrypto's CBC insists on PKCS#7 padding, which the key format does not use).

import { chacha20orig } from "@noble/ciphers/chacha";
import { poly1305 } from "@noble/ciphers/poly1305";
import { loadNodeCrypto, nodeCrypto } from "../crypto/node_crypto.ts";
import { WireReader } from "../../wire/reader.ts";
import { IncorrectPassphraseError, KeyFormatError, PassphraseRequiredError } from "./key_errors.ts";

const BEGIN = "-----BEGIN OPENSSH PRIVATE KEY-----";
const END = "-----END OPENSSH PRIVATE KEY-----";
const MAGIC = new TextEncoder().encode("openssh-key-v1\0");

/** Larger than any real key file (a 16384-bit RSA key is ~13 KiB armored). */
export const MAX_KEY_FILE_BYTES = 256 * 1024;
/** bcrypt rounds cap: each round costs ~20 ms here; ssh-keygen's default is 16. */
export const MAX_KDF_ROUNDS = 10_000;

interface CipherSpec {
  keyLen: number;
  ivLen: number;
  blockSize: number;
  mode: "none" | "ctr" | "gcm" | "cbc" | "chachapoly";
  /** Bytes of AEAD tag stored after the encrypted string. */
  tagLen: number;
}

const CIPHERS: Record<string, CipherSpec> = {
  "none": { keyLen: 0, ivLen: 0, blockSize: 8, mode: "none", tagLen: 0 },
  "aes128-ctr": { keyLen: 16, ivLen: 16, blockSize: 16, mode: "ctr", tagLen: 0 },
  "aes192-ctr": { keyLen: 24, ivLen: 16, blockSize: 16, mode: "ctr", tagLen: 0 },
  "aes256-ctr": { keyLen: 32, ivLen: 16, blockSize: 16, mode: "ctr", tagLen: 0 },
  "aes128-gcm@openssh.com": { keyLen: 16, ivLen: 12, blockSize: 16, mode: "gcm", tagLen: 16 },
  "aes256-gcm@openssh.com": { keyLen: 32, ivLen: 12, blockSize: 16, mode: "gcm", tagLen: 16 },
  // 64-byte key: the first half encrypts the section (OpenSSH's K_main), no IV.
  "chacha20-poly1305@openssh.com": {
    keyLen: 64,
    ivLen: 0,
    blockSize: 8,
    mode: "chachapoly",
    tagLen: 16,
  },
  "aes128-cbc": { keyLen: 16, ivLen: 16, blockSize: 16, mode: "cbc", tagLen: 0 },
  "aes192-cbc": { keyLen: 24, ivLen: 16, blockSize: 16, mode: "cbc", tagLen: 0 },
  "aes256-cbc": { keyLen: 32, ivLen: 16, blockSize: 16, mode: "cbc", tagLen: 0 },
};

/** The parsed container before decryption. */
export interface OpensshKeyContainer {
  cipherName: string;
  kdfName: string;
  /** The cleartext public key blob: usable for a PK_OK query before asking for a passphrase. */
  publicKeyBlob: Uint8Array;
  encrypted: boolean;
  /** Private section as stored (ciphertext unless cipher is "none"). */
  privateSection: Uint8Array;
  /** AEAD tag following the private section, if the cipher has one. */
  tag: Uint8Array;
  kdfSalt: Uint8Array;
  kdfRounds: number;
}

export function isOpensshKeyText(text: string): boolean {
  return text.includes(BEGIN);
}

/** Strips the armor and base64-decodes the body. */
function dearmor(text: string): Uint8Array {
  const start = text.indexOf(BEGIN);
  const end = text.indexOf(END, start + BEGIN.length);
  if (start < 0 || end < 0) throw new KeyFormatError("invalid format: missing OpenSSH key armor");
  const b64 = text.slice(start + BEGIN.length, end).replace(/\s+/g, "");
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(b64)) throw new KeyFormatError("invalid format: bad base64");
  try {
    return Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  } catch {
    throw new KeyFormatError("invalid format: bad base64");
  }
}

/** Parses the container; throws KeyFormatError for anything malformed or unsupported. */
export function parseOpensshKey(text: string): OpensshKeyContainer {
  if (text.length > MAX_KEY_FILE_BYTES) throw new KeyFormatError("key file too large");
  const raw = dearmor(text);
  if (raw.length < MAGIC.length || !MAGIC.every((b, i) => raw[i] === b)) {
    throw new KeyFormatError("invalid format: not an openssh-key-v1 key");
  }
  try {
    const r = new WireReader(raw.subarray(MAGIC.length));
    const cipherName = r.cstring();
    const kdfName = r.cstring();
    const kdfOptions = r.string();
    const nkeys = r.u32();
    // OpenSSH writes and reads exactly one key per file.
    if (nkeys !== 1) throw new KeyFormatError(`invalid format: ${nkeys} keys in file, expected 1`);
    const publicKeyBlob = r.string().slice();
    const privateSection = r.string().slice();
    const cipher = CIPHERS[cipherName];
    if (!cipher) throw new KeyFormatError(`unsupported key cipher "${cipherName}"`);
    const tag = r.bytes(cipher.tagLen).slice();
    // ssh-keygen writes nothing after; tolerate nothing else either.
    r.expectEnd("key file");
    if (privateSection.length % cipher.blockSize !== 0 || privateSection.length < 8) {
      throw new KeyFormatError("invalid format: private section length");
    }
    let kdfSalt: Uint8Array = new Uint8Array(0);
    let kdfRounds = 0;
    if (kdfName === "bcrypt") {
      const o = new WireReader(kdfOptions);
      kdfSalt = o.string().slice();
      kdfRounds = o.u32();
      o.expectEnd("kdf options");
      if (kdfSalt.length === 0 || kdfSalt.length > 1024) throw new KeyFormatError("bad kdf salt");
      if (kdfRounds < 1 || kdfRounds > MAX_KDF_ROUNDS) {
        throw new KeyFormatError(`unsupported kdf rounds ${kdfRounds}`);
      }
    } else if (kdfName !== "none") {
      throw new KeyFormatError(`unsupported key kdf "${kdfName}"`);
    }
    const encrypted = cipherName !== "none";
    if (encrypted !== (kdfName !== "none")) {
      throw new KeyFormatError("invalid format: cipher and kdf disagree");
    }
    return {
      cipherName,
      kdfName,
      publicKeyBlob,
      encrypted,
      privateSection,
      tag,
      kdfSalt,
      kdfRounds,
    };
  } catch (e) {
    if (e instanceof KeyFormatError) throw e;
    throw new KeyFormatError(`invalid format: ${(e as Error).message}`);
  }
}

/**
 * Derives the cipher key and IV from the passphrase with bcrypt_pbkdf. The package is
 * CommonJS, so loading it starts Deno's Node layer: only encrypted keys pay for that.
 */
async function deriveKeyIv(c: OpensshKeyContainer, spec: CipherSpec, passphrase: string) {
  const { default: bcrypt } = await import("bcrypt-pbkdf");
  const pass = new TextEncoder().encode(passphrase);
  const out = new Uint8Array(spec.keyLen + spec.ivLen);
  const rc = bcrypt.pbkdf(
    pass,
    pass.length,
    c.kdfSalt,
    c.kdfSalt.length,
    out,
    out.length,
    c.kdfRounds,
  );
  pass.fill(0);
  if (rc !== 0) throw new KeyFormatError("bcrypt_pbkdf failed");
  return { key: out.subarray(0, spec.keyLen), iv: out.subarray(spec.keyLen), all: out };
}

async function decrypt(c: OpensshKeyContainer, passphrase: string): Promise<Uint8Array> {
  const spec = CIPHERS[c.cipherName];
  const { key, iv, all } = await deriveKeyIv(c, spec, passphrase);
  try {
    if (spec.mode === "chachapoly") return openChachaPoly(key.subarray(0, 32), c);
    if (spec.mode === "cbc") {
      await loadNodeCrypto();
      const d = nodeCrypto().createDecipheriv(`aes-${spec.keyLen * 8}-cbc`, key, iv);
      d.setAutoPadding(false);
      const a = d.update(c.privateSection);
      const b = d.final();
      const out = new Uint8Array(a.length + b.length);
      out.set(a);
      out.set(b, a.length);
      return out;
    }
    const algo = spec.mode === "ctr" ? "AES-CTR" : "AES-GCM";
    const k = await crypto.subtle.importKey("raw", key as BufferSource, algo, false, ["decrypt"]);
    if (spec.mode === "ctr") {
      return new Uint8Array(
        await crypto.subtle.decrypt(
          { name: "AES-CTR", counter: iv as BufferSource, length: 128 },
          k,
          c.privateSection as BufferSource,
        ),
      );
    }
    const ctAndTag = new Uint8Array(c.privateSection.length + c.tag.length);
    ctAndTag.set(c.privateSection);
    ctAndTag.set(c.tag, c.privateSection.length);
    try {
      return new Uint8Array(
        await crypto.subtle.decrypt(
          { name: "AES-GCM", iv: iv as BufferSource, tagLength: 128 },
          k,
          ctAndTag,
        ),
      );
    } catch {
      // The tag covers the whole section: a failure is a wrong passphrase (or a damaged file).
      throw new IncorrectPassphraseError();
    }
  } finally {
    all.fill(0);
  }
}

/**
 * OpenSSH's chacha20-poly1305 with sequence number 0 and no length header: the Poly1305 key is
 * block 0 of the keystream, the tag covers the ciphertext, the text is decrypted from block 1.
 */
function openChachaPoly(kMain: Uint8Array, c: OpensshKeyContainer): Uint8Array {
  const nonce = new Uint8Array(8);
  const polyKey = chacha20orig(kMain, nonce, new Uint8Array(32));
  const tag = poly1305(c.privateSection, polyKey);
  let diff = 0;
  for (let i = 0; i < 16; i++) diff |= tag[i] ^ c.tag[i];
  if (diff !== 0) throw new IncorrectPassphraseError();
  return chacha20orig(kMain, nonce, c.privateSection, undefined, 1);
}

/**
 * The private section in clear, check-ints verified, positioned at the first key record.
 * A wrong passphrase shows as differing check-ints (or a GCM tag failure).
 */
export async function openPrivateSection(
  c: OpensshKeyContainer,
  passphrase?: string,
): Promise<WireReader> {
  let clear: Uint8Array;
  if (c.encrypted) {
    if (passphrase === undefined) throw new PassphraseRequiredError();
    clear = await decrypt(c, passphrase);
  } else {
    clear = c.privateSection;
  }
  const r = new WireReader(clear);
  const check1 = r.u32();
  const check2 = r.u32();
  if (check1 !== check2) {
    if (c.encrypted) throw new IncorrectPassphraseError();
    throw new KeyFormatError("invalid format: check-ints differ");
  }
  return r;
}

/** Verifies the deterministic padding (1, 2, 3, ...) after the last record. */
export function checkPadding(r: WireReader): void {
  const pad = r.rest();
  if (pad.length >= 16) throw new KeyFormatError("invalid format: padding too long");
  for (let i = 0; i < pad.length; i++) {
    if (pad[i] !== ((i + 1) & 0xff)) throw new KeyFormatError("invalid format: bad padding");
  }
}
