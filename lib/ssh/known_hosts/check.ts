// Deciding what known_hosts says about a host key, with hostfile.c's rules: among the lines
// whose host field matches, an identical key is OK; any other key (of any type) means the key
// CHANGED; no line at all means NEW; a matching @revoked line for this key wins over everything.
// @cert-authority lines only vouch for certificates, which we do not accept: they are skipped.

import { sameBytes } from "../keys/signer.ts";
import { matchHashed, matchHostList } from "./match.ts";
import type { KnownHostEntry } from "./parse.ts";

export type HostKeyCheck =
  | { status: "ok"; entry: KnownHostEntry }
  | { status: "new" }
  | { status: "changed"; entry: KnownHostEntry }
  | { status: "revoked"; entry: KnownHostEntry };

/** Whether a line's host field applies to `name` (already in known_hosts form, e.g. "[h]:2222"). */
export function entryMatchesHost(e: KnownHostEntry, name: string): boolean {
  if (e.hashed) return matchHashed(name, e.hashed);
  return matchHostList(name, e.hosts) === 1;
}

export function checkHostKey(
  entries: readonly KnownHostEntry[],
  name: string,
  keyBlob: Uint8Array,
): HostKeyCheck {
  let result: HostKeyCheck = { status: "new" };
  for (const e of entries) {
    if (!entryMatchesHost(e, name)) continue;
    if (e.marker === "revoked") {
      if (sameBytes(e.keyBlob, keyBlob)) return { status: "revoked", entry: e };
      continue;
    }
    if (e.marker !== "none" || result.status === "ok") continue;
    result = sameBytes(e.keyBlob, keyBlob)
      ? { status: "ok", entry: e }
      : { status: "changed", entry: e };
  }
  return result;
}

/** Lines holding this same key under names that do not match `name` (for the "ask" prompt). */
export function otherNamesForKey(
  entries: readonly KnownHostEntry[],
  name: string,
  keyBlob: Uint8Array,
): KnownHostEntry[] {
  return entries.filter((e) =>
    e.marker === "none" && sameBytes(e.keyBlob, keyBlob) && !entryMatchesHost(e, name)
  );
}
