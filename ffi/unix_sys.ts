// AF_UNIX stream sockets: listen (OpenSSH's atomic temp-name + link() dance), connect, accept,
// peer credentials, socketpair. All fds are close-on-exec.
import { abi } from "./abi/mod.ts";
import { E, lastError, SysError, sysErrorNamed } from "./errors.ts";
import { getStatusFlags, setCloexec, setNonblocking, setStatusFlags } from "./fd_flags.ts";
import { cstr, errno, libc } from "./libc.ts";
import { adoptPair } from "./misc.ts";
import { liveFd, RawFd } from "./raw_fd.ts";

const C = abi.const;
const L = abi.sockaddrUn;
const encoder = new TextEncoder();

/** Length of the random suffix listenUnix appends: "." + 16 characters. */
export const TEMP_SUFFIX_LEN = 17;

/** Longest socket path (in UTF-8 bytes) that fits sun_path with its NUL. */
export const MAX_SUN_PATH = L.pathSize - 1;

/** Builds a sockaddr_un; throws ENAMETOOLONG when the path does not fit. Returns [addr, len]. */
export function sockaddrUn(path: string, op: string): [Uint8Array, number] {
  const bytes = encoder.encode(path);
  if (bytes.includes(0)) throw new TypeError("socket path contains a NUL byte");
  if (bytes.length > MAX_SUN_PATH) {
    throw sysErrorNamed(op, "ENAMETOOLONG", `${bytes.length} bytes, limit ${MAX_SUN_PATH}`);
  }
  const addr = new Uint8Array(L.size);
  const len = L.pathOffset + bytes.length + 1;
  if (L.familyWidth === 2) new DataView(addr.buffer).setUint16(L.familyOffset, C.AF_UNIX, true);
  else addr[L.familyOffset] = C.AF_UNIX;
  if (L.lenOffset !== null) addr[L.lenOffset] = len;
  addr.set(bytes, L.pathOffset);
  return [addr, len];
}

const ALPHANUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/** 16 uniformly random [A-Za-z0-9] characters (rejection sampling, no modulo bias). */
function randomSuffix(): string {
  let out = "";
  const buf = new Uint8Array(32);
  while (out.length < 16) {
    crypto.getRandomValues(buf);
    for (const b of buf) {
      if (b < 248 && out.length < 16) out += ALPHANUM[b % 62];
    }
  }
  return out;
}

/** socket(AF_UNIX, SOCK_STREAM) with close-on-exec (and optionally O_NONBLOCK). */
function unixSocket(nonblocking: boolean): number {
  const lib = libc();
  if (abi.hasAtomicCloexec) {
    const type = C.SOCK_STREAM | C.SOCK_CLOEXEC | (nonblocking ? C.SOCK_NONBLOCK : 0);
    const fd = lib.socket(C.AF_UNIX, type, 0);
    if (fd < 0) throw lastError("socket");
    return fd;
  }
  const fd = lib.socket(C.AF_UNIX, C.SOCK_STREAM, 0);
  if (fd < 0) throw lastError("socket");
  try {
    setCloexec(fd);
    if (nonblocking) setNonblocking(fd);
    noSigpipe(fd);
  } catch (e) {
    lib.close(fd);
    throw e;
  }
  return fd;
}

/** macOS has no MSG_NOSIGNAL; SO_NOSIGPIPE makes the socket return EPIPE instead of signalling. */
function noSigpipe(fd: number): void {
  if (!C.SO_NOSIGPIPE) return;
  const one = new Int32Array([1]);
  if (libc().setsockopt(fd, C.SOL_SOCKET, C.SO_NOSIGPIPE, one, 4) < 0) {
    throw lastError("setsockopt(SO_NOSIGPIPE)");
  }
}

/**
 * Listens on `path` the way OpenSSH's mux master does: with umask 0177 bind
 * "<path>.<16 random chars>", listen, link() it to `path` (atomic: EEXIST if something is
 * already there), then remove the temp name. The socket is non-blocking and mode 0600.
 */
export function listenUnix(path: string, backlog = 64): RawFd {
  const op = `listen ${path}`;
  const pathBytes = encoder.encode(path).length;
  if (pathBytes + TEMP_SUFFIX_LEN > MAX_SUN_PATH) {
    throw sysErrorNamed(
      op,
      "ENAMETOOLONG",
      `${pathBytes} bytes; the limit is ${
        MAX_SUN_PATH - TEMP_SUFFIX_LEN
      } to leave room for the temporary name`,
    );
  }
  const lib = libc();
  const temp = `${path}.${randomSuffix()}`;
  const [addr, len] = sockaddrUn(temp, op);
  const fd = unixSocket(true);
  let bound = false;
  try {
    // umask is process-wide; it is restored right after bind. The chmod below covers the
    // (unlikely) case of another thread changing it in between.
    const oldMask = lib.umask(0o177);
    const r = lib.bind(fd, addr, len);
    const bindErr = r < 0 ? lastError(`bind ${temp}`) : null;
    lib.umask(oldMask);
    if (bindErr) throw bindErr;
    bound = true;
    const tempC = cstr(temp);
    if (lib.chmod(tempC, 0o600) < 0) throw lastError(`chmod ${temp}`);
    if (lib.listen(fd, backlog) < 0) throw lastError(`listen ${temp}`);
    if (lib.link(tempC, cstr(path)) < 0) throw lastError(`link ${temp} -> ${path}`);
  } catch (e) {
    lib.close(fd);
    if (bound) lib.unlink(cstr(temp));
    throw e;
  }
  lib.unlink(cstr(temp));
  return RawFd.adopt(fd);
}

/**
 * Connects to a listening socket. The connect itself blocks (like ssh's; AF_UNIX connects
 * complete at once unless the listener's backlog is full); afterwards our socket is O_NONBLOCK.
 * Where the socket can be made non-blocking from the start (Linux), it is, and a full backlog
 * (EAGAIN) turns blocking for the connect: a mux client then binds no fcntl on its way (each
 * libc symbol costs start-up time, ffi/lazy_symbols.ts).
 */
export function connectUnix(path: string): RawFd {
  const op = `connect ${path}`;
  const [addr, len] = sockaddrUn(path, op);
  const lib = libc();
  let nonblocking = abi.hasAtomicCloexec;
  const fd = unixSocket(nonblocking);
  try {
    for (;;) {
      if (lib.connect(fd, addr, len) === 0) break;
      const e = errno();
      // EINTR: the kernel keeps connecting; on AF_UNIX a retry reports EISCONN once done.
      if (e === E.EINTR) continue;
      if (e === E.EISCONN) break;
      if (e === E.EAGAIN && nonblocking) {
        setStatusFlags(fd, getStatusFlags(fd) & ~C.O_NONBLOCK);
        nonblocking = false;
        continue;
      }
      throw new SysError(op, e);
    }
    if (!nonblocking) setNonblocking(fd);
  } catch (e) {
    lib.close(fd);
    throw e;
  }
  return RawFd.adopt(fd);
}

/** Accepts one pending connection (non-blocking, close-on-exec); null when none is pending. */
export function acceptUnix(listener: RawFd): RawFd | null {
  const lfd = liveFd(listener, "accept");
  const lib = libc();
  for (;;) {
    const fd = abi.hasAtomicCloexec
      ? lib.accept4!(lfd, null, null, C.SOCK_CLOEXEC | C.SOCK_NONBLOCK)
      : lib.accept!(lfd, null, null);
    if (fd >= 0) {
      if (!abi.hasAtomicCloexec) {
        try {
          setCloexec(fd);
          setNonblocking(fd);
          noSigpipe(fd);
        } catch (e) {
          lib.close(fd);
          throw e;
        }
      }
      return RawFd.adopt(fd);
    }
    const e = errno();
    if (e === E.EINTR) continue;
    // ECONNABORTED: the client gave up before we got to it; nothing is pending for us.
    if (e === E.EAGAIN || e === E.ECONNABORTED) return null;
    throw new SysError("accept", e);
  }
}

/** The uid of the process at the other end (SO_PEERCRED on Linux, getpeereid on macOS). */
export function peerUid(sock: RawFd): number {
  const fd = liveFd(sock, "getpeereid");
  const lib = libc();
  const pc = abi.peerCred;
  if (pc) {
    const cred = new Uint8Array(pc.size);
    const len = new Uint32Array([pc.size]);
    if (lib.getsockopt(fd, C.SOL_SOCKET, pc.SO_PEERCRED, cred, len) < 0) {
      throw lastError("getsockopt(SO_PEERCRED)");
    }
    return new DataView(cred.buffer).getUint32(pc.uidOffset, true);
  }
  const uid = new Uint32Array(1);
  const gid = new Uint32Array(1);
  if (lib.getpeereid!(fd, uid, gid) < 0) throw lastError("getpeereid");
  return uid[0];
}

/**
 * The pid of the process at the other end as the kernel recorded it at connect time
 * (SO_PEERCRED), for listings only: undefined where the platform has no such call here.
 */
export function peerPid(sock: RawFd): number | undefined {
  const fd = liveFd(sock, "peerPid");
  const pc = abi.peerCred;
  if (!pc) return undefined;
  const cred = new Uint8Array(pc.size);
  const len = new Uint32Array([pc.size]);
  if (libc().getsockopt(fd, C.SOL_SOCKET, pc.SO_PEERCRED, cred, len) < 0) return undefined;
  const pid = new DataView(cred.buffer).getInt32(pc.pidOffset, true);
  return pid > 0 ? pid : undefined;
}

/** socketpair(AF_UNIX, SOCK_STREAM), close-on-exec, blocking (I/O here uses MSG_DONTWAIT). */
export function socketpair(): [RawFd, RawFd] {
  const lib = libc();
  const sv = new Int32Array(2);
  const type = C.SOCK_STREAM | (abi.hasAtomicCloexec ? C.SOCK_CLOEXEC : 0);
  if (lib.socketpair(C.AF_UNIX, type, 0, sv) < 0) throw lastError("socketpair");
  const pair = adoptPair(sv);
  if (!abi.hasAtomicCloexec) {
    try {
      for (const n of sv) {
        setCloexec(n);
        noSigpipe(n);
      }
    } catch (e) {
      pair[0].close();
      pair[1].close();
      throw e;
    }
  }
  return pair;
}
