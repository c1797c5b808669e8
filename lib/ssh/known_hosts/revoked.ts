// RevokedHostKeys: a file of revoked keys, either OpenSSH's binary KRL (PROTOCOL.krl: explicit
// key blobs, SHA1/SHA256 fingerprint sections) or plain public key lines, as
// sshkey_check_revoked() reads them. Certificate sections do not apply (we accept no host
// certificates). A file that cannot be read or parsed fails closed, like ssh.

import { digest } from "../crypto/hash.ts";
import { WireReader } from "../../wire/reader.ts";
import { parsePublicKeyLine } from "../keys/private_key.ts";
import { sameBytes } from "../keys/signer.ts";

const KRL_MAGIC = new TextEncoder().encode("SSHKRL\n\0");
const KRL_FORMAT_VERSION = 1;
const KRL_SECTION_CERTIFICATES = 1;
const KRL_SECTION_EXPLICIT_KEY = 2;
const KRL_SECTION_FINGERPRINT_SHA1 = 3;
const KRL_SECTION_SIGNATURE = 4;
const KRL_SECTION_FINGERPRINT_SHA256 = 5;
const KRL_SECTION_EXTENSION = 255;

/** Revocation files are local; this only bounds a mistake (pointing at a huge file). */
export const MAX_REVOKED_FILE_BYTES = 64 * 1024 * 1024;

export class RevokedKeysFileError extends Error {
  override name = "RevokedKeysFileError";
}

function isKrl(b: Uint8Array): boolean {
  return b.length >= KRL_MAGIC.length && KRL_MAGIC.every((x, i) => b[i] === x);
}

function hashOf(alg: "sha1" | "sha256", blob: Uint8Array): Uint8Array {
  return digest(alg === "sha1" ? "SHA-1" : "SHA-256", blob);
}

/** Whether a KRL revokes this plain key blob. Throws RevokedKeysFileError if malformed. */
export function krlRevokes(krl: Uint8Array, blob: Uint8Array): boolean {
  try {
    const r = new WireReader(krl);
    r.bytes(KRL_MAGIC.length);
    if (r.u32() !== KRL_FORMAT_VERSION) throw new RevokedKeysFileError("unsupported KRL version");
    r.u64(); // krl_version
    r.u64(); // generated_date
    r.u64(); // flags
    r.string(); // reserved
    r.string(); // comment
    let revoked = false;
    while (!r.atEnd()) {
      const type = r.u8();
      if (type === KRL_SECTION_SIGNATURE) break; // trailing signatures: nothing to revoke
      const data = new WireReader(r.string());
      if (type === KRL_SECTION_EXPLICIT_KEY) {
        while (!data.atEnd()) if (sameBytes(data.string(), blob)) revoked = true;
      } else if (type === KRL_SECTION_FINGERPRINT_SHA1 || type === KRL_SECTION_FINGERPRINT_SHA256) {
        const h = hashOf(type === KRL_SECTION_FINGERPRINT_SHA1 ? "sha1" : "sha256", blob);
        while (!data.atEnd()) if (sameBytes(data.string(), h)) revoked = true;
      } else if (type === KRL_SECTION_EXTENSION) {
        data.text();
        if (data.bool()) throw new RevokedKeysFileError("unsupported critical KRL extension");
      } else if (type !== KRL_SECTION_CERTIFICATES) {
        throw new RevokedKeysFileError(`unknown KRL section ${type}`);
      }
    }
    return revoked;
  } catch (e) {
    if (e instanceof RevokedKeysFileError) throw e;
    throw new RevokedKeysFileError("invalid format");
  }
}

/** Whether a list of public key lines names this key (blank, comment, bad lines skipped). */
export function keyListRevokes(text: string, blob: Uint8Array): boolean {
  for (const line of text.split("\n")) {
    const t = line.trim();
    if (t === "" || t.startsWith("#")) continue;
    try {
      if (sameBytes(parsePublicKeyLine(t).blob, blob)) return true;
    } catch { /* not a key line */ }
  }
  return false;
}

/** Reads `path` and checks `blob` against it. Throws RevokedKeysFileError when unusable. */
export async function isRevokedByFile(path: string, blob: Uint8Array): Promise<boolean> {
  let data: Uint8Array;
  try {
    const st = await Deno.stat(path);
    if (!st.isFile || st.size > MAX_REVOKED_FILE_BYTES) throw new Error("not a usable file");
    data = await Deno.readFile(path);
  } catch (e) {
    throw new RevokedKeysFileError((e as Error).message);
  }
  return isKrl(data)
    ? krlRevokes(data, blob)
    : keyListRevokes(new TextDecoder().decode(data), blob);
}
