// known_hosts file parsing (sshd(8) "SSH_KNOWN_HOSTS FILE FORMAT"): one entry per line,
// optional marker (@cert-authority, @revoked), host patterns or a hashed name, then the key.
// Comments, blank lines and lines we cannot parse are skipped, never fatal: one bad line must
// not lock the user out of every host.

import { keyTypeOfBlob } from "../keys/signer.ts";
import { type HashedName, parseHashedName } from "./match.ts";

export type KnownHostMarker = "none" | "cert-authority" | "revoked";

export interface KnownHostEntry {
  marker: KnownHostMarker;
  /** The raw host field: a comma-separated pattern list, or a hashed name. */
  hosts: string;
  hashed?: HashedName;
  keyType: string;
  keyBlob: Uint8Array;
  file: string;
  /** 1-based line number, as ssh reports it. */
  line: number;
}

/** Caps: a line longer than any real key line is skipped; a huge file is read only this far. */
export const MAX_LINE_CHARS = 16 * 1024;
export const MAX_FILE_BYTES = 32 * 1024 * 1024;

function decodeBlob(b64: string): Uint8Array | undefined {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64)) return undefined;
  try {
    return Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  } catch {
    return undefined;
  }
}

/** Parses one line; undefined for comments, blank and malformed lines. */
export function parseKnownHostsLine(
  text: string,
  file: string,
  line: number,
): KnownHostEntry | undefined {
  if (text.length > MAX_LINE_CHARS) return undefined;
  const fields = text.trim().split(/[ \t]+/);
  if (fields[0] === "" || fields[0].startsWith("#")) return undefined;
  let marker: KnownHostMarker = "none";
  if (fields[0].startsWith("@")) {
    if (fields[0] === "@cert-authority") marker = "cert-authority";
    else if (fields[0] === "@revoked") marker = "revoked";
    else return undefined; // unknown marker: skip, like ssh
    fields.shift();
  }
  if (fields.length < 3) return undefined;
  const [hosts, keyType, b64] = fields;
  const keyBlob = decodeBlob(b64);
  if (!keyBlob) return undefined;
  let blobType: string;
  try {
    blobType = keyTypeOfBlob(keyBlob);
  } catch {
    return undefined;
  }
  if (blobType !== keyType) return undefined;
  let hashed: HashedName | undefined;
  if (hosts.startsWith("|")) {
    hashed = parseHashedName(hosts);
    if (!hashed) return undefined;
  }
  return { marker, hosts, hashed, keyType, keyBlob, file, line };
}

export function parseKnownHosts(text: string, file: string): KnownHostEntry[] {
  const out: KnownHostEntry[] = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const e = parseKnownHostsLine(lines[i].replace(/\r$/, ""), file, i + 1);
    if (e) out.push(e);
  }
  return out;
}

/** Reads and parses a known_hosts file; a missing or unreadable file has no entries. */
export async function readKnownHostsFile(path: string): Promise<KnownHostEntry[]> {
  let f: Deno.FsFile;
  try {
    f = await Deno.open(path, { read: true });
  } catch {
    return [];
  }
  try {
    const st = await f.stat();
    if (!st.isFile) return [];
    const buf = new Uint8Array(Math.min(st.size, MAX_FILE_BYTES));
    let off = 0;
    while (off < buf.length) {
      const n = await f.read(buf.subarray(off));
      if (n === null) break;
      off += n;
    }
    return parseKnownHosts(new TextDecoder().decode(buf.subarray(0, off)), path);
  } catch {
    return [];
  } finally {
    f.close();
  }
}
