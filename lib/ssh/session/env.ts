// Which environment variables a session sends: SendEnv patterns matched against our own
// environment, then SetEnv's NAME=value pairs (which win over a SendEnv match of the same name),
// in the order ssh sends them. (The mux client's NEW_SESSION env list is unfiltered instead:
// lib/client/session_request.ts muxNewSessionEnv.)

import { matchPattern } from "../../match.ts";

/** Names are the part before `=`; values may contain `=`. Malformed entries give undefined. */
export function splitSetEnv(entry: string): [string, string] | undefined {
  const eq = entry.indexOf("=");
  if (eq <= 0) return undefined;
  return [entry.slice(0, eq), entry.slice(eq + 1)];
}

export function sessionEnv(
  sendEnv: readonly string[],
  setEnv: readonly string[],
  environ: Record<string, string>,
): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  const set = setEnv.map(splitSetEnv).filter((e): e is [string, string] => e !== undefined);
  const setNames = new Set(set.map(([n]) => n));
  if (sendEnv.length > 0) {
    for (const [name, value] of Object.entries(environ)) {
      if (setNames.has(name)) continue;
      if (sendEnv.some((p) => matchPattern(name, p))) out.push([name, value]);
    }
  }
  out.push(...set);
  return out;
}
