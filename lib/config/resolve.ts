// From a parsed command line to the final Options: config files, defaults, HostName,
// token expansion — in the order ssh.c main() does it.
import { LogLevel } from "../log.ts";
import { ConfigError } from "./errors.ts";
import type { Options } from "./options.ts";
import type { ConfigState, JumpSpec } from "./state.ts";
import { parseArgs, type ParsedCommandLine } from "./argv.ts";
import { readConfigFile, type ReadContext } from "./ssh_config.ts";
import { clientTokens, type ConnInfo, expandTokens, tildeExpand } from "./tokens.ts";
import { validRemoteUser } from "./destination.ts";
import { impliedProxyCommand, selfCommand } from "./jump.ts";
import { canonicalAddress, looksLikeAddress } from "./address.ts";

export { parseArgs };
export type { ParsedCommandLine };

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

/** ProxyJump as ssh -G prints it. */
function formatJump(j: JumpSpec): string {
  const numeric = j.host.includes(":") || /^[0-9.]*$/.test(j.host);
  const host = numeric ? `[${j.host}]` : j.host;
  return `${j.extra ? j.extra + "," : ""}${j.user ? j.user + "@" : ""}${host}${
    j.port && j.port > 0 ? ":" + j.port : ""
  }`;
}

const DEFAULT_IDENTITIES = [
  "~/.ssh/id_rsa",
  "~/.ssh/id_ecdsa",
  "~/.ssh/id_ecdsa_sk",
  "~/.ssh/id_ed25519",
  "~/.ssh/id_ed25519_sk",
];

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
  const warnings: string[] = [];
  // The command-line state is copied so one parse can be resolved more than once.
  const st: ConfigState = structuredClone(cmd.state);
  const commandLine = cmd.command.join(" ");

  // -i files that are not there are dropped with a warning, as ssh does at parse time.
  for (const arg of cmd.identityArgs) {
    const p = tildeExpand(arg, env.home);
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

  // HostName (with %h) replaces the host; names (not addresses) are lowercased.
  let host = cmd.host;
  if (st.hostName !== undefined) host = expandTokens(st.hostName, { h: cmd.host });
  // Names are lowercased; numeric addresses keep their case but take their canonical form
  // when it differs other than in case (ssh.c resolve_canonicalize).
  const numeric = canonicalAddress(host);
  if (numeric === undefined) {
    if (!looksLikeAddress(host)) host = host.toLowerCase();
  } else if (numeric.toLowerCase() !== host.toLowerCase()) host = numeric;

  // CanonicalizeHostname also makes ssh re-read the files (a final pass), even though sshmux
  // does not rewrite the name through CanonicalDomains (no DNS search here).
  const canonicalize = (st.raw.get("canonicalizehostname") ?? "no").toLowerCase();
  if (ctx.wantFinalPass || ["yes", "true", "always"].includes(canonicalize)) {
    st.hostName = host;
    readFiles(cmd, st, { ...ctx, host, finalPass: true, wantFinalPass: false }, env);
  }

  const userOnCommandLine = cmd.userOnCommandLine;
  const userWasDefault = st.user === undefined;
  const port = st.port ?? 22;
  const jump = st.jump !== undefined && st.jump !== "none" ? st.jump : undefined;

  if (jump) {
    const jumpPort = jump.port ?? 22;
    const jumpUser = jump.user ?? st.user ?? env.user;
    if (jump.host === host && port === jumpPort && (st.user ?? env.user) === jumpUser) {
      throw new ConfigError(`jumphost loop via ${jump.host}`);
    }
    if (st.proxyCommand !== undefined && st.proxyCommand.toLowerCase() !== "none") {
      throw new ConfigError("inconsistent options: ProxyCommand+ProxyJump");
    }
  }

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

  // A User from a config file may use tokens (but not %r or %C, which depend on it).
  let user = st.user ?? env.user;
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
  const tokens = clientTokens(info);
  const expandPathish = (v: string) => expandTokens(tildeExpand(v, env.home), tokens, lookup);

  let remoteCommand: string | undefined;
  if (remoteCommandRaw !== undefined) remoteCommand = expandTokens(remoteCommandRaw, tokens);

  const controlPathRaw = st.controlPath?.toLowerCase() === "none" ? undefined : st.controlPath;
  const controlPath = controlPathRaw === undefined ? undefined : expandPathish(controlPathRaw);

  let identityAgent: string | undefined;
  const agentSpec = st.identityAgent;
  if (agentSpec === undefined || agentSpec === "SSH_AUTH_SOCK") {
    identityAgent = lookup("SSH_AUTH_SOCK");
  } else if (agentSpec.toLowerCase() === "none") {
    identityAgent = "none";
  } else if (agentSpec.startsWith("$")) {
    // An unset variable means no agent (ssh does not fall back to SSH_AUTH_SOCK then).
    identityAgent = lookup(agentSpec.slice(1)) ?? "none";
  } else identityAgent = expandPathish(agentSpec);

  const fileList = (list: string[] | undefined, defaults: string[], what: string) => {
    const l = list ?? defaults;
    if (l.length > 0 && l[0].toLowerCase() === "none") {
      if (l.length > 1) {
        throw new ConfigError(`Invalid ${what}: "none" appears with other entries`);
      }
      return [];
    }
    return l;
  };
  const userKnownHostsFiles = fileList(st.userKnownHostsFiles, [
    "~/.ssh/known_hosts",
    "~/.ssh/known_hosts2",
  ], "UserKnownHostsFiles").map(expandPathish);
  const globalKnownHostsFiles = fileList(st.globalKnownHostsFiles, [
    "/etc/ssh/ssh_known_hosts",
    "/etc/ssh/ssh_known_hosts2",
  ], "GlobalKnownHostsFiles");

  const identityFiles = (st.identityFiles.length > 0 ? st.identityFiles : DEFAULT_IDENTITIES)
    .map(expandPathish);
  const certificateFiles = st.certificateFiles.map(expandPathish);

  const setEnv = (st.setEnv ?? []).map((kv) => {
    const eq = kv.indexOf("=");
    return `${kv.slice(0, eq)}=${expandTokens(kv.slice(eq + 1), tokens, lookup)}`;
  });

  // -W turns ClearAllForwardings and ExitOnForwardFailure on unless set explicitly.
  const clearAllForwardings = st.clearAllForwardings ?? cmd.stdioForward !== undefined;
  const exitOnForwardFailure = st.exitOnForwardFailure ?? cmd.stdioForward !== undefined;
  const expandFwdPaths = <T extends { listenPath?: string; connectPath?: string }>(f: T): T => ({
    ...f,
    ...(f.listenPath !== undefined ? { listenPath: expandTokens(f.listenPath, tokens) } : {}),
    ...(f.connectPath !== undefined ? { connectPath: expandTokens(f.connectPath, tokens) } : {}),
  });
  const localForwards = clearAllForwardings ? [] : st.localForwards.map(expandFwdPaths);
  const remoteForwards = clearAllForwardings ? [] : st.remoteForwards.map(expandFwdPaths);

  const logLevel = st.logLevel ?? LogLevel.INFO;
  const proxyCommandRaw = st.proxyCommand?.toLowerCase() === "none" ? undefined : st.proxyCommand;

  const options: Options = {
    hostArg: cmd.host,
    hostName: host,
    port,
    user,
    command: remoteCommand ?? commandLine,
    controlPath,
    controlMaster: st.controlMaster ?? "no",
    controlPersist: st.controlPersist === undefined || st.controlPersist === "no"
      ? undefined
      : st.controlPersist,
    muxCommand: cmd.muxCommand,
    requestTTY: st.requestTTY ?? "auto",
    stdinNull: st.stdinNull ?? false,
    sessionType,
    forkAfterAuthentication: st.forkAfterAuthentication ?? false,
    escapeChar: st.escapeChar ?? "~",
    sendEnv: [...st.sendEnv],
    setEnv,
    forwardAgent: st.forwardAgent ?? false,
    forwardX11: st.forwardX11 ?? false,
    remoteCommand,
    localForwards,
    remoteForwards,
    clearAllForwardings,
    exitOnForwardFailure,
    gatewayPorts: st.gatewayPorts ?? false,
    stdioForward: cmd.stdioForward,
    identityFiles,
    certificateFiles,
    identitiesOnly: st.identitiesOnly ?? false,
    identityAgent,
    batchMode: st.batchMode ?? false,
    strictHostKeyChecking: st.strictHostKeyChecking ?? "ask",
    userKnownHostsFiles,
    globalKnownHostsFiles,
    hostKeyAlias: st.hostKeyAlias?.toLowerCase(),
    ciphers: st.ciphers,
    kexAlgorithms: st.kexAlgorithms,
    hostKeyAlgorithms: st.hostKeyAlgorithms,
    macs: st.macs,
    pubkeyAcceptedAlgorithms: st.pubkeyAcceptedAlgorithms,
    passwordAuthentication: st.passwordAuthentication ?? true,
    kbdInteractiveAuthentication: st.kbdInteractiveAuthentication ?? true,
    pubkeyAuthentication: st.pubkeyAuthentication ?? true,
    preferredAuthentications: st.preferredAuthentications,
    numberOfPasswordPrompts: st.numberOfPasswordPrompts ?? 3,
    connectTimeout: st.connectTimeout === undefined || st.connectTimeout < 0
      ? undefined
      : st.connectTimeout,
    serverAliveInterval: Math.max(0, st.serverAliveInterval ?? 0),
    serverAliveCountMax: st.serverAliveCountMax ?? 3,
    rekeyLimitBytes: st.rekeyLimit ? st.rekeyLimit : undefined,
    rekeyLimitSeconds: st.rekeyInterval && st.rekeyInterval > 0 ? st.rekeyInterval : undefined,
    // A ProxyJump becomes the ProxyCommand ssh would build: sshmux -W through the hop.
    proxyCommand: jump
      ? impliedProxyCommand(
        { proxyJump: formatJump(jump), configFile: cmd.configFile },
        env.selfCommand ?? selfCommand(),
        cmd.verbose,
      )
      : proxyCommandRaw,
    proxyJump: jump ? formatJump(jump) : undefined,
    addressFamily: st.addressFamily ?? "any",
    bindAddress: st.bindAddress,
    compression: st.compression ?? false,
    logLevel,
    logFile: cmd.logFile,
    quiet: logLevel === LogLevel.QUIET,
    raw: new Map(st.raw),
    configFile: cmd.configFile,
  };
  return { options, warnings };
}

/** Resolves the final Options (see resolveOptionsWithWarnings for the warnings too). */
export function resolveOptions(cmd: ParsedCommandLine, env?: ResolveEnv): Options {
  return resolveOptionsWithWarnings(cmd, env).options;
}
