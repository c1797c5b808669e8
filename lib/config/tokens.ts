// %token and ${VAR} expansion (ssh's percent_dollar_expand), ~ expansion, and the %C hash.
// Our own SHA-1 (sha1.ts) rather than node:crypto or an npm package: every mux client run
// computes %C before it can reach the master, and either would cost start-up time.
import { sha1 } from "./sha1.ts";
import { TokenError } from "./errors.ts";

export type EnvLookup = (name: string) => string | undefined;

/**
 * Expands `%x` tokens from `tokens` (and `${VAR}` when `env` is given). `%%` is a literal
 * percent. Errors carry ssh's wording: "unknown key %x", "invalid format" (lone trailing
 * `%`), "env var ${X} has no value", "environment variable 'X' missing closing '}'".
 */
export function expandTokens(
  input: string,
  tokens: Record<string, string> | undefined,
  env?: EnvLookup,
): string {
  let out = "";
  for (let i = 0; i < input.length; i++) {
    const c = input[i];
    if (env && c === "$" && input[i + 1] === "{") {
      const end = input.indexOf("}", i + 2);
      if (end < 0) {
        throw new TokenError(`environment variable '${input.slice(i + 2)}' missing closing '}'`);
      }
      const name = input.slice(i + 2, end);
      if (name === "") throw new TokenError("zero-length environment variable");
      const value = env(name);
      if (value === undefined) throw new TokenError(`env var \${${name}} has no value`);
      out += value;
      i = end;
      continue;
    }
    if (c !== "%" || !tokens) {
      out += c;
      continue;
    }
    const key = input[++i];
    if (key === "%") out += "%";
    else if (key === undefined) throw new TokenError("invalid format");
    else if (Object.hasOwn(tokens, key)) out += tokens[key];
    else throw new TokenError(`unknown key %${key}`);
  }
  return out;
}

/** Only `${VAR}` (dollar_expand), as used on forwarding specs. */
export function dollarExpand(input: string, env: EnvLookup): string {
  return expandTokens(input, undefined, env);
}

/** Home directory of a local user name from /etc/passwd, for `~user/...`. */
function homeOf(user: string): string | undefined {
  try {
    for (const line of Deno.readTextFileSync("/etc/passwd").split("\n")) {
      const f = line.split(":");
      if (f[0] === user && f.length >= 6) return f[5];
    }
  } catch {
    // No readable passwd file: treat the user as unknown.
  }
  return undefined;
}

/** ssh's tilde_expand: `~`, `~/path`, `~user/path`; other strings unchanged. */
export function tildeExpand(path: string, home: string): string {
  if (!path.startsWith("~")) return path;
  const rest = path.slice(1);
  let dir = home;
  let tail: string;
  if (rest === "" || rest.startsWith("/")) {
    tail = rest.replace(/^\/+/, "");
  } else {
    const slash = rest.indexOf("/");
    const user = slash < 0 ? rest : rest.slice(0, slash);
    const found = homeOf(user);
    if (found === undefined) throw new TokenError(`tilde_expand: No such user ${user}`);
    dir = found;
    tail = slash < 0 ? "" : rest.slice(slash + 1).replace(/^\/+/, "");
  }
  return dir.endsWith("/") ? dir + tail : `${dir}/${tail}`;
}

/** %C: lowercase hex SHA-1 of %l%h%p%r%j concatenated (readconf.c ssh_connection_hash). */
export function connectionHash(
  localHost: string,
  host: string,
  port: string,
  user: string,
  jumpHost: string,
): string {
  const digest = sha1(new TextEncoder().encode(localHost + host + port + user + jumpHost));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** What the client-side tokens are made of (ssh.c's ssh_conn_info). */
export interface ConnInfo {
  localHost: string; // %l, gethostname()
  hostArg: string; // %n
  remoteHost: string; // %h (after HostName)
  port: number; // %p
  remoteUser: string; // %r
  localUser: string; // %u
  uid: number; // %i
  home: string; // %d
  hostKeyAlias?: string; // %k (falls back to %n)
  jumpHost: string; // %j ("" when no ProxyJump)
}

/** The token set for ControlPath, IdentityAgent, UserKnownHostsFile, RemoteCommand, ... */
export function clientTokens(info: ConnInfo, withUser = true): Record<string, string> {
  const t: Record<string, string> = {
    L: info.localHost.split(".")[0],
    i: String(info.uid),
    k: info.hostKeyAlias ?? info.hostArg,
    l: info.localHost,
    n: info.hostArg,
    p: String(info.port),
    d: info.home,
    h: info.remoteHost,
    u: info.localUser,
    j: info.jumpHost,
  };
  if (withUser) {
    // %C is a SHA-1, worked out only if a path uses it (most sessions name theirs with -S or
    // another token, and the hash was ~1 ms of a mux client's start-up).
    let hash: string | undefined;
    Object.defineProperty(t, "C", {
      enumerable: true,
      get: () =>
        hash ??= connectionHash(
          info.localHost,
          info.remoteHost,
          String(info.port),
          info.remoteUser,
          info.jumpHost,
        ),
    });
    t.r = info.remoteUser;
  }
  return t;
}

/**
 * Expands a path option the way ssh does for ControlPath: `~` first, then %tokens and
 * ${VAR}. `none` is returned unchanged (it disables the feature).
 */
export function expandPath(
  value: string,
  tokens: Record<string, string>,
  home: string,
  env: EnvLookup,
): string {
  if (value.toLowerCase() === "none") return value;
  return expandTokens(tildeExpand(value, home), tokens, env);
}
