// Opening the local listeners for -L and -D: which addresses ssh binds for a given listen host
// and GatewayPorts (channels.c channel_fwd_bind_addr, client side), one listener per address
// on one port, and unix-socket listeners created with mode 0600 without a race.

import { log } from "../../log.ts";

export interface TcpListenResult {
  listeners: Deno.TcpListener[];
  /** The bound port (the allocated one when 0 was asked for). */
  port: number;
  /** Lines ssh would have printed at error level, in order (for ForwardError). */
  errors: string[];
}

// getaddrinfo's order for the loopback pair (::1 first), which decides which failure ssh
// reports at error level: the last address's.
const LOOPBACK = ["::1", "127.0.0.1"];
// "::" first: on Linux it is dual-stack, so the 0.0.0.0 bind after it normally fails with
// EADDRINUSE, which is expected and only logged at debug level.
const WILDCARD = ["::", "0.0.0.0"];

/** Addresses to bind for a local forward's listen host (undefined = not given). */
export function localBindAddresses(
  listenHost: string | undefined,
  gatewayPorts: boolean,
): string[] {
  if (listenHost === undefined) return gatewayPorts ? WILDCARD : LOOPBACK;
  if (listenHost === "" || listenHost === "*") return WILDCARD;
  // "localhost" deliberately maps to both loopback families rather than one resolver answer.
  if (listenHost === "localhost") return LOOPBACK;
  return [listenHost];
}

/** strerror-style text from a Deno error: "Address already in use (os error 98)" → without the tail. */
export function errnoText(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  return msg.replace(/ \(os error \d+\)$/, "");
}

/** `[host]:port` as ssh prints bind addresses. */
function bracket(host: string, port: number): string {
  return `[${host}]:${port}`;
}

/**
 * Listens on every address for `listenHost` (ssh's rules), all on the same port. Succeeds if
 * at least one bind worked; `errors` then still lists the failures ssh would report.
 */
export function listenForwardTcp(
  listenHost: string | undefined,
  port: number,
  gatewayPorts: boolean,
): TcpListenResult {
  const hosts = localBindAddresses(listenHost, gatewayPorts);
  const wildcard = hosts === WILDCARD;
  const listeners: Deno.TcpListener[] = [];
  const errors: string[] = [];
  let boundPort = port;
  for (let i = 0; i < hosts.length; i++) {
    const host = hosts[i];
    try {
      const l = Deno.listen({ hostname: host, port: boundPort, transport: "tcp" });
      listeners.push(l);
      boundPort = (l.addr as Deno.NetAddr).port;
      log.debug(`Local forwarding listening on ${host} port ${boundPort}.`);
    } catch (e) {
      const line = `bind ${bracket(host, boundPort)}: ${errnoText(e)}`;
      const dualStackShadow = wildcard && listeners.length > 0 &&
        e instanceof Deno.errors.AddrInUse;
      if (dualStackShadow) {
        log.debug(line);
      } else if (i === hosts.length - 1) {
        // ssh reports the last address's failure as an error (even when an earlier address
        // worked) and earlier ones verbosely.
        log.error(line);
        errors.push(line);
      } else {
        log.verbose(line);
        errors.push(line);
      }
    }
  }
  if (listeners.length === 0) {
    const line = `channel_setup_fwd_listener_tcpip: cannot listen to port: ${port}`;
    log.error(line);
    errors.push(line);
  }
  return { listeners, port: boundPort, errors };
}

/** sun_path holds 108 bytes on Linux (104 on the BSDs), counting the terminating NUL. */
const SUN_PATH_MAX = Deno.build.os === "linux" ? 108 : 104;

export interface UnixListenResult {
  listener?: Deno.UnixListener;
  errors: string[];
  /** Identity of the socket file we created, so cleanup never removes someone else's. */
  ino?: number | null;
  dev?: number;
}

function byteLen(s: string): number {
  return new TextEncoder().encode(s).length;
}

function dirOf(path: string): string {
  const i = path.lastIndexOf("/");
  if (i < 0) return ".";
  return i === 0 ? "/" : path.slice(0, i);
}

/** A stale socket is ours to remove: a socket file, owned by us, that nobody listens on. */
async function isOwnStaleSocket(path: string): Promise<boolean> {
  let st: Deno.FileInfo;
  try {
    st = Deno.lstatSync(path);
  } catch {
    return false;
  }
  if (!st.isSocket || st.uid !== Deno.uid()) return false;
  try {
    const c = await Deno.connect({ transport: "unix", path });
    c.close();
    return false; // someone is listening: not stale
  } catch (e) {
    return e instanceof Deno.errors.ConnectionRefused;
  }
}

/**
 * Listens on a unix socket with mode 0600 (ssh's StreamLocalBindMask 0177). The socket is bound
 * inside a fresh 0700 directory, chmod-ed, then hard-linked into place, so nobody can connect
 * before the mode is right and an existing file is never replaced (link fails with EEXIST).
 * A stale socket of ours (no listener) is removed first; anything else at the path fails.
 */
export async function listenForwardUnix(path: string): Promise<UnixListenResult> {
  const fail = (why: string): UnixListenResult => {
    const line = `unix_listener: cannot bind to path ${path}: ${why}`;
    log.error(line);
    return { errors: [line] };
  };
  if (byteLen(path) >= SUN_PATH_MAX) {
    const line = `unix_listener: path "${path}" too long for Unix domain socket`;
    log.error(line);
    return { errors: [line] };
  }
  if (await isOwnStaleSocket(path)) {
    log.debug(`removing stale socket ${path}`);
    try {
      Deno.removeSync(path);
    } catch { /* raced with its owner: the link below reports it */ }
  }
  let tmpDir: string | undefined;
  try {
    tmpDir = Deno.makeTempDirSync({ dir: dirOf(path), prefix: ".sshmux-fwd-" });
  } catch { /* unwritable directory: the direct bind below gives the real error */ }
  const tmpPath = tmpDir ? `${tmpDir}/s` : undefined;
  if (!tmpDir || !tmpPath || byteLen(tmpPath) >= SUN_PATH_MAX) {
    if (tmpDir) Deno.removeSync(tmpDir, { recursive: true });
    return bindDirect(path, fail);
  }
  let listener: Deno.UnixListener | undefined;
  try {
    listener = Deno.listen({ transport: "unix", path: tmpPath });
    Deno.chmodSync(tmpPath, 0o600);
    Deno.linkSync(tmpPath, path);
  } catch (e) {
    listener?.close();
    return fail(errnoText(e));
  } finally {
    Deno.removeSync(tmpDir, { recursive: true });
  }
  const st = Deno.lstatSync(path);
  log.debug(`Local forwarding listening on path ${path}.`);
  return { listener, errors: [], ino: st.ino, dev: st.dev };
}

/** Fallback when no temp directory fits: bind in place, then fix the mode at once. */
function bindDirect(path: string, fail: (why: string) => UnixListenResult): UnixListenResult {
  let listener: Deno.UnixListener | undefined;
  try {
    listener = Deno.listen({ transport: "unix", path });
    Deno.chmodSync(path, 0o600);
    const st = Deno.lstatSync(path);
    return { listener, errors: [], ino: st.ino, dev: st.dev };
  } catch (e) {
    listener?.close();
    return fail(errnoText(e));
  }
}

/** Removes the socket file at `path` only if it is still the one we created. */
export function unlinkIfOurs(path: string, ino: number | null | undefined, dev?: number): void {
  if (ino === undefined || ino === null) return;
  try {
    const st = Deno.lstatSync(path);
    if (st.ino === ino && st.dev === dev) Deno.removeSync(path);
  } catch { /* already gone */ }
}
