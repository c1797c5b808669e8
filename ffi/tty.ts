// Terminals: isatty, window size, termios → pty-req modes, ssh's raw mode, and openpty for tests.
import { abi } from "./abi/mod.ts";
import { lastError } from "./errors.ts";
import { setCloexec } from "./fd_flags.ts";
import { cstr, cString, ioctl, libc } from "./libc.ts";
import { liveFd, RawFd } from "./raw_fd.ts";
import { encodeTtyModes, TTY_OP_END } from "./ttymodes.ts";

const C = abi.const;
const T = abi.termios;

export interface Winsize {
  rows: number;
  cols: number;
  xpixel: number;
  ypixel: number;
}

const ownStdio = [Deno.stdin, Deno.stdout, Deno.stderr];

export function isatty(fd: RawFd): boolean {
  const num = liveFd(fd, "isatty");
  // Our own stdin/stdout/stderr: Deno answers, and a mux client binds no libc isatty for it
  // (each libc symbol costs start-up time, ffi/lazy_symbols.ts).
  if (!fd.owned && num <= 2) return ownStdio[num].isTerminal();
  return libc().isatty(num) === 1;
}

/** The device of the terminal behind fd number `num` (TIOCGDEV), or null. */
function ttyDevice(num: number): number | null {
  if (C.TIOCGDEV === 0) return null;
  const dev = new Uint8Array(4);
  if (ioctl(num, C.TIOCGDEV, dev) < 0) return null;
  return new DataView(dev.buffer).getUint32(0, true); // an unsigned int, little-endian targets
}

/**
 * An open file description of our own, non-blocking, for the terminal behind `fd`; null where
 * none can be had. A passed terminal must stay blocking (O_NONBLOCK belongs to the description
 * the client shares), and a blocking write to it stalls the whole process once nobody reads
 * the terminal; on a description of our own the flag touches nobody else. Linux only:
 * /proc/self/fd/N opens the file anew (macOS's /dev/fd/N is a dup). Refused unless the new
 * description is the same terminal, which TIOCGDEV tells: reopening /dev/ptmx would make a new
 * pty, and /dev/tty names the opener's own terminal.
 */
export function reopenTtyNonblocking(fd: RawFd): RawFd | null {
  if (abi.os !== "linux") return null;
  const num = liveFd(fd, "reopen tty");
  const dev = ttyDevice(num);
  if (dev === null) return null;
  const flags = C.O_RDWR | C.O_NOCTTY | C.O_NONBLOCK | C.O_CLOEXEC;
  const r = libc().open(cstr(`/proc/self/fd/${num}`), flags);
  if (r < 0) return null;
  const own = RawFd.adopt(r);
  if (ttyDevice(r) !== dev) {
    own.close();
    return null;
  }
  return own;
}

/** TIOCGWINSZ; null when fd is not a terminal (or the call fails). */
export function getWinsize(fd: RawFd): Winsize | null {
  const ws = new Uint8Array(8); // struct winsize { u16 row, col, xpixel, ypixel }
  if (ioctl(liveFd(fd, "ioctl(TIOCGWINSZ)"), C.TIOCGWINSZ, ws) < 0) return null;
  const v = new DataView(ws.buffer);
  return {
    rows: v.getUint16(0, true),
    cols: v.getUint16(2, true),
    xpixel: v.getUint16(4, true),
    ypixel: v.getUint16(6, true),
  };
}

/** TIOCSWINSZ (tests; a pty master uses it to announce a new size). */
export function setWinsize(fd: RawFd, w: Winsize): void {
  const ws = new Uint8Array(8);
  const v = new DataView(ws.buffer);
  v.setUint16(0, w.rows, true);
  v.setUint16(2, w.cols, true);
  v.setUint16(4, w.xpixel, true);
  v.setUint16(6, w.ypixel, true);
  if (ioctl(liveFd(fd, "ioctl(TIOCSWINSZ)"), C.TIOCSWINSZ, ws) < 0) {
    throw lastError("ioctl(TIOCSWINSZ)");
  }
}

/** tcgetattr into a fresh termios buffer; null on failure. */
export function tcgetattr(fd: RawFd): Uint8Array | null {
  const t = new Uint8Array(T.size);
  return libc().tcgetattr(liveFd(fd, "tcgetattr"), t) < 0 ? null : t;
}

/** tcsetattr(TCSADRAIN) from a termios buffer. */
export function tcsetattr(fd: RawFd, t: Uint8Array): void {
  if (libc().tcsetattr(liveFd(fd, "tcsetattr"), C.TCSADRAIN, t) < 0) {
    throw lastError("tcsetattr");
  }
}

/** cfgetispeed/cfgetospeed as speed_t values (B-codes on Linux, rates on macOS). */
function speeds(t: Uint8Array): [number, number] {
  if (T.ispeed !== null && T.ospeed !== null) {
    const v = new DataView(t.buffer, t.byteOffset, t.byteLength);
    return [Number(v.getBigUint64(T.ispeed, true)), Number(v.getBigUint64(T.ospeed, true))];
  }
  const lib = libc();
  return [lib.cfgetispeed!(t), lib.cfgetospeed!(t)];
}

/**
 * The pty-req "encoded terminal modes" for this terminal. When tcgetattr fails, the default
 * ("zeros") encodes an all-zero termios, as OpenSSH's mux master does with its zero-initialised
 * struct; "end-only" returns just TTY_OP_END, as plain ssh does for a non-tty stdin.
 */
export function ttyModes(fd: RawFd, onFailure: "zeros" | "end-only" = "zeros"): Uint8Array {
  const got = tcgetattr(fd);
  if (!got && onFailure === "end-only") return new Uint8Array([TTY_OP_END]);
  const t = got ?? new Uint8Array(T.size);
  const [ispeed, ospeed] = speeds(t);
  return encodeTtyModes(abi, t, ispeed, ospeed);
}

/** Applies ssh's raw mode (sshtty.c enter_raw_mode) to a termios buffer in place. */
export function makeRaw(t: Uint8Array): void {
  const v = new DataView(t.buffer, t.byteOffset, t.byteLength);
  const get = (off: number) => v.getUint32(off, true);
  const set = (off: number, x: number) => v.setUint32(off, x >>> 0, true);
  const I = abi.iflag, Lf = abi.lflag;
  const clearI = (I.ISTRIP ?? 0) | (I.INLCR ?? 0) | (I.IGNCR ?? 0) | (I.ICRNL ?? 0) |
    (I.IXON ?? 0) | (I.IXANY ?? 0) | (I.IXOFF ?? 0) | (I.IUCLC ?? 0);
  set(T.iflag, (get(T.iflag) | (I.IGNPAR ?? 0)) & ~clearI);
  const clearL = (Lf.ISIG ?? 0) | (Lf.ICANON ?? 0) | (Lf.ECHO ?? 0) | (Lf.ECHOE ?? 0) |
    (Lf.ECHOK ?? 0) | (Lf.ECHONL ?? 0) | (Lf.IEXTEN ?? 0);
  set(T.lflag, get(T.lflag) & ~clearL);
  set(T.oflag, get(T.oflag) & ~(abi.oflag.OPOST ?? 0));
  t[T.cc + abi.cc.VMIN!] = 1;
  t[T.cc + abi.cc.VTIME!] = 0;
}

/**
 * Puts the terminal into ssh's raw mode (TCSADRAIN) and returns an idempotent function that
 * restores the saved modes. Throws SysError if fd is not a terminal.
 */
export function enterRawMode(fd: RawFd): () => void {
  const saved = tcgetattr(fd);
  if (!saved) throw lastError("tcgetattr");
  const raw = saved.slice();
  makeRaw(raw);
  tcsetattr(fd, raw);
  let restored = false;
  return () => {
    if (restored || fd.closed) return;
    restored = true;
    tcsetattr(fd, saved);
  };
}

/** A new pseudo-terminal pair (close-on-exec): posix_openpt, grantpt, unlockpt, ptsname, open. */
export function openpty(): { master: RawFd; slave: RawFd } {
  const lib = libc();
  const m = lib.posix_openpt(C.O_RDWR | C.O_NOCTTY | (abi.hasAtomicCloexec ? C.O_CLOEXEC : 0));
  if (m < 0) throw lastError("posix_openpt");
  const master = RawFd.adopt(m);
  try {
    if (!abi.hasAtomicCloexec) setCloexec(m);
    if (lib.grantpt(m) < 0) throw lastError("grantpt");
    if (lib.unlockpt(m) < 0) throw lastError("unlockpt");
    const name = cString(lib.ptsname(m));
    if (name === null) throw lastError("ptsname");
    const s = lib.open(cstr(name), C.O_RDWR | C.O_NOCTTY | C.O_CLOEXEC);
    if (s < 0) throw lastError(`open ${name}`);
    return { master, slave: RawFd.adopt(s) };
  } catch (e) {
    master.close();
    throw e;
  }
}
