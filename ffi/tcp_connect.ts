// A TCP connection that leaves from a chosen source address (ssh's BindAddress/BindInterface),
// which Deno.connect cannot do: socket, bind(addr, port 0), a non-blocking connect finished
// through the reactor (POLLOUT, then SO_ERROR), TCP_NODELAY as ssh sets it. The socket is
// owned by a RawFd from the moment it exists, so every failure closes it exactly once.
import { abi } from "./abi/mod.ts";
import { E, lastError, SysError } from "./errors.ts";
import { setCloexec, setNonblocking } from "./fd_flags.ts";
import { FdIo } from "./fd_io.ts";
import { errno, libc } from "./libc.ts";
import { liveFd, RawFd } from "./raw_fd.ts";
import { POLLOUT, waitFd } from "./reactor.ts";
import { decodeSockaddr, encodeSockaddr, type InetAddress } from "./sockaddr.ts";

const C = abi.const;
const I = abi.inet;
/** sizeof(struct sockaddr_storage) */
const SOCKADDR_STORAGE = 128;

export interface BoundConnectOptions {
  /** numeric destination address and port */
  remote: InetAddress;
  /** numeric source address (its port is ignored: the kernel picks one) */
  bind: InetAddress;
  /** ConnectTimeout in ms for this attempt; none when absent or ≤ 0 */
  timeoutMs?: number;
}

export interface BoundConnection {
  io: FdIo;
  local: InetAddress;
  remote: InetAddress;
}

/**
 * Connects from `bind` to `remote`. Rejects with SysError whose `op` says which step failed:
 * "socket" or "bind" (the source address is unusable: ssh's "bind ADDR: ..." case), "connect"
 * (refused, unreachable; ETIMEDOUT when `timeoutMs` ran out), or TypeError/RangeError for an
 * address that is not numeric or families that differ (checked before any fd exists).
 */
export async function connectTcpFrom(opts: BoundConnectOptions): Promise<BoundConnection> {
  if (opts.bind.family !== opts.remote.family) {
    throw new TypeError(
      `source ${opts.bind.host} and destination ${opts.remote.host} differ in family`,
    );
  }
  const to = encodeSockaddr(abi, opts.remote);
  const from = encodeSockaddr(abi, { ...opts.bind, port: 0 });
  const af = opts.remote.family === "inet" ? I.AF_INET : I.AF_INET6;
  const lib = libc();
  const type = C.SOCK_STREAM | (abi.hasAtomicCloexec ? C.SOCK_CLOEXEC | C.SOCK_NONBLOCK : 0);
  const num = lib.socket(af, type, 0);
  if (num < 0) throw lastError("socket");
  const fd = RawFd.adopt(num);
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    if (!abi.hasAtomicCloexec) {
      setCloexec(num);
      setNonblocking(num);
    }
    if (lib.bind(num, from, from.length) < 0) throw lastError("bind");
    if (lib.connect(num, to, to.length) < 0) {
      const e = errno();
      // EINTR: the connect goes on in the kernel, so it is waited for like EINPROGRESS.
      if (e !== E.EINPROGRESS && e !== E.EINTR) throw new SysError("connect", e);
      let timedOut = false;
      if (opts.timeoutMs !== undefined && opts.timeoutMs > 0) {
        // Closing the fd settles the pending wait (POLLNVAL).
        timer = setTimeout(() => {
          timedOut = true;
          fd.close();
        }, opts.timeoutMs);
      }
      await waitFd(fd, POLLOUT);
      if (timedOut) throw new SysError("connect", E.ETIMEDOUT);
      const soError = socketError(fd);
      if (soError !== 0) throw new SysError("connect", soError);
    }
    setNoDelay(fd);
    const local = localAddress(fd);
    // Last: once an FdIo holds the fd, closing the FdIo is what releases it.
    return { io: new FdIo(fd), local, remote: opts.remote };
  } catch (e) {
    fd.close();
    throw e;
  } finally {
    if (timer !== undefined) clearTimeout(timer);
  }
}

/** SO_ERROR: the outcome of the non-blocking connect (0 = connected). */
function socketError(fd: RawFd): number {
  const val = new Int32Array(1);
  const len = new Uint32Array([4]);
  const r = libc().getsockopt(liveFd(fd, "getsockopt"), C.SOL_SOCKET, I.SO_ERROR, val, len);
  if (r < 0) throw lastError("getsockopt(SO_ERROR)");
  if (len[0] !== 4) throw new SysError("getsockopt(SO_ERROR)", E.EINVAL, `length ${len[0]}`);
  return val[0];
}

/** ssh turns Nagle off for interactive traffic; a failure only costs latency, so it is ignored. */
function setNoDelay(fd: RawFd): void {
  const one = new Int32Array([1]);
  libc().setsockopt(liveFd(fd, "setsockopt"), I.IPPROTO_TCP, I.TCP_NODELAY, one, 4);
}

/** getsockname: the source address and the port the kernel chose. */
function localAddress(fd: RawFd): InetAddress {
  const buf = new Uint8Array(SOCKADDR_STORAGE);
  const len = new Uint32Array([SOCKADDR_STORAGE]);
  if (libc().getsockname(liveFd(fd, "getsockname"), buf, len) < 0) throw lastError("getsockname");
  if (len[0] > SOCKADDR_STORAGE) {
    throw new SysError("getsockname", E.EINVAL, `length ${len[0]}`);
  }
  return decodeSockaddr(abi, buf, len[0]);
}
