// ssh_config reading: files, Host / Match blocks, Include, and the per-line dispatch shared
// with `-o`. First value wins; the command line is applied before any file.
import { log } from "../log.ts";
import { ConfigError, TokenError } from "./errors.ts";
import type { ConfigState } from "./state.ts";
import { splitConfigLine } from "./config_line.ts";
import { lookupKeyword } from "./keywords.ts";
import { applyOption } from "./apply.ts";
import { matchHostname, matchPattern, matchPatternList } from "./match.ts";
import { clientTokens, type EnvLookup, expandTokens, tildeExpand } from "./tokens.ts";
import { globPaths } from "./glob.ts";

const MAX_INCLUDE_DEPTH = 16;

/** What Host / Match / Include need to know about this invocation. */
export interface ReadContext {
  /** The host the Host lines match: the command-line host (or the final HostName). */
  host: string;
  /** The host exactly as given on the command line (Match originalhost, %n). */
  originalHost: string;
  /** Command words joined, for Match command / sessiontype. */
  remoteCommand: string;
  home: string;
  localUser: string;
  uid: number;
  localHost: string;
  env: EnvLookup;
  /** Second pass after `Match final` / canonicalisation. */
  finalPass: boolean;
  /** Set when a `Match final` was seen, so the caller runs the final pass. */
  wantFinalPass: boolean;
  /** Runs a `Match exec` command; returns its exit status. */
  exec?: (cmd: string) => number;
}

interface FileFlags {
  userConf: boolean;
  checkPerm: boolean;
  neverMatch: boolean;
}

function defaultExec(cmd: string, env: EnvLookup): number {
  const shell = env("SHELL") || "/bin/sh";
  const r = new Deno.Command(shell, {
    args: ["-c", cmd],
    stdin: "null",
    stdout: "null",
    stderr: "inherit",
  }).outputSync();
  return r.code;
}

/** The host Match host / Include tokens see at this point of parsing. */
function currentHost(st: ConfigState, ctx: ReadContext): string {
  if (ctx.finalPass && st.hostName !== undefined) return st.hostName;
  if (st.hostName !== undefined) return st.hostName.split("%h").join(ctx.host);
  return ctx.host;
}

/** Tokens for `Match exec` and Include paths, from whatever is known so far. */
function partialTokens(st: ConfigState, ctx: ReadContext): Record<string, string> {
  const host = currentHost(st, ctx);
  const jump = st.jump && st.jump !== "none" ? st.jump.host : "";
  return clientTokens({
    localHost: ctx.localHost,
    hostArg: ctx.originalHost,
    remoteHost: host,
    port: st.port ?? 22,
    remoteUser: st.user ?? ctx.localUser,
    localUser: ctx.localUser,
    uid: ctx.uid,
    home: ctx.home,
    hostKeyAlias: st.hostKeyAlias ?? host,
    jumpHost: jump,
  });
}

/** Host line: active if any pattern matches, unless a negated pattern matches. */
function hostLineMatches(patterns: string[], host: string): boolean {
  let active = false;
  for (const p of patterns) {
    const negated = p.startsWith("!");
    if (matchPattern(host, negated ? p.slice(1) : p)) {
      if (negated) return false;
      active = true;
    }
  }
  return active;
}

/** match_cfg_line: true/false, or an error string. */
function matchLine(
  st: ConfigState,
  args: string[],
  ctx: ReadContext,
  where: string,
): boolean | string {
  const host = currentHost(st, ctx);
  const ruser = st.user ?? ctx.localUser;
  let result = true;
  let attributes = 0;
  for (let i = 0; i < args.length; i++) {
    let attrib = args[i];
    if (attrib.startsWith("#")) break;
    const negate = attrib.startsWith("!");
    if (negate) attrib = attrib.slice(1);
    const lower = attrib.toLowerCase();
    if (lower === "all") {
      const after = args[i + 1];
      if (attributes > 1 || (after !== undefined && after !== "" && !after.startsWith("#"))) {
        return `${where}: '${args[i]}' cannot be combined with other Match attributes`;
      }
      return result ? !negate : false;
    }
    attributes++;
    if (lower === "canonical" || lower === "final") {
      if (lower === "final" && !negate) ctx.wantFinalPass = true;
      if (ctx.finalPass === negate) result = false;
      continue;
    }
    let arg: string | undefined;
    const eq = attrib.indexOf("=");
    const withEq = eq > 0 &&
      [
        "host",
        "originalhost",
        "user",
        "localuser",
        "localnetwork",
        "version",
        "tagged",
        "command",
        "exec",
      ].includes(lower.slice(0, eq));
    let name = lower;
    if (withEq) {
      name = lower.slice(0, eq);
      arg = attrib.slice(eq + 1);
    } else {
      arg = args[++i];
      if (arg === undefined) return `${where}: missing argument for Match '${args[i - 1]}'`;
    }
    if (arg === "" && name !== "tagged" && name !== "command") arg = undefined;
    if (arg === undefined || arg.startsWith("#")) return `Missing Match criteria for ${attrib}`;
    let r: boolean;
    switch (name) {
      case "host":
        r = matchHostname(host, arg) === 1;
        break;
      case "originalhost":
        r = matchHostname(ctx.originalHost, arg) === 1;
        break;
      case "user":
        r = matchPatternList(ruser, arg, false) === 1;
        break;
      case "localuser":
        r = matchPatternList(ctx.localUser, arg, false) === 1;
        break;
      case "version":
        r = matchPatternList("OpenSSH_9.2p1", arg, false) === 1;
        break;
      case "tagged": {
        const tag = st.raw.get("tag") ?? "";
        r = tag === "" ? arg === "" : matchPatternList(tag, arg, false) === 1;
        break;
      }
      case "command":
        r = ctx.remoteCommand === ""
          ? arg === ""
          : matchPatternList(ctx.remoteCommand, arg, false) === 1;
        break;
      case "sessiontype": {
        const type = st.sessionType === "subsystem"
          ? "subsystem"
          : st.sessionType === "none"
          ? "none"
          : ctx.remoteCommand !== ""
          ? "exec"
          : "shell";
        r = matchPatternList(type, arg, false) === 1;
        break;
      }
      case "localnetwork":
        // Needs the interface list (getifaddrs); treated as not matching, with a warning.
        log.error(`${where}: Match localnetwork is not supported by sshmux; not matched`);
        r = false;
        break;
      case "exec": {
        let cmd: string;
        try {
          cmd = expandTokens(arg, partialTokens(st, ctx));
        } catch {
          throw new ConfigError(`${where}: failed to expand match exec '${arg}'`);
        }
        if (!result) continue; // ssh skips the command when an earlier criterion failed
        let status: number;
        try {
          status = ctx.exec ? ctx.exec(cmd) : defaultExec(cmd, ctx.env);
        } catch {
          throw new ConfigError(`${where}: match exec '${cmd}' error`);
        }
        r = status === 0;
        break;
      }
      default:
        return `Unsupported Match attribute ${attrib}`;
    }
    if (r === negate) result = false;
  }
  if (attributes === 0) return "One or more attributes required for Match";
  return result;
}

/** Mutable per-file state: whether the current block applies. */
interface Activity {
  active: boolean;
}

/**
 * Processes one line from a file (or a `-o` option when `file` is "command-line").
 * Returns an error message when the line is bad; throws ConfigError for fatal ones.
 */
export function processConfigLine(
  st: ConfigState,
  line: string,
  file: string,
  lineNo: number,
  ctx: ReadContext | undefined,
  activity: Activity | undefined,
  flags: FileFlags = { userConf: true, checkPerm: false, neverMatch: false },
  depth = 0,
): string | undefined {
  const cmdline = activity === undefined;
  const act = activity ?? { active: true };
  const where = `${file} line ${lineNo}`;
  const split = splitConfigLine(line, where);
  if (split.kind === "empty") return undefined;
  if (split.kind === "error") return split.message;
  const { keyword, rest, args } = split;
  const kw = lookupKeyword(keyword);
  if (!kw) {
    if (st.ignoreUnknown !== undefined && matchPatternList(keyword, st.ignoreUnknown, true) === 1) {
      log.debug(`${where}: Ignored unknown option "${keyword}"`);
      return undefined;
    }
    return `${file}: line ${lineNo}: Bad configuration option: ${keyword}`;
  }
  switch (kw.kind) {
    case "silent":
      return undefined;
    case "deprecated":
      log.debug(`${where}: Deprecated option "${keyword}"`);
      return undefined;
    case "unsupported":
      log.error(`${where}: Unsupported option "${keyword}"`);
      return undefined;
  }
  switch (kw.name) {
    case "host": {
      if (cmdline || !ctx) return "Host directive not supported as a command-line option";
      const pats: string[] = [];
      for (const a of args) {
        if (a === "") return `${where}: keyword ${keyword} empty argument`;
        pats.push(a);
      }
      act.active = flags.neverMatch ? false : hostLineMatches(pats, ctx.host);
      if (act.active) log.debug(`${where}: Applying options for ${ctx.host}`);
      return undefined;
    }
    case "match": {
      if (cmdline || !ctx) return "Match directive not supported as a command-line option";
      const r = matchLine(st, args, ctx, where);
      if (typeof r === "string") return `${r}\n${where}: Bad Match condition`;
      act.active = flags.neverMatch ? false : r;
      return undefined;
    }
    case "include": {
      if (cmdline || !ctx) return "Include directive not supported as a command-line option";
      return include(st, args, ctx, act, flags, where, depth);
    }
  }
  return applyOption(st, kw.name, args, rest, {
    file,
    line: lineNo,
    active: act.active,
    cmdline,
  });
}

function include(
  st: ConfigState,
  args: string[],
  ctx: ReadContext,
  act: Activity,
  flags: FileFlags,
  where: string,
  depth: number,
): string | undefined {
  for (const a of args) {
    if (a === "") return `${where}: keyword include empty argument`;
    let p: string;
    try {
      p = expandTokens(a, partialTokens(st, ctx), ctx.env);
    } catch {
      log.error(`${where}: Unable to expand user config file '${a}'`);
      continue;
    }
    if (p.startsWith("~") && !flags.userConf) return `${where}: bad include path ${p}.`;
    // Relative paths live in ~/.ssh for user files and /etc/ssh for system ones.
    if (!p.startsWith("/") && !p.startsWith("~")) {
      p = flags.userConf ? `~/.ssh/${p}` : `/etc/ssh/${p}`;
    }
    let pattern: string;
    try {
      pattern = tildeExpand(p, ctx.home);
    } catch (e) {
      if (e instanceof TokenError) return `${where}: glob failed for ${p}.`;
      throw e;
    }
    const files = globPaths(pattern);
    if (files.length === 0) {
      log.debug(`${where}: include ${pattern} matched no files`);
      continue;
    }
    const wasActive = act.active;
    for (const f of files) {
      readConfigFile(
        st,
        f,
        ctx,
        {
          userConf: flags.userConf,
          checkPerm: true,
          neverMatch: flags.neverMatch || !wasActive,
        },
        act,
        depth + 1,
      );
      // A Match inside the included file must not change the including file's state.
      act.active = wasActive;
    }
  }
  return undefined;
}

/**
 * Reads one config file into `st`. Returns false if it does not exist / cannot be opened.
 * Bad lines are collected and end in ssh's "terminating, N bad configuration options".
 */
export function readConfigFile(
  st: ConfigState,
  path: string,
  ctx: ReadContext,
  flags: FileFlags,
  activity?: Activity,
  depth = 0,
): boolean {
  if (depth > MAX_INCLUDE_DEPTH) {
    throw new ConfigError("Too many recursive configuration includes");
  }
  let text: string;
  try {
    if (Deno.statSync(path).isDirectory) return false;
    text = Deno.readTextFileSync(path);
  } catch {
    return false;
  }
  if (flags.checkPerm) checkPermissions(path);
  log.debug(`Reading configuration data ${path}`);
  const act = activity ?? { active: true };
  const errors: string[] = [];
  const lines = text.split("\n");
  if (lines[lines.length - 1] === "") lines.pop();
  lines.forEach((line, idx) => {
    const err = processConfigLine(st, line, path, idx + 1, ctx, act, flags, depth);
    if (err !== undefined) errors.push(err);
  });
  if (errors.length > 0) {
    errors.push(`${path}: terminating, ${errors.length} bad configuration options`);
    throw new ConfigError(errors.join("\n"));
  }
  return true;
}

/** ssh refuses a user config writable by others or owned by someone else. */
function checkPermissions(path: string): void {
  let info: Deno.FileInfo;
  try {
    info = Deno.statSync(path);
  } catch (e) {
    throw new ConfigError(`fstat ${path}: ${(e as Error).message}`);
  }
  const uid = Deno.uid();
  if ((info.uid !== 0 && info.uid !== uid) || ((info.mode ?? 0) & 0o022) !== 0) {
    throw new ConfigError(`Bad owner or permissions on ${path}`);
  }
}
