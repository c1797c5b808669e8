// The transport's verifyHostKey: checks the server's host key against known_hosts and applies
// StrictHostKeyChecking like ssh's check_host_key() (sshconnect.c), with ssh's messages.
// Deliberate difference: a CHANGED key is refused in every mode (ssh continues under "no").

import type { HostKeyConfig } from "./config.ts";
import { tildeExpand } from "../../config/tokens.ts";
import { FatalError } from "../../errors.ts";
import { log } from "../../log.ts";
import type { Prompter } from "../auth/prompter.ts";
import { fingerprintSha256 } from "../keys/public_key.ts";
import { displayKeyType, keyTypeOfBlob } from "../keys/signer.ts";
import { appendKnownHost } from "./write.ts";
import { checkHostKey, type HostKeyCheck, otherNamesForKey } from "./check.ts";
import { knownHostsName } from "./match.ts";
import { type KnownHostEntry, readKnownHostsFile } from "./parse.ts";
import { isRevokedByFile } from "./revoked.ts";

export type HostKeyVerifier = (hostKeyBlob: Uint8Array, algorithm: string) => Promise<void>;

export interface VerifierContext {
  /** The server's numeric address, for the "ask" prompt (ssh shows "host (ip)"). */
  remoteAddress?: () => string | undefined;
  /** $HOME for `~/` in file names (default from the environment). */
  home?: string;
}

const VERIFICATION_FAILED = "Host key verification failed.";

/** Characters ssh refuses to record in a known_hosts name (sshconnect.c). */
const UNRECORDABLE = /[@?*#[\]|'\\"]/;

/**
 * UserKnownHostsFile arrives expanded; GlobalKnownHostsFile and RevokedHostKeys (kept as
 * written) may still start with `~`: expanded with ssh_config's own tilde rules.
 */
export function expandTilde(path: string, home: string | undefined): string {
  return home === undefined ? path : tildeExpand(path, home);
}

export async function loadAll(files: readonly string[], home?: string): Promise<KnownHostEntry[]> {
  const out: KnownHostEntry[] = [];
  for (const f of files) {
    if (f === "none") continue;
    out.push(...await readKnownHostsFile(expandTilde(f, home)));
  }
  return out;
}

export function makeHostKeyVerifier(
  opts: HostKeyConfig,
  prompter: Prompter,
  ctx: VerifierContext = {},
): HostKeyVerifier {
  const home = ctx.home ?? Deno.env.get("HOME");
  return async (blob: Uint8Array, _algorithm: string): Promise<void> => {
    const userFiles = opts.userKnownHostsFiles.filter((f) => f !== "none").map((f) =>
      expandTilde(f, home)
    );
    const entries = await loadAll([...userFiles, ...opts.globalKnownHostsFiles], home);
    const host = opts.hostKeyAlias ?? knownHostsName(opts.hostName.toLowerCase(), opts.port);
    const type = displayKeyType(keyTypeOfBlob(blob));
    await checkRevokedHostKeys(opts, home, type, blob);
    let check: HostKeyCheck = checkHostKey(entries, host, blob);

    if (check.status === "new" && opts.hostKeyAlias === undefined && opts.port !== 22) {
      // ssh also accepts a key recorded for the bare host name (without "[host]:port").
      const bare = checkHostKey(entries, opts.hostName.toLowerCase(), blob);
      if (bare.status === "ok") check = bare;
    }

    switch (check.status) {
      case "ok":
        log.debug(`Host '${host}' is known and matches the ${type} host key.`);
        log.debug(`Found key in ${check.entry.file}:${check.entry.line}`);
        return;
      case "revoked":
        revokedWarning(type, host);
        log.error(
          `${type} host key for ${host} was revoked and you have requested strict checking.`,
        );
        throw new FatalError(VERIFICATION_FAILED);
      case "changed":
        changedWarning(
          type,
          host,
          blob,
          check.entry,
          userFiles[0] ?? opts.globalKnownHostsFiles[0],
        );
        throw new FatalError(VERIFICATION_FAILED);
      case "new":
        await handleNewKey(opts, prompter, ctx, host, type, blob, entries, userFiles);
    }
  };
}

/** RevokedHostKeys (checked before known_hosts, as ssh's verify_host_key does). */
async function checkRevokedHostKeys(
  opts: HostKeyConfig,
  home: string | undefined,
  type: string,
  blob: Uint8Array,
): Promise<void> {
  const value = opts.revokedHostKeys;
  if (!value || value.toLowerCase() === "none") return;
  const file = expandTilde(value, home);
  const fp = fingerprintSha256(blob);
  let revoked: boolean;
  try {
    revoked = await isRevokedByFile(file, blob);
  } catch (e) {
    log.error(
      `Error checking host key ${type} ${fp} in revoked keys file ${file}: ${(e as Error).message}`,
    );
    throw new FatalError(VERIFICATION_FAILED);
  }
  if (revoked) {
    log.error(`Host key ${type} ${fp} revoked by file ${file}`);
    throw new FatalError(VERIFICATION_FAILED);
  }
}

async function handleNewKey(
  opts: HostKeyConfig,
  prompter: Prompter,
  ctx: VerifierContext,
  host: string,
  type: string,
  blob: Uint8Array,
  entries: KnownHostEntry[],
  userFiles: string[],
): Promise<void> {
  // Nowhere to record the key, or a name that must not be recorded: cannot accept a new key.
  const readonly = userFiles.length === 0 || UNRECORDABLE.test(opts.hostName);
  if (readonly) throw new FatalError(VERIFICATION_FAILED);
  const mode = opts.strictHostKeyChecking;
  if (mode === "yes") {
    log.error(`No ${type} host key is known for ${host} and you have requested strict checking.`);
    throw new FatalError(VERIFICATION_FAILED);
  }
  if (mode === "ask") {
    if (opts.batchMode) throw new FatalError(VERIFICATION_FAILED);
    const fp = fingerprintSha256(blob);
    const viaProxy = opts.proxyCommand !== undefined && opts.proxyCommand !== "none";
    const ip = viaProxy
      ? "<no hostip for proxy command>"
      : knownHostsName(ctx.remoteAddress?.() ?? opts.hostName, opts.port);
    const lines = [`The authenticity of host '${host} (${ip})' can't be established.`];
    lines.push(`${type} key fingerprint is ${fp}.`);
    const others = otherNamesForKey(entries, host, blob);
    if (others.length === 0) {
      lines.push("This key is not known by any other names.");
    } else {
      lines.push("This host key is known by the following other names/addresses:");
      for (const e of others.slice(0, 8)) {
        lines.push(`    ${e.file}:${e.line}: ${e.hashed ? "[hashed name]" : e.hosts}`);
      }
      if (others.length > 8) lines.push(`    (${others.length - 8} additional names omitted)`);
    }
    lines.push("Are you sure you want to continue connecting (yes/no/[fingerprint])? ");
    if (!await confirm(prompter, lines.join("\n"), fp)) throw new FatalError(VERIFICATION_FAILED);
  }
  try {
    await appendKnownHost(userFiles[0], host, blob, opts.hashKnownHosts);
    log.info(`Warning: Permanently added '${host}' (${type}) to the list of known hosts.`);
  } catch {
    log.info(`Failed to add the host to the list of known hosts (${userFiles[0]}).`);
  }
}

/** ssh's confirm(): yes, the fingerprint itself, or no/empty; anything else asks again. */
async function confirm(prompter: Prompter, prompt: string, fp: string): Promise<boolean> {
  let msg = prompt;
  for (let tries = 0; tries < 16; tries++) {
    const answer = await prompter.ask(msg, true);
    if (answer === null) return false;
    const word = answer.trim().split(/[ \t\n]/)[0] ?? "";
    if (word === "" || word.toLowerCase() === "no") return false;
    if (word.toLowerCase() === "yes" || word === fp) return true;
    msg = "Please type 'yes', 'no' or the fingerprint: ";
  }
  return false;
}

const BAR = "@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@";

function revokedWarning(type: string, host: string): void {
  log.error(BAR);
  log.error("@       WARNING: REVOKED HOST KEY DETECTED!               @");
  log.error(BAR);
  log.error(`The ${type} host key for ${host} is marked as revoked.`);
  log.error("This could mean that a stolen key is being used to");
  log.error("impersonate this host.");
}

function changedWarning(
  type: string,
  host: string,
  blob: Uint8Array,
  found: KnownHostEntry,
  addIn: string | undefined,
): void {
  log.error(BAR);
  log.error("@    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @");
  log.error(BAR);
  log.error("IT IS POSSIBLE THAT SOMEONE IS DOING SOMETHING NASTY!");
  log.error("Someone could be eavesdropping on you right now (man-in-the-middle attack)!");
  log.error("It is also possible that a host key has just been changed.");
  log.error(
    `The fingerprint for the ${type} key sent by the remote host is\n${fingerprintSha256(blob)}.`,
  );
  log.error("Please contact your system administrator.");
  if (addIn) log.error(`Add correct host key in ${addIn} to get rid of this message.`);
  log.error(`Offending ${displayKeyType(found.keyType)} key in ${found.file}:${found.line}`);
  log.error("  remove with:");
  log.error(`  ssh-keygen -f "${found.file}" -R "${host}"`);
  log.error(`Host key for ${host} has changed and you have requested strict checking.`);
}
