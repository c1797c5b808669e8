// The destination as ssh.c main() settles it: -i files that exist, the final host name, the
// checks on ProxyJump and the command, and the remote user with its tokens expanded.
import { ConfigError } from "../errors.ts";
import type { ConfigState, JumpSpec } from "../state.ts";
import type { ParsedCommandLine } from "../argv.ts";
import { clientTokens, type ConnInfo, expandTokens, tildeExpand } from "../tokens.ts";
import { validRemoteUser } from "../destination.ts";
import { canonicalAddress, looksLikeAddress } from "../address.ts";

/** -i files that are not there are dropped with a warning, as ssh does at parse time. */
export function dropMissingIdentityArgs(
  cmd: ParsedCommandLine,
  st: ConfigState,
  home: string,
): string[] {
  const warnings: string[] = [];
  for (const arg of cmd.identityArgs) {
    const p = tildeExpand(arg, home);
    try {
      Deno.statSync(p);
    } catch (e) {
      const why = e instanceof Deno.errors.NotFound
        ? "No such file or directory"
        : (e as Error).message;
      warnings.push(`Warning: Identity file ${p} not accessible: ${why}.`);
      st.identityFiles = st.identityFiles.filter((f) => f !== arg);
    }
  }
  return warnings;
}

/** HostName (with %h) replaces the host; names (not addresses) are lowercased. */
export function finalHostName(hostArg: string, st: ConfigState): string {
  let host = hostArg;
  if (st.hostName !== undefined) host = expandTokens(st.hostName, { h: hostArg });
  // Names are lowercased; numeric addresses keep their case but take their canonical form
  // when it differs other than in case (ssh.c resolve_canonicalize).
  const numeric = canonicalAddress(host);
  if (numeric === undefined) {
    if (!looksLikeAddress(host)) host = host.toLowerCase();
  } else if (numeric.toLowerCase() !== host.toLowerCase()) host = numeric;
  return host;
}

/** The ProxyJump hop, if any, after ssh's loop and ProxyCommand+ProxyJump checks. */
export function checkedJump(
  st: ConfigState,
  host: string,
  port: number,
  localUser: string,
): JumpSpec | undefined {
  const jump = st.jump !== undefined && st.jump !== "none" ? st.jump : undefined;
  if (jump) {
    const jumpPort = jump.port ?? 22;
    const jumpUser = jump.user ?? st.user ?? localUser;
    if (jump.host === host && port === jumpPort && (st.user ?? localUser) === jumpUser) {
      throw new ConfigError(`jumphost loop via ${jump.host}`);
    }
    if (st.proxyCommand !== undefined && st.proxyCommand.toLowerCase() !== "none") {
      throw new ConfigError("inconsistent options: ProxyCommand+ProxyJump");
    }
  }
  return jump;
}

/** ProxyJump as ssh -G prints it. */
export function formatJump(j: JumpSpec): string {
  const numeric = j.host.includes(":") || /^[0-9.]*$/.test(j.host);
  const host = numeric ? `[${j.host}]` : j.host;
  return `${j.extra ? j.extra + "," : ""}${j.user ? j.user + "@" : ""}${host}${
    j.port && j.port > 0 ? ":" + j.port : ""
  }`;
}

/** RemoteCommand ("none" = unset), refused beside a command-line command or -f with nothing to run. */
export function checkedRemoteCommand(st: ConfigState, commandLine: string): string | undefined {
  const remoteCommandRaw = st.remoteCommand?.toLowerCase() === "none"
    ? undefined
    : st.remoteCommand;
  if (commandLine !== "" && remoteCommandRaw !== undefined) {
    throw new ConfigError("Cannot execute command-line and remote command.");
  }
  const sessionType = st.sessionType ?? "default";
  if (
    st.forkAfterAuthentication && commandLine === "" && remoteCommandRaw === undefined &&
    sessionType !== "none"
  ) {
    throw new ConfigError("Cannot fork into background without a command to execute.");
  }
  return remoteCommandRaw;
}

/**
 * The remote user: a User from a config file may use tokens (but not %r or %C, which depend on
 * it). Sets info.remoteUser to the result.
 */
export function resolveUser(
  st: ConfigState,
  info: ConnInfo,
  userOnCommandLine: boolean,
  lookup: (name: string) => string | undefined,
): string {
  const userWasDefault = st.user === undefined;
  let user = st.user ?? info.localUser;
  let userExpanded = false;
  if (!userOnCommandLine && !userWasDefault) {
    const expanded = expandTokens(user, clientTokens(info, false), lookup);
    userExpanded = expanded !== user;
    user = expanded;
  }
  if ((userOnCommandLine || userExpanded) && !validRemoteUser(user)) {
    throw new ConfigError("remote username contains invalid characters");
  }
  info.remoteUser = user;
  return user;
}
