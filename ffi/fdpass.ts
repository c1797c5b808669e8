// SCM_RIGHTS fd passing with hand-built msghdr/cmsghdr structs (layouts from the ABI table).
// One fd per message, each riding on a single "\0" byte, exactly as OpenSSH's mm_send_fd /
// mm_receive_fd do. These are single non-blocking attempts; ffi/unix_socket.ts waits and retries.
import { type Abi, abi, cmsgAlign, cmsgDataOffset, cmsgLen, cmsgSpace } from "./abi/mod.ts";
import { E, EofError, FdPassError, SysError } from "./errors.ts";
import { setCloexec } from "./fd_flags.ts";
import { addressOf, errno, libc, offHeap } from "./libc.ts";
import { RawFd } from "./raw_fd.ts";

const C = abi.const;
const M = abi.msghdr;
const H = abi.cmsg;

/** How many fds one receive has room for; anything beyond is dropped by the kernel (MSG_CTRUNC). */
export const RECV_FD_SLOTS = 8;

// Scratch structs, allocated once off the JS heap so the addresses stored inside them stay valid.
// All calls here are synchronous on the JS thread, so sharing them is safe.
const dataByte = offHeap(1);
const iov = offHeap(16);
const sendCtl = offHeap(cmsgSpace(abi, 4));
const recvCtl = offHeap(cmsgSpace(abi, 4 * RECV_FD_SLOTS));
const msg = offHeap(M.size);
const iovView = new DataView(iov.buffer);
const msgView = new DataView(msg.buffer);

function putWord(v: DataView, off: number, width: 4 | 8, value: number | bigint): void {
  if (width === 8) v.setBigUint64(off, BigInt(value), true);
  else v.setUint32(off, Number(value), true);
}

function getWord(v: DataView, off: number, width: 4 | 8): number {
  return width === 8 ? Number(v.getBigUint64(off, true)) : v.getUint32(off, true);
}

/** Fills the shared msghdr: no name, one iovec over `dataByte`, the given control buffer. */
function prepareMsg(ctl: Uint8Array, ctlLen: number): void {
  msg.fill(0);
  iovView.setBigUint64(0, addressOf(dataByte), true);
  iovView.setBigUint64(8, 1n, true);
  msgView.setBigUint64(M.iov, addressOf(iov), true);
  putWord(msgView, M.iovlen, M.iovlenWidth, 1);
  msgView.setBigUint64(M.control, addressOf(ctl), true);
  putWord(msgView, M.controllen, M.controllenWidth, ctlLen);
}

/**
 * One sendmsg of "\0" + SCM_RIGHTS(fd). Returns false when the socket buffer is full (EAGAIN);
 * throws SysError otherwise.
 */
export function trySendFd(sock: number, fd: number): boolean {
  return trySendFds(sock, [fd]);
}

/**
 * One sendmsg of "\0" carrying all `fds` in one SCM_RIGHTS cmsg. The protocol only ever sends
 * one; several exist so tests can play a misbehaving peer.
 */
export function trySendFds(sock: number, fds: number[]): boolean {
  if (fds.length < 1 || fds.length > 64) throw new RangeError("1..64 fds per message");
  dataByte[0] = 0;
  const ctlBuf = fds.length === 1 ? sendCtl : offHeap(cmsgSpace(abi, 4 * fds.length));
  ctlBuf.fill(0);
  const ctl = new DataView(ctlBuf.buffer);
  putWord(ctl, 0, H.lenWidth, cmsgLen(abi, 4 * fds.length));
  ctl.setInt32(H.level, C.SOL_SOCKET, true);
  ctl.setInt32(H.type, C.SCM_RIGHTS, true);
  fds.forEach((fd, i) => ctl.setInt32(cmsgDataOffset(abi) + 4 * i, fd, true));
  prepareMsg(ctlBuf, ctlBuf.length);
  const lib = libc();
  for (;;) {
    const n = Number(lib.sendmsg(sock, msg, C.MSG_NOSIGNAL | C.MSG_DONTWAIT));
    if (n === 1) return true;
    if (n >= 0) throw new FdPassError(`sendmsg sent ${n} bytes, expected 1`);
    const e = errno();
    if (e === E.EINTR) continue;
    if (e === E.EAGAIN) return false;
    throw new SysError("sendmsg(SCM_RIGHTS)", e);
  }
}

/**
 * Walks a received control buffer by the CMSG_FIRSTHDR/CMSG_NXTHDR rules of ABI `a` (the running
 * one unless a test passes another); returns the SCM_RIGHTS fds and the count of other cmsgs.
 */
export function parseControl(
  ctl: Uint8Array,
  ctlLen: number,
  a: Abi = abi,
): { fds: number[]; other: number } {
  const h = a.cmsg;
  const view = new DataView(ctl.buffer, ctl.byteOffset, ctl.byteLength);
  const end = Math.min(ctlLen, ctl.length);
  const fds: number[] = [];
  let other = 0;
  let off = 0;
  const dataOff = cmsgDataOffset(a);
  while (off + h.hdrLen <= end) {
    const len = getWord(view, off, h.lenWidth);
    if (len < dataOff || off + len > end) break; // malformed or truncated header: stop
    const level = view.getInt32(off + h.level, true);
    const type = view.getInt32(off + h.type, true);
    if (level === a.const.SOL_SOCKET && type === a.const.SCM_RIGHTS) {
      for (let p = off + dataOff; p + 4 <= off + len; p += 4) fds.push(view.getInt32(p, true));
    } else {
      other++;
    }
    off += cmsgAlign(a, len);
  }
  return { fds, other };
}

/**
 * One recvmsg of 1 byte with room for several fds. Returns the single passed fd, or null when
 * nothing is queued (EAGAIN). Throws EofError at end of stream, FdPassError when the message is
 * not exactly 1 byte + exactly one fd (any fds that did arrive are closed), SysError otherwise.
 */
export function tryRecvFd(sock: number): RawFd | null {
  const lib = libc();
  let n: number;
  for (;;) {
    recvCtl.fill(0);
    prepareMsg(recvCtl, recvCtl.length);
    n = Number(lib.recvmsg(sock, msg, C.MSG_CMSG_CLOEXEC | C.MSG_DONTWAIT));
    if (n >= 0) break;
    const e = errno();
    if (e === E.EINTR) continue;
    if (e === E.EAGAIN) return null;
    throw new SysError("recvmsg(SCM_RIGHTS)", e);
  }
  const flags = msgView.getInt32(M.flags, true);
  const ctlLen = getWord(msgView, M.controllen, M.controllenWidth);
  const { fds } = parseControl(recvCtl, ctlLen);
  const received = fds.map((f) => RawFd.adopt(f));
  const reject = (why: string): never => {
    for (const r of received) r.close();
    throw new FdPassError(why);
  };
  if (!C.MSG_CMSG_CLOEXEC) {
    // macOS: no atomic flag, so mark them right away. Our own Deno.Command spawns run on this
    // JS thread and cannot interleave; only a spawn from another thread (a Worker) could.
    for (const f of fds) setCloexec(f);
  }
  // Truncated when more fds came than we have slots for, and also when this process has no fd
  // number left for one (EMFILE): the kernel drops the fd and says only MSG_CTRUNC.
  if (flags & C.MSG_CTRUNC) {
    reject("control data truncated (too many fds sent, or this process is out of fds)");
  }
  if (n === 0 && received.length === 0) {
    throw new EofError("connection closed while waiting for an fd");
  }
  if (n !== 1) reject(`expected 1 data byte with the fd, got ${n}`);
  if (received.length !== 1) reject(`expected exactly one fd, got ${received.length}`);
  return received[0];
}
