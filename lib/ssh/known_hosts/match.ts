// Host matching for known_hosts, as OpenSSH's match.c/hostfile.c do it: comma-separated
// patterns with `*`/`?` wildcards and `!` negation (a negated hit vetoes the line), matched
// case-insensitively; hashed names `|1|base64(salt)|base64(HMAC-SHA1(salt, name))`.

import { hmac } from "@noble/hashes/hmac";
import { sha1 } from "@noble/hashes/legacy";

import { matchPattern } from "../../match.ts";

/**
 * Matches `host` against a comma-separated pattern list: 1 = positive match, 0 = no match,
 * -1 = a negated pattern matched (the line must not apply even if another pattern does).
 */
export function matchHostList(host: string, list: string): 1 | 0 | -1 {
  const h = host.toLowerCase();
  let positive = false;
  for (const raw of list.split(",")) {
    const negated = raw.startsWith("!");
    const pat = (negated ? raw.slice(1) : raw).toLowerCase();
    // OpenSSH gives up on a sub-pattern longer than its 1 KiB buffer: treat as no match.
    if (pat.length >= 1024) return 0;
    if (matchPattern(h, pat)) {
      if (negated) return -1;
      positive = true;
    }
  }
  return positive ? 1 : 0;
}

const HASH_MAGIC = "|1|";
/** SHA-1 digest length: the salt and the hash are both this long. */
const HASH_LEN = 20;

export interface HashedName {
  salt: Uint8Array;
  hash: Uint8Array;
}

function b64decode(s: string): Uint8Array | undefined {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(s)) return undefined;
  try {
    return Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
  } catch {
    return undefined;
  }
}

function b64encode(b: Uint8Array): string {
  return btoa(String.fromCharCode(...b));
}

/** Parses `|1|salt|hash`; undefined if the field is not a well-formed hashed name. */
export function parseHashedName(field: string): HashedName | undefined {
  if (!field.startsWith(HASH_MAGIC)) return undefined;
  const parts = field.slice(HASH_MAGIC.length).split("|");
  if (parts.length !== 2) return undefined;
  const salt = b64decode(parts[0]);
  const hash = b64decode(parts[1]);
  if (!salt || !hash || salt.length !== HASH_LEN || hash.length !== HASH_LEN) return undefined;
  return { salt, hash };
}

export function hashHostName(name: string, salt: Uint8Array): Uint8Array {
  return hmac(sha1, salt, new TextEncoder().encode(name));
}

/** Hashed names compare the exact bytes ssh hashed (it lowercases HostName, not HostKeyAlias). */
export function matchHashed(host: string, h: HashedName): boolean {
  const mac = hashHostName(host, h.salt);
  let diff = 0;
  for (let i = 0; i < HASH_LEN; i++) diff |= mac[i] ^ h.hash[i];
  return diff === 0;
}

/** Formats a hashed name for `host` with a fresh random salt (HashKnownHosts). */
export function formatHashedName(host: string): string {
  const salt = crypto.getRandomValues(new Uint8Array(HASH_LEN));
  return `${HASH_MAGIC}${b64encode(salt)}|${b64encode(hashHostName(host, salt))}`;
}

/** The name known_hosts stores for host:port: `host` on port 22, `[host]:port` otherwise. */
export function knownHostsName(host: string, port: number): string {
  return port === 22 || port === 0 ? host : `[${host}]:${port}`;
}
