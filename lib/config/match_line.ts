// Match lines (readconf.c match_cfg_line): all, canonical/final, host, originalhost, user,
// localuser, localnetwork, version, tagged, command, sessiontype, exec.
import { ConfigError } from "./errors.ts";
import type { ConfigState } from "./state.ts";
import { matchHostname, matchPatternList } from "../match.ts";
import { localNetworkMatches, matchCidrList } from "./cidr.ts";
import { clientTokens, type EnvLookup, expandTokens } from "./tokens.ts";

/**
 * The ssh release `Match version` compares with. sshmux follows the OpenSSH 9.2 client's
 * config behaviour (the oracle its tests compare against), so it answers as that release.
 */
export const EMULATED_RELEASE = "OpenSSH_9.2p1";

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
export function partialTokens(st: ConfigState, ctx: ReadContext): Record<string, string> {
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

/** match_cfg_line: true/false, or an error string. */
export function matchLine(
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
        r = matchPatternList(EMULATED_RELEASE, arg, false) === 1;
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
        if (matchCidrList(undefined, arg) === -1) return `${where}: invalid CIDR list "${arg}"`;
        r = localNetworkMatches(arg);
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
