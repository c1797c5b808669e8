// Keywords for the session: what runs, with which environment, tty, stdin and escape character.
import { ConfigError } from "../errors.ts";
import { matchPattern } from "../../match.ts";
import { parseEscapeChar, REQUEST_TTY, SESSION_TYPE } from "../values.ts";
import type { KeywordHandler } from "./line.ts";

/** rm_env: drops SendEnv patterns matched by `-pattern`. */
function removeEnv(list: string[], pattern: string): string[] {
  return list.filter((p) => !matchPattern(p, pattern));
}

export const sessionKeywords: Record<string, KeywordHandler> = {
  sendenv: (l) => {
    let found = false;
    for (let a = l.next(); a !== undefined; a = l.next()) {
      if (a === "" || a.includes("=")) return `${l.where}: Invalid environment name.`;
      found = true;
      if (!l.on) continue;
      // SendEnv appends from every matching block (ssh notes it ignores first-wins here).
      if (a.startsWith("-")) l.st.sendEnv = removeEnv(l.st.sendEnv, a.slice(1));
      else l.st.sendEnv.push(a);
    }
    if (!found) throw new ConfigError(`${l.where}: no ${l.keyword} specified`);
    return undefined;
  },
  setenv: (l) => {
    const vals: string[] = [];
    for (let a = l.next(); a !== undefined; a = l.next()) {
      if (!a.includes("=")) return `${l.where}: Invalid SetEnv.`;
      const name = a.slice(0, a.indexOf("="));
      if (vals.some((v) => v.slice(0, v.indexOf("=")) === name)) continue;
      vals.push(a);
    }
    if (vals.length === 0) throw new ConfigError(`${l.where}: no ${l.keyword} specified`);
    l.set("setEnv", vals);
    return undefined;
  },
  escapechar: (l) => {
    const a = l.next();
    if (a === undefined || a === "") return l.missing;
    const v = parseEscapeChar(a);
    if (v === undefined) return `${l.where}: Bad escape character.`;
    l.set("escapeChar", v);
    return undefined;
  },
  requesttty: (l) => l.flag("requestTTY", REQUEST_TTY),
  sessiontype: (l) => l.flag("sessionType", SESSION_TYPE),
  stdinnull: (l) => l.flag("stdinNull"),
  forkafterauthentication: (l) => l.flag("forkAfterAuthentication"),
  remotecommand: (l) => l.command("remoteCommand"),
  forwardx11: (l) => l.flag("forwardX11"),
};
