// Which host key types known_hosts already holds for the host we are about to connect to.
// ssh offers those host key algorithms first (order_hostkeyalgs in sshconnect2.c), so a server
// with several host keys presents the one we can verify instead of one we would call "changed".

import type { HostKeyConfig } from "./config.ts";
import { entryMatchesHost } from "./check.ts";
import { knownHostsName } from "./match.ts";
import { expandTilde, loadAll } from "./verifier.ts";

export async function knownHostKeyTypes(
  opts: HostKeyConfig,
  home = Deno.env.get("HOME"),
): Promise<string[]> {
  const files = [...opts.userKnownHostsFiles, ...opts.globalKnownHostsFiles]
    .filter((f) => f !== "none")
    .map((f) => expandTilde(f, home));
  const names = opts.hostKeyAlias !== undefined
    ? [opts.hostKeyAlias]
    : [knownHostsName(opts.hostName.toLowerCase(), opts.port), opts.hostName.toLowerCase()];
  const types = new Set<string>();
  try {
    for (const e of await loadAll(files, home)) {
      if (e.marker !== "none") continue;
      if (names.some((n) => entryMatchesHost(e, n))) types.add(e.keyType);
    }
  } catch {
    // Unreadable files only lose the preference; the verifier reports real problems later.
  }
  return [...types];
}
