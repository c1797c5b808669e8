// Loading user keys from files: openssh-key-v1 private keys (any type we sign with, plain or
// passphrase-protected), unencrypted PEM keys (pem_key.ts), and `.pub` public key lines.

import { WireReader } from "../../wire/reader.ts";
import { KeyFormatError } from "./key_errors.ts";
import {
  checkPadding,
  isOpensshKeyText,
  MAX_KEY_FILE_BYTES,
  openPrivateSection,
  parseOpensshKey,
} from "./openssh_key_v1.ts";
import { isEncryptedPem, isPemKeyText, loadPemKey } from "./pem_key.ts";
import { ecdsaSigner, ed25519Signer, rsaSigner } from "./key_signers.ts";
import { keyTypeOfBlob, sameBytes, type Signer } from "./signer.ts";

/** What can be learned from a key file without a passphrase. */
export interface PrivateKeyInfo {
  encrypted: boolean;
  /** The public key, when the file carries it in clear (openssh-key-v1 always does). */
  publicKeyBlob?: Uint8Array;
}

export function inspectPrivateKey(text: string): PrivateKeyInfo {
  if (isOpensshKeyText(text)) {
    const c = parseOpensshKey(text);
    return { encrypted: c.encrypted, publicKeyBlob: c.publicKeyBlob };
  }
  if (isPemKeyText(text)) return { encrypted: isEncryptedPem(text) };
  throw new KeyFormatError("invalid format");
}

/**
 * Loads a private key file's text into a Signer. `passphrase` is needed for encrypted keys
 * (PassphraseRequiredError without it, IncorrectPassphraseError when wrong).
 */
export async function loadPrivateKey(
  text: string,
  passphrase?: string,
  source = "",
): Promise<Signer> {
  if (text.length > MAX_KEY_FILE_BYTES) throw new KeyFormatError("key file too large");
  if (isPemKeyText(text)) return loadPemKey(text, passphrase, source);
  const c = parseOpensshKey(text);
  const r = await openPrivateSection(c, passphrase);
  let signer: Signer;
  try {
    signer = await readKeyRecord(r, source);
    checkPadding(r);
  } catch (e) {
    if (e instanceof KeyFormatError) throw e;
    throw new KeyFormatError(`invalid format: ${(e as Error).message}`);
  }
  if (!sameBytes(signer.publicKeyBlob, c.publicKeyBlob)) {
    throw new KeyFormatError("invalid format: public and private keys differ");
  }
  return signer;
}

/** One private key record (type-specific fields, then the comment) from the clear section. */
async function readKeyRecord(r: WireReader, source: string): Promise<Signer> {
  const type = r.cstring();
  switch (type) {
    case "ssh-ed25519": {
      const pub = r.string();
      const sk = r.string(); // seed ‖ public key
      if (sk.length !== 64) throw new KeyFormatError("invalid ed25519 private key");
      const comment = r.text();
      return await ed25519Signer(pub, sk.subarray(0, 32), comment, source);
    }
    case "ecdsa-sha2-nistp256":
    case "ecdsa-sha2-nistp384":
    case "ecdsa-sha2-nistp521": {
      const curve = r.cstring();
      if (`ecdsa-sha2-${curve}` !== type) {
        throw new KeyFormatError("ecdsa curve does not match type");
      }
      const q = r.string();
      const d = r.mpintBytes();
      const comment = r.text();
      return await ecdsaSigner(curve, q, d, comment, source);
    }
    case "ssh-rsa": {
      const n = r.mpintBytes();
      const e = r.mpintBytes();
      const d = r.mpintBytes();
      const iqmp = r.mpintBytes();
      const p = r.mpintBytes();
      const q = r.mpintBytes();
      const comment = r.text();
      return await rsaSigner({ n, e, d, iqmp, p, q }, comment, source);
    }
    default:
      throw new KeyFormatError(`unknown or unsupported key type "${type}"`);
  }
}

/** A public key line as in `id_ed25519.pub` or authorized_keys (no options): type, base64, comment. */
export interface PublicKeyLine {
  keyType: string;
  blob: Uint8Array;
  comment: string;
}

/** Parses one `.pub` line; throws KeyFormatError if malformed or the blob's type disagrees. */
export function parsePublicKeyLine(line: string): PublicKeyLine {
  const fields = line.trim().split(/\s+/);
  if (fields.length < 2 || fields[0].length > 64) {
    throw new KeyFormatError("invalid public key line");
  }
  let blob: Uint8Array;
  try {
    blob = Uint8Array.from(atob(fields[1]), (c) => c.charCodeAt(0));
  } catch {
    throw new KeyFormatError("invalid public key: bad base64");
  }
  const keyType = keyTypeOfBlob(blob);
  if (keyType !== fields[0]) throw new KeyFormatError("public key type does not match its blob");
  return { keyType, blob, comment: fields.slice(2).join(" ") };
}

/** Reads a small file as text, refusing anything larger than a key file can be. */
export async function readKeyFile(path: string): Promise<string> {
  const f = await Deno.open(path, { read: true });
  try {
    const st = await f.stat();
    if (!st.isFile) throw new KeyFormatError(`${path}: not a regular file`);
    if (st.size > MAX_KEY_FILE_BYTES) throw new KeyFormatError(`${path}: key file too large`);
    const buf = new Uint8Array(st.size);
    let off = 0;
    while (off < buf.length) {
      const n = await f.read(buf.subarray(off));
      if (n === null) break;
      off += n;
    }
    return new TextDecoder().decode(buf.subarray(0, off));
  } finally {
    f.close();
  }
}
