// Destinations: `ssh://[user@]host[:port]` URIs and `[user@]host[:port]` jump hops.
import { a2port } from "./ports.ts";

export interface Destination {
  user?: string;
  host: string;
  port?: number;
}

function urldecode(s: string): string | undefined {
  try {
    // Only %XX escapes are decoded; a decoded NUL would truncate the C string, so reject it.
    const d = decodeURIComponent(s);
    return d.includes("\0") ? undefined : d;
  } catch {
    return undefined;
  }
}

/** Splits `host[:port]` / `[v6]:port` at the first `:` or `/` outside brackets (hpdelim2). */
function hostAndRest(s: string): { host: string; delim?: string; rest?: string } | undefined {
  let i: number;
  if (s.startsWith("[")) {
    const close = s.indexOf("]");
    if (close < 0) return undefined;
    i = close + 1;
  } else {
    i = s.search(/[:/]/);
    if (i < 0) i = s.length;
  }
  if (i >= s.length) return { host: s };
  const delim = s[i];
  if (delim !== ":" && delim !== "/") return undefined;
  return { host: s.slice(0, i), delim, rest: s.slice(i + 1) };
}

/** Strips the brackets of `[addr]` (cleanhostname). */
export function cleanHostname(h: string): string {
  return h.startsWith("[") && h.endsWith("]") ? h.slice(1, -1) : h;
}

/**
 * parse_ssh_uri: "not-uri" when `s` is not an ssh:// URI, "bad" when it is one but invalid
 * (ssh then prints its usage), else the parts. A path component is not allowed.
 */
export function parseSshUri(s: string): Destination | "not-uri" | "bad" {
  if (!s.startsWith("ssh://")) return "not-uri";
  let tmp = s.slice(6);
  let user: string | undefined;
  const at = tmp.indexOf("@");
  if (at >= 0) {
    let u = tmp.slice(0, at);
    const semi = u.indexOf(";");
    if (semi >= 0) u = u.slice(0, semi); // connection parameters are ignored, as in ssh
    if (u === "") return "bad";
    user = urldecode(u);
    if (user === undefined) return "bad";
    tmp = tmp.slice(at + 1);
  }
  const hp = hostAndRest(tmp);
  if (!hp || hp.host === "") return "bad";
  const host = cleanHostname(hp.host);
  if (!validDomainish(host)) return "bad";
  let port: number | undefined;
  let rest = hp.rest;
  if (rest !== undefined && rest !== "") {
    if (hp.delim === ":") {
      const slash = rest.indexOf("/");
      const p = a2port(slash < 0 ? rest : rest.slice(0, slash));
      if (p <= 0) return "bad";
      port = p;
      rest = slash < 0 ? undefined : rest.slice(slash + 1);
    }
    if (rest !== undefined && rest !== "") return "bad"; // a path: not allowed for ssh://
  }
  return { user, host, port };
}

/** A loose valid_domain(): no empty name, no whitespace/control characters or quotes. */
function validDomainish(h: string): boolean {
  return h !== "" && !hasControlChar(h) && !/[\s'"`$\\;&<>|(){},]/.test(h);
}

/** parse_user_host_port: `[user@]host[:port]`; undefined if malformed. */
export function parseUserHostPort(s: string): Destination | undefined {
  let user: string | undefined;
  let rest = s;
  const at = s.lastIndexOf("@");
  if (at >= 0) {
    user = s.slice(0, at);
    rest = s.slice(at + 1);
    if (user === "") return undefined;
  }
  const hp = hostAndRest(rest);
  if (!hp || hp.host === "" || hp.delim === "/") return undefined;
  const host = cleanHostname(hp.host);
  let port: number | undefined;
  if (hp.rest !== undefined) {
    const p = a2port(hp.rest);
    if (p <= 0) return undefined;
    port = p;
  }
  return { user, host, port };
}

/** ssh_valid_hostname: what ssh allows in a host name from the command line. */
export function validHostname(s: string): boolean {
  if (s.startsWith("-")) return false;
  return !hasControlChar(s) && !/['`"$\\;&<>|(){},\s]/.test(s);
}

/** ssh_valid_ruser: what ssh allows in a user name from the command line. */
export function validRemoteUser(s: string): boolean {
  if (s.startsWith("-")) return false;
  if (hasControlChar(s) || /['`";&<>|(){}]/.test(s)) return false;
  if (/\s-/.test(s)) return false;
  if (s.endsWith("\\")) return false;
  return true;
}

/** iscntrl() on any character: C0 controls and DEL. */
export function hasControlChar(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 32 || c === 127) return true;
  }
  return false;
}
