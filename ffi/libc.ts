// The C library's symbol table, each symbol bound on its first use, plus errno.
// Every declaration here is synchronous except `poll_async` and `epoll_wait_async`, which the
// reactor keeps in flight on Deno's blocking pool. errno is thread-local: it is only meaningful
// right after a synchronous call on this thread, so wrappers read it immediately (see `errno()`).
import { abi } from "./abi/mod.ts";
import { lazySymbols } from "./lazy_symbols.ts";

type Num = number | bigint;
type Buf = ArrayBufferView | null;
type Ptr = Deno.PointerValue;

/** The libc functions ffi/ calls, with the argument types our wrappers pass. */
export interface Libc {
  close(fd: number): number;
  dup2(from: number, to: number): number;
  read(fd: number, buf: Buf, n: Num): Num;
  write(fd: number, buf: Buf, n: Num): Num;
  writev(fd: number, iov: Buf, n: number): Num;
  lseek(fd: number, off: Num, whence: number): Num;
  open(path: Buf, flags: number): number;
  unlink(path: Buf): number;
  link(from: Buf, to: Buf): number;
  chmod(path: Buf, mode: number): number;
  umask(mask: number): number;
  getuid(): number;
  kill(pid: number, sig: number): number;
  sigaction(sig: number, act: Ptr, old: Buf): number;
  setsid(): number;
  socket(domain: number, type: number, proto: number): number;
  socketpair(domain: number, type: number, proto: number, sv: Buf): number;
  bind(fd: number, addr: Buf, len: number): number;
  listen(fd: number, backlog: number): number;
  connect(fd: number, addr: Buf, len: number): number;
  shutdown(fd: number, how: number): number;
  getsockopt(fd: number, level: number, name: number, val: Buf, len: Buf): number;
  setsockopt(fd: number, level: number, name: number, val: Buf, len: number): number;
  send(fd: number, buf: Buf, n: Num, flags: number): Num;
  recv(fd: number, buf: Buf, n: Num, flags: number): Num;
  sendmsg(fd: number, msg: Buf, flags: number): Num;
  recvmsg(fd: number, msg: Buf, flags: number): Num;
  poll(fds: Buf, n: Num, timeout: number): number;
  poll_async(fds: Buf, n: Num, timeout: number): Promise<number>;
  isatty(fd: number): number;
  fstat(fd: number, st: Buf): number;
  tcgetattr(fd: number, t: Buf): number;
  tcsetattr(fd: number, when: number, t: Buf): number;
  posix_openpt(flags: number): number;
  grantpt(fd: number): number;
  unlockpt(fd: number): number;
  ptsname(fd: number): Ptr;
  strerror(errnum: number): Ptr;
  getsockname(fd: number, addr: Buf, len: Buf): number;
  getaddrinfo_async(node: Buf, service: Buf, hints: Buf, res: Buf): Promise<number>;
  freeaddrinfo(res: Ptr): void;
  gai_strerror(code: number): Ptr;
  // Linux only
  accept4?(fd: number, addr: Ptr, len: Ptr, flags: number): number;
  pipe2?(fds: Buf, flags: number): number;
  eventfd?(init: number, flags: number): number;
  epoll_create1?(flags: number): number;
  epoll_ctl?(ep: number, op: number, fd: number, event: Buf): number;
  epoll_wait_async?(ep: number, events: Buf, max: number, timeout: number): Promise<number>;
  cfgetispeed?(t: Buf): number;
  cfgetospeed?(t: Buf): number;
  // macOS only
  accept?(fd: number, addr: Ptr, len: Ptr): number;
  pipe?(fds: Buf): number;
  getpeereid?(fd: number, uid: Buf, gid: Buf): number;
}

const nfds = abi.nfdsWidth === 8 ? "u64" : "u32";
// fcntl/ioctl are variadic; see Abi.variadicPad for the Apple arm64 stack-slot workaround.
const pad: "i64"[] = new Array(abi.variadicPad).fill("i64");

const common = {
  close: { parameters: ["i32"], result: "i32" },
  dup2: { parameters: ["i32", "i32"], result: "i32" },
  read: { parameters: ["i32", "buffer", "usize"], result: "isize" },
  write: { parameters: ["i32", "buffer", "usize"], result: "isize" },
  writev: { parameters: ["i32", "buffer", "i32"], result: "isize" },
  lseek: { parameters: ["i32", "i64", "i32"], result: "i64" },
  // open() is variadic too, but we never pass O_CREAT, so the mode argument is never read.
  open: { parameters: ["buffer", "i32"], result: "i32" },
  unlink: { parameters: ["buffer"], result: "i32" },
  link: { parameters: ["buffer", "buffer"], result: "i32" },
  chmod: { parameters: ["buffer", "u32"], result: "i32" },
  umask: { parameters: ["u32"], result: "u32" },
  getuid: { parameters: [], result: "u32" },
  kill: { parameters: ["i32", "i32"], result: "i32" },
  sigaction: { parameters: ["i32", "pointer", "buffer"], result: "i32" },
  setsid: { parameters: [], result: "i32" },
  socket: { parameters: ["i32", "i32", "i32"], result: "i32" },
  socketpair: { parameters: ["i32", "i32", "i32", "buffer"], result: "i32" },
  bind: { parameters: ["i32", "buffer", "u32"], result: "i32" },
  listen: { parameters: ["i32", "i32"], result: "i32" },
  connect: { parameters: ["i32", "buffer", "u32"], result: "i32" },
  shutdown: { parameters: ["i32", "i32"], result: "i32" },
  getsockopt: { parameters: ["i32", "i32", "i32", "buffer", "buffer"], result: "i32" },
  setsockopt: { parameters: ["i32", "i32", "i32", "buffer", "u32"], result: "i32" },
  send: { parameters: ["i32", "buffer", "usize", "i32"], result: "isize" },
  recv: { parameters: ["i32", "buffer", "usize", "i32"], result: "isize" },
  sendmsg: { parameters: ["i32", "buffer", "i32"], result: "isize" },
  recvmsg: { parameters: ["i32", "buffer", "i32"], result: "isize" },
  poll: { parameters: ["buffer", nfds, "i32"], result: "i32" },
  // Runs on the blocking pool; its errno is another thread's, so -1 only means "poll again".
  poll_async: {
    name: "poll",
    parameters: ["buffer", nfds, "i32"],
    result: "i32",
    nonblocking: true,
  },
  isatty: { parameters: ["i32"], result: "i32" },
  // glibc >= 2.33 and libSystem export fstat itself (no __fxstat indirection).
  fstat: { parameters: ["i32", "buffer"], result: "i32" },
  tcgetattr: { parameters: ["i32", "buffer"], result: "i32" },
  tcsetattr: { parameters: ["i32", "i32", "buffer"], result: "i32" },
  posix_openpt: { parameters: ["i32"], result: "i32" },
  grantpt: { parameters: ["i32"], result: "i32" },
  unlockpt: { parameters: ["i32"], result: "i32" },
  ptsname: { parameters: ["i32"], result: "pointer" },
  strerror: { parameters: ["i32"], result: "pointer" },
  getsockname: { parameters: ["i32", "buffer", "buffer"], result: "i32" },
  // Name lookups may wait on DNS: on the blocking pool, like poll_async.
  getaddrinfo_async: {
    name: "getaddrinfo",
    parameters: ["buffer", "buffer", "buffer", "buffer"],
    result: "i32",
    nonblocking: true,
  },
  freeaddrinfo: { parameters: ["pointer"], result: "void" },
  gai_strerror: { parameters: ["i32"], result: "pointer" },
  fcntl: { parameters: ["i32", "i32", ...pad, "i64"], result: "i32" },
  ioctl: { parameters: ["i32", "u64", ...pad, "buffer"], result: "i32" },
  errno_location: { name: abi.errnoSymbol, parameters: [], result: "pointer" },
} as const;

const linuxOnly = {
  accept4: { parameters: ["i32", "pointer", "pointer", "i32"], result: "i32" },
  pipe2: { parameters: ["buffer", "i32"], result: "i32" },
  eventfd: { parameters: ["u32", "i32"], result: "i32" },
  epoll_create1: { parameters: ["i32"], result: "i32" },
  epoll_ctl: { parameters: ["i32", "i32", "i32", "buffer"], result: "i32" },
  // Runs on the blocking pool, like poll_async (reactor_epoll.ts).
  epoll_wait_async: {
    name: "epoll_wait",
    parameters: ["i32", "buffer", "i32", "i32"],
    result: "i32",
    nonblocking: true,
  },
  cfgetispeed: { parameters: ["buffer"], result: "u32" },
  cfgetospeed: { parameters: ["buffer"], result: "u32" },
} as const;

const darwinOnly = {
  accept: { parameters: ["i32", "pointer", "pointer"], result: "i32" },
  pipe: { parameters: ["buffer"], result: "i32" },
  getpeereid: { parameters: ["i32", "buffer", "buffer"], result: "i32" },
} as const;

interface Raw {
  fcntl(fd: number, cmd: number, ...rest: Num[]): number;
  ioctl(fd: number, req: Num, ...rest: (Num | Buf)[]): number;
  errno_location(): Ptr;
}

let raw: (Libc & Raw) | null = null;

function load(): Libc & Raw {
  if (raw) return raw;
  const defs = { ...common, ...(abi.os === "linux" ? linuxOnly : darwinOnly) };
  // Bound per symbol on first use (lazy_symbols.ts): start-up pays only for what runs.
  raw = lazySymbols(abi.libcPath, defs as Deno.ForeignLibraryInterface) as unknown as Libc & Raw;
  return raw;
}

/** The libc symbol table (dlopen happens on the first call). */
export function libc(): Libc {
  return load();
}

const padArgs: bigint[] = new Array(abi.variadicPad).fill(0n);

/** fcntl(fd, cmd, arg) with the variadic argument placed where this ABI expects it. */
export function fcntl(fd: number, cmd: number, arg = 0): number {
  return load().fcntl(fd, cmd, ...padArgs, BigInt(arg));
}

/** ioctl(fd, request, buf) with the variadic pointer placed where this ABI expects it. */
export function ioctl(fd: number, request: number, buf: Uint8Array): number {
  return load().ioctl(fd, BigInt(request), ...padArgs, buf);
}

/** errno of this thread; call it right after the failing synchronous call, nothing in between. */
export function errno(): number {
  const p = load().errno_location();
  if (p === null) return 0;
  return new Deno.UnsafePointerView(p).getInt32(0);
}

/** libc's text for an errno value ("No such file or directory"). */
export function strerror(e: number): string {
  const p = load().strerror(e);
  if (p === null) return `errno ${e}`;
  return Deno.UnsafePointerView.getCString(p);
}

/** Reads a NUL-terminated C string returned by libc (e.g. ptsname). */
export function cString(p: Ptr): string | null {
  return p === null ? null : Deno.UnsafePointerView.getCString(p);
}

const encoder = new TextEncoder();

/** A path (or any string) as a NUL-terminated byte buffer for a `buffer` parameter. */
export function cstr(s: string): Uint8Array {
  const b = encoder.encode(s);
  if (b.includes(0)) throw new TypeError("string contains a NUL byte");
  const out = new Uint8Array(b.length + 1);
  out.set(b);
  return out;
}

/** The address of a buffer's first byte, for storing inside a C struct. */
export function addressOf(buf: Uint8Array): bigint {
  return BigInt(Deno.UnsafePointer.value(Deno.UnsafePointer.of(buf)));
}

/** Allocates a zeroed buffer whose storage lives outside the JS heap (never moved by GC). */
export function offHeap(n: number): Uint8Array {
  return new Uint8Array(new ArrayBuffer(n));
}
