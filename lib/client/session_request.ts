// The parts of MUX_C_NEW_SESSION that come from options and the environment, computed like
// OpenSSH's client (mux.c mux_client_request_session): TERM, the escape character, the env list.
// Pure functions, so they are unit-tested without a master.

import { matchPattern } from "../match.ts";
import type { Options } from "../config/options.ts";
import { ESCAPE_NONE } from "../mux/constants.ts";

/** Whether a `NAME=value` environ entry passes the SendEnv patterns (ssh's env_permitted). */
export function envPermitted(entry: string, sendEnv: readonly string[]): boolean {
  const eq = entry.indexOf("=");
  if (eq <= 0) return false;
  const name = entry.slice(0, eq);
  return sendEnv.some((p) => matchPattern(name, p));
}

/**
 * Env strings for MUX_C_NEW_SESSION, unfiltered like mux.c's client: environ entries matching
 * SendEnv (in environ order), then every SetEnv entry, even one naming a variable SendEnv also
 * matched; the master filters them with its own SendEnv. lib/ssh/session's sessionEnv is the one
 * that sends env requests on a channel, where SetEnv replaces a SendEnv match of the same name.
 */
export function muxNewSessionEnv(
  opts: Pick<Options, "sendEnv" | "setEnv">,
  environ: Record<string, string>,
): string[] {
  const out: string[] = [];
  if (opts.sendEnv.length > 0) {
    for (const [name, value] of Object.entries(environ)) {
      const entry = `${name}=${value}`;
      if (envPermitted(entry, opts.sendEnv)) out.push(entry);
    }
  }
  out.push(...opts.setEnv);
  return out;
}

/** TERM: a non-empty SetEnv TERM=… wins, else $TERM, else "". */
export function sessionTerm(
  opts: Pick<Options, "setEnv">,
  environ: Record<string, string>,
): string {
  for (const e of opts.setEnv) {
    if (e.startsWith("TERM=") && e.length > 5) return e.slice(5);
  }
  return environ["TERM"] ?? "";
}

/**
 * The escape character as the u32 the master expects. Accepts what ssh_config accepts: a single
 * character, `^X` for a control character, or "none".
 */
export function escapeCharCode(escapeChar: string): number {
  if (escapeChar === "none" || escapeChar === "") return ESCAPE_NONE;
  if (escapeChar.length === 2 && escapeChar[0] === "^") {
    return escapeChar.charCodeAt(1) & 31;
  }
  return escapeChar.charCodeAt(0) & 0xff;
}
