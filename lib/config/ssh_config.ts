// ssh_config reading: files, Host / Match blocks, Include, and the per-line dispatch shared
// with `-o`. First value wins; the command line is applied before any file.
import { log } from "../log.ts";
import { ConfigError, TokenError } from "./errors.ts";
import type { ConfigState } from "./state.ts";
import { splitConfigLine } from "./config_line.ts";
import { lookupKeyword } from "./keywords.ts";
import { applyOption } from "./apply.ts";
import { matchPattern, matchPatternList } from "../match.ts";
import { matchLine, partialTokens, type ReadContext } from "./match_line.ts";
import { checkPermissions, readCapped } from "./config_file.ts";
import { expandTokens, tildeExpand } from "./tokens.ts";
import { globPaths } from "./glob.ts";

const MAX_INCLUDE_DEPTH = 16;

export type { ReadContext };

interface FileFlags {
  userConf: boolean;
  checkPerm: boolean;
  neverMatch: boolean;
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
    // fopen() succeeds on a directory and reading it yields no lines: ssh treats it as empty.
    if (Deno.statSync(path).isDirectory) return true;
    text = readCapped(path);
  } catch (e) {
    if (e instanceof ConfigError) throw e;
    return false;
  }
  if (flags.checkPerm) checkPermissions(path);
  log.debug(`Reading configuration data ${path}`);
  const act = activity ?? { active: true };
  const errors: string[] = [];
  // ssh reads each line as a C string: a NUL ends it (binary garbage then parses like ssh's).
  const lines = text.split("\n").map((l) => l.includes("\0") ? l.slice(0, l.indexOf("\0")) : l);
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
