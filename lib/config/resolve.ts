// From a parsed command line to the final Options: config files, defaults, HostName,
// token expansion — in the order ssh.c main() does it.
// The steps live in resolve/: host.ts (destination, user, checks), expand.ts (the values with
// tokens, in ssh's order), defaults.ts (the rest, by concern).
import { ConfigError } from "./errors.ts";
import type { Options } from "./options.ts";
import type { ConfigState } from "./state.ts";
import type { ParsedCommandLine } from "./argv.ts";
import { readConfigFile, type ReadContext } from "./ssh_config.ts";
import { clientTokens, type ConnInfo } from "./tokens.ts";
import { impliedProxyCommand, selfCommand } from "./jump.ts";
import {
  checkedJump,
  checkedRemoteCommand,
  dropMissingIdentityArgs,
  finalHostName,
  formatJump,
  resolveUser,
} from "./resolve/host.ts";
import { expandedOptions } from "./resolve/expand.ts";
import {
  authDefaults,
  controlDefaults,
  forwardDefaults,
  hostKeyDefaults,
  logDefaults,
  sessionDefaults,
  transportDefaults,
} from "./resolve/defaults.ts";

/** The local facts resolution depends on; tests pass their own. */
export interface ResolveEnv {
  home: string;
  user: string;
  uid: number;
  /** Local host name (%l); %L is its first label. */
  hostname: string;
  environ: Record<string, string>;
  /** System config path; default /etc/ssh/ssh_config. */
  systemConfig?: string;
  /** Runs `Match exec` commands (default: $SHELL -c). */
  exec?: (cmd: string) => number;
  /** The command that runs sshmux for a ProxyJump hop (default: selfCommand()). */
  selfCommand?: string;
}

/** Warnings ssh prints but carries on after (e.g. an -i file that is not there). */
export interface ResolveResult {
  options: Options;
  warnings: string[];
}

/** The passwd entry for a uid (ssh uses pw_name / pw_dir, not $USER / $HOME). */
function passwdEntry(uid: number): { name: string; home: string } | undefined {
  try {
    for (const line of Deno.readTextFileSync("/etc/passwd").split("\n")) {
      const f = line.split(":");
      if (f.length >= 6 && Number(f[2]) === uid) return { name: f[0], home: f[5] };
    }
  } catch {
    // No passwd file (some containers): fall back to the environment.
  }
  return undefined;
}

/** The real local facts: uid, passwd entry, host name, environment. */
export function localEnv(): ResolveEnv {
  const environ = Deno.env.toObject();
  const uid = Deno.uid() ?? 0;
  const pw = passwdEntry(uid);
  return {
    home: pw?.home ?? environ.HOME ?? "/",
    user: pw?.name ?? environ.USER ?? environ.LOGNAME ?? String(uid),
    uid,
    hostname: Deno.hostname(),
    environ,
  };
}

/** Reads -F / ~/.ssh/config / the system config into `st` (one pass). */
function readFiles(cmd: ParsedCommandLine, st: ConfigState, ctx: ReadContext, env: ResolveEnv) {
  if (cmd.configFile !== undefined) {
    if (cmd.configFile.toLowerCase() === "none") return;
    const flags = { userConf: true, checkPerm: false, neverMatch: false };
    if (!readConfigFile(st, cmd.configFile, ctx, flags)) {
      let reason = "No such file or directory";
      try {
        Deno.readTextFileSync(cmd.configFile);
      } catch (e) {
        if (e instanceof Deno.errors.PermissionDenied) reason = "Permission denied";
      }
      throw new ConfigError(`Can't open user config file ${cmd.configFile}: ${reason}`);
    }
    return;
  }
  readConfigFile(st, `${env.home}/.ssh/config`, ctx, {
    userConf: true,
    checkPerm: true,
    neverMatch: false,
  });
  readConfigFile(st, env.systemConfig ?? "/etc/ssh/ssh_config", ctx, {
    userConf: false,
    checkPerm: false,
    neverMatch: false,
  });
}

/** resolveOptions with its warnings. Throws ConfigError with ssh's message on fatal input. */
export function resolveOptionsWithWarnings(
  cmd: ParsedCommandLine,
  envIn?: ResolveEnv,
): ResolveResult {
  const env = envIn ?? localEnv();
  const lookup = (n: string) => env.environ[n];
  // The command-line state is copied so one parse can be resolved more than once.
  const st: ConfigState = structuredClone(cmd.state);
  const commandLine = cmd.command.join(" ");
  const warnings = dropMissingIdentityArgs(cmd, st, env.home);

  const ctx: ReadContext = {
    host: cmd.host,
    originalHost: cmd.host,
    remoteCommand: commandLine,
    home: env.home,
    localUser: env.user,
    uid: env.uid,
    localHost: env.hostname,
    env: lookup,
    finalPass: false,
    wantFinalPass: false,
    exec: env.exec,
  };
  readFiles(cmd, st, ctx, env);

  const host = finalHostName(cmd.host, st);
  // CanonicalizeHostname also makes ssh re-read the files (a final pass), even though sshmux
  // does not rewrite the name through CanonicalDomains (no DNS search here).
  const canonicalize = (st.raw.get("canonicalizehostname") ?? "no").toLowerCase();
  if (ctx.wantFinalPass || ["yes", "true", "always"].includes(canonicalize)) {
    st.hostName = host;
    readFiles(cmd, st, { ...ctx, host, finalPass: true, wantFinalPass: false }, env);
  }

  const port = st.port ?? 22;
  const jump = checkedJump(st, host, port, env.user);
  // ssh refuses this after the jump checks and before the remote command's (checked with ssh -G).
  if (st.connectionAttempts !== undefined && st.connectionAttempts <= 0) {
    throw new ConfigError("Invalid number of ConnectionAttempts");
  }
  const remoteCommandRaw = checkedRemoteCommand(st, commandLine);

  const info: ConnInfo = {
    localHost: env.hostname,
    hostArg: cmd.host,
    remoteHost: host,
    port,
    remoteUser: st.user ?? env.user,
    localUser: env.user,
    uid: env.uid,
    home: env.home,
    hostKeyAlias: st.hostKeyAlias?.toLowerCase(),
    jumpHost: jump?.host ?? "",
  };
  const user = resolveUser(st, info, cmd.userOnCommandLine, lookup);
  const expanded = expandedOptions(st, remoteCommandRaw, {
    home: env.home,
    lookup,
    tokens: clientTokens(info),
    stdioForward: cmd.stdioForward !== undefined,
  });
  const proxyCommandRaw = st.proxyCommand?.toLowerCase() === "none" ? undefined : st.proxyCommand;

  const options: Options = {
    hostArg: cmd.host,
    hostName: host,
    port,
    user,
    command: expanded.remoteCommand ?? commandLine,
    muxCommand: cmd.muxCommand,
    muxSignal: cmd.muxSignal,
    sessionName: st.sessionName,
    stdioForward: cmd.stdioForward,
    ...expanded,
    ...sessionDefaults(st),
    ...controlDefaults(st),
    ...forwardDefaults(st),
    ...authDefaults(st),
    ...hostKeyDefaults(st),
    ...transportDefaults(st),
    ...logDefaults(st),
    // A ProxyJump becomes the ProxyCommand ssh would build: sshmux -W through the hop.
    proxyCommand: jump
      ? impliedProxyCommand(
        { proxyJump: formatJump(jump), configFile: cmd.configFile },
        env.selfCommand ?? selfCommand(),
        cmd.verbose,
      )
      : proxyCommandRaw,
    proxyJump: jump ? formatJump(jump) : undefined,
    logFile: cmd.logFile,
    raw: new Map(st.raw),
    configFile: cmd.configFile,
  };
  return { options, warnings };
}

/** Resolves the final Options (see resolveOptionsWithWarnings for the warnings too). */
export function resolveOptions(cmd: ParsedCommandLine, env?: ResolveEnv): Options {
  return resolveOptionsWithWarnings(cmd, env).options;
}
