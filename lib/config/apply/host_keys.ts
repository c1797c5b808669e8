// Keywords for verifying the server: known_hosts files, HostKeyAlias, StrictHostKeyChecking.
import { STRICT } from "../values.ts";
import type { KeywordHandler, LineResult, OptionLine } from "./line.ts";

const SSH_MAX_HOSTS_FILES = 32;

function knownHostsFiles(
  l: OptionLine,
  key: "userKnownHostsFiles" | "globalKnownHostsFiles",
): LineResult {
  const fresh = l.st[key] === undefined;
  const vals: string[] = [];
  for (let a = l.next(); a !== undefined; a = l.next()) {
    if (a === "") return `${l.where}: keyword ${l.keyword} empty argument`;
    if (a.toLowerCase() === "none" && (vals.length > 0 || l.i < l.args.length)) {
      return `${l.where}: keyword ${l.keyword} "none" argument must appear alone.`;
    }
    if (vals.length >= SSH_MAX_HOSTS_FILES) return `${l.where}: too many ${l.keyword} entries.`;
    vals.push(a);
  }
  if (l.on && fresh) l.st[key] = vals;
  return undefined;
}

export const hostKeyKeywords: Record<string, KeywordHandler> = {
  hostkeyalias: (l) => l.str("hostKeyAlias"),
  stricthostkeychecking: (l) => l.flag("strictHostKeyChecking", STRICT),
  userknownhostsfile: (l) => knownHostsFiles(l, "userKnownHostsFiles"),
  globalknownhostsfile: (l) => knownHostsFiles(l, "globalKnownHostsFiles"),
};
