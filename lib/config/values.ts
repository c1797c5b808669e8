// Value parsers and keyword tables for ssh_config options (readconf.c's multistate tables,
// atoi_err, scan_scaled, parse_jump, the escape character).
import type { JumpSpec } from "./state.ts";
import type { RequestTTY } from "./options.ts";
import type { StrictHostKeyChecking } from "../ssh/known_hosts/config.ts";
import { parseSshUri, parseUserHostPort, validHostname, validRemoteUser } from "./destination.ts";

export const FLAG: Record<string, boolean> = { yes: true, true: true, no: false, false: false };

export function multistate<T>(table: Record<string, T>, arg: string | undefined): T | undefined {
  if (arg === undefined || arg === "") return undefined;
  const k = arg.toLowerCase();
  return Object.hasOwn(table, k) ? table[k] : undefined;
}

export const STRICT: Record<string, StrictHostKeyChecking> = {
  true: "yes",
  yes: "yes",
  false: "no",
  no: "no",
  off: "no",
  ask: "ask",
  "accept-new": "accept-new",
};
export const REQUEST_TTY: Record<string, RequestTTY> = {
  true: "yes",
  yes: "yes",
  false: "no",
  no: "no",
  force: "force",
  auto: "auto",
};
export const SESSION_TYPE: Record<string, "default" | "none" | "subsystem"> = {
  none: "none",
  subsystem: "subsystem",
  default: "default",
};
export const ADDRESS_FAMILY: Record<string, "any" | "inet" | "inet6"> = {
  inet: "inet",
  inet6: "inet6",
  any: "any",
};
export const PUBKEY_AUTH: Record<string, boolean> = {
  ...FLAG,
  unbound: true,
  "host-bound": true,
};
export const COMPRESSION: Record<string, boolean> = { yes: true, no: false };

/** strtonum(0..INT_MAX) as atoi_err reports it. */
export function atoiErr(arg: string | undefined): number | string {
  if (arg === undefined || arg === "") return "missing";
  if (!/^[ \t\n\v\f\r]*[+-]?\d+$/.test(arg)) return "invalid";
  const n = Number(arg.trim());
  if (n < 0) return "too small";
  if (n > 0x7fffffff) return "too large";
  return n;
}

/** scan_scaled: a number with an optional K/M/G/T suffix (powers of 1024). */
export function scanScaled(arg: string): number | undefined {
  const m = /^(\d+)(?:\.(\d+))?([KMGTPE]?)$/i.exec(arg);
  if (!m) return undefined;
  const scale = 1024 ** " KMGTPE".indexOf((m[3] || " ").toUpperCase());
  return Math.floor(Number(`${m[1]}.${m[2] ?? "0"}`) * scale);
}

/** parse_jump: `none`, or a comma list of `[user@]host[:port]` / ssh:// hops. */
export function parseJump(s: string, strict: boolean): JumpSpec | "none" | undefined {
  if (s.toLowerCase() === "none") return "none";
  const orig = s.replace(/#.*/, "").replace(/\s+$/, "");
  const hops = orig.split(",");
  let last: JumpSpec | undefined;
  for (let i = hops.length - 1; i >= 0; i--) {
    const uri = parseSshUri(hops[i]);
    if (uri === "bad") return undefined;
    const d = uri === "not-uri" ? parseUserHostPort(hops[i]) : uri;
    if (!d) return undefined;
    if (strict) {
      if (!validHostname(d.host)) return undefined;
      if (d.user !== undefined && !validRemoteUser(d.user)) return undefined;
    }
    // ssh keeps the hop nearest the destination; the others ride along as -J for it.
    if (i === hops.length - 1) last = { host: d.host, user: d.user, port: d.port };
  }
  if (!last) return undefined;
  if (hops.length > 1) last.extra = hops.slice(0, -1).join(",");
  return last;
}

/** EscapeChar / -e: one character, `^X` for a control character, or `none`. */
export function parseEscapeChar(a: string): string | undefined {
  if (a === "none") return "none";
  // One byte only: ssh rejects a multi-byte UTF-8 character here.
  if (a.length === 1 && a.charCodeAt(0) < 128) return a;
  if (a.length === 2 && a[0] === "^") {
    const c = a.charCodeAt(1);
    if (c >= 64 && c < 128) return String.fromCharCode(c & 31);
  }
  return undefined;
}
