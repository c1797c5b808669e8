// A non-root account the throwaway sshd can log in with a key. Some server behaviour differs
// for root: sshd 9.2 turns privilege separation off after a root login, and then refuses
// RFC 4254 "signal" requests ("session signalling requires privilege separation").

import { assert, assertEquals } from "@std/assert";
import { run } from "./run.ts";
import type { Sshd } from "./sshd.ts";

/**
 * Makes `name` exist (created with useradd, needs root) with a password field that is not
 * locked (sshd without PAM refuses locked accounts even for keys), and lets sshd, acting as
 * that user, read the test sshd's authorized_keys.
 */
export async function ensureLoginUser(name: string, sshd: Sshd): Promise<string> {
  if ((await run("id", [name])).code !== 0) {
    const add = await run("useradd", ["-m", "-s", "/bin/sh", name]);
    // Exit 9 = created meanwhile by a concurrent run: fine.
    assert(add.code === 0 || add.code === 9, `useradd (needs root): ${add.err}`);
  }
  const unlock = await run("usermod", ["-p", "*", name]);
  assertEquals(unlock.code, 0, unlock.err);
  Deno.chmodSync(sshd.dir, 0o755);
  Deno.chmodSync(`${sshd.dir}/authorized_keys`, 0o644);
  return name;
}
