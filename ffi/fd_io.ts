// FdIo: async read/write on any fd (pipe, socket, tty, regular file) through the reactor,
// following OpenSSH's policy for fds a client passed us (channels.c channel_register_fds):
//  - pipes/sockets: save the status flags, set O_NONBLOCK, restore the saved flags on close
//    (O_NONBLOCK lives in the open file description, which the client process shares);
//  - ttys stay blocking: poll for readiness first, then one read / one ≤4 KiB write; a master
//    uses instead a non-blocking description of its own where it can get one (`ownTty`): even
//    a 4 KiB write blocks the whole process while nobody reads the terminal, and so does a
//    read after POLLIN when another reader took the input first or VMIN/VTIME ask for more;
//  - seekable fds (regular files, /dev/null) are always ready: plain synchronous I/O.
import { abi } from "./abi/mod.ts";
import { E, SysError, sysErrorNamed } from "./errors.ts";
import { addressOf, errno, libc, offHeap } from "./libc.ts";
import { liveFd, type RawFd } from "./raw_fd.ts";
import { POLLIN, POLLOUT, waitFd } from "./reactor.ts";
import { borrowNonblocking, releaseNonblocking } from "./shared_flags.ts";
import { reopenTtyNonblocking } from "./tty.ts";
import { newWriteQueue, queueWrite, type WriteQueue } from "./write_queue.ts";

/** Largest single write to a (blocking) tty, so a write after POLLOUT cannot stall for long. */
export const TTY_WRITE_CHUNK = 4096;

/** Buffers per writev call (POSIX guarantees IOV_MAX >= 16; Linux and macOS allow 1024). */
const IOV_BATCH = 64;
/**
 * Chunks smaller than this go out with write(): writev needs their addresses, and V8 keeps a
 * small typed array's bytes inside the JS heap, where a collection may move them.
 */
const WRITEV_MIN_BUFFER = 4096;
/** struct iovec[IOV_BATCH] (pointer, size_t: 16 bytes on the 64-bit targets we support). */
const iovecs = offHeap(IOV_BATCH * 16);
const iovView = new DataView(iovecs.buffer);
/**
 * Start addresses of the buffers writev has seen. An off-heap backing store never moves, and
 * output pumps write the same few pooled buffers over and over: asking Deno for the address
 * (two calls and two BigInts) cost more than the system call itself.
 */
const bufferAddress = new WeakMap<ArrayBufferLike, number>();

/** The address of `c`'s first byte as a number (user-space addresses are below 2^53). */
function addressNumber(c: Uint8Array): number {
  let base = bufferAddress.get(c.buffer);
  if (base === undefined) {
    base = Number(addressOf(new Uint8Array(c.buffer, 0, 1)));
    bufferAddress.set(c.buffer, base);
  }
  return base + c.byteOffset;
}

export type FdKind = "tty" | "file" | "stream";

/**
 * FdIos whose fd flags we changed. If the program ends (Deno.exit(), or an uncaught error)
 * without closing them, these handlers still restore the flags: a stdin pipe left O_NONBLOCK
 * would break whatever the user's shell runs next on the same pipe.
 */
const flagsToRestore = new Set<FdIo>();
let unloadHooked = false;
let restoreFlagsOf: (io: FdIo) => void;

function hookUnload(): void {
  if (unloadHooked) return;
  unloadHooked = true;
  const restoreAll = () => {
    for (const io of [...flagsToRestore]) restoreFlagsOf(io);
  };
  // unload: Deno.exit() and a normal end. error/unhandledrejection: the program is about to die
  // of an uncaught exception (we do not prevent that, only clean up first).
  // A handler registered before ours that calls preventDefault() keeps the program alive:
  // then the fds stay as they are (still in use).
  const onFatal = (ev: Event) => {
    if (!ev.defaultPrevented) restoreAll();
  };
  globalThis.addEventListener("unload", restoreAll);
  globalThis.addEventListener("error", onFatal);
  globalThis.addEventListener("unhandledrejection", onFatal);
}

/** Classifies an fd: tty, seekable ("file"), or anything else (pipe, socket, fifo). */
export function fdKind(num: number): FdKind {
  const lib = libc();
  if (lib.isatty(num) === 1) return "tty";
  return Number(lib.lseek(num, 0, abi.const.SEEK_CUR)) >= 0 ? "file" : "stream";
}

export class FdIo {
  readonly kind: FdKind;
  #fd: RawFd;
  /** The shared_flags key while we hold O_NONBLOCK on a stream fd. */
  #borrowKey: string | null = null;
  #closed = false;
  #reading = false;
  /** Writes run one after another in call order. */
  #queue: WriteQueue = newWriteQueue();
  /** A tty's reads and writes go here when set: our own non-blocking description of it. */
  #ttyOwn: RawFd | null = null;

  static {
    restoreFlagsOf = (io) => io.#restoreFlags();
  }

  /**
   * `ownTty`: read and write a tty through a description of our own (reopenTtyNonblocking), so
   * a terminal that stalls stalls only this FdIo (a mux master serving other sessions).
   */
  constructor(fd: RawFd, opts: { ownTty?: boolean } = {}) {
    const num = liveFd(fd, "FdIo");
    this.#fd = fd;
    this.kind = fdKind(num);
    if (this.kind === "tty" && opts.ownTty) this.#ttyOwn = reopenTtyNonblocking(fd);
    if (this.kind === "stream") {
      this.#borrowKey = borrowNonblocking(num);
      flagsToRestore.add(this);
      hookUnload();
    }
  }

  /** The underlying handle (for isatty/winsize on a session's stdin, logs). */
  get rawFd(): RawFd {
    return this.#fd;
  }

  get closed(): boolean {
    return this.#closed;
  }

  #num(op: string): number {
    if (this.#closed) throw sysErrorNamed(op, "EBADF", "FdIo is closed");
    return liveFd(this.#fd, op);
  }

  /** Reads up to buf.length bytes; 0 means end of file (EIO on a tty counts as EOF). */
  async read(buf: Uint8Array): Promise<number> {
    if (buf.length === 0) throw new RangeError("read into an empty buffer");
    if (this.#reading) throw new Error("FdIo.read: another read is already pending");
    this.#reading = true;
    try {
      const lib = libc();
      const source = this.#ttyOwn ?? this.#fd;
      if (this.kind === "tty" && this.#ttyOwn === null) await waitFd(this.#fd, POLLIN);
      for (;;) {
        this.#num("read");
        const n = Number(lib.read(liveFd(source, "read"), buf, buf.length));
        if (n >= 0) return n;
        const e = errno();
        if (e === E.EINTR) continue;
        // A pty master reports EIO once the slave side is gone: that is its end of file.
        if (e === E.EIO && this.kind === "tty") return 0;
        if (e !== E.EAGAIN) throw new SysError("read", e);
        await waitFd(source, POLLIN);
      }
    } finally {
      this.#reading = false;
    }
  }

  /**
   * Writes all of `data`; rejects with SysError (EPIPE when the reader is gone, ...). Calls
   * made while a write is pending queue behind it.
   */
  write(data: Uint8Array): Promise<void> {
    return queueWrite(this.#queue, () => this.#writeAll(data));
  }

  /**
   * Writes all `chunks` back to back (in call order with write()), with one writev(2) for up
   * to 64 of them where it can: an output pump handing over a burst of packets pays one
   * system call instead of one per packet.
   */
  writev(chunks: Uint8Array[]): Promise<void> {
    const direct = this.kind !== "tty" &&
      chunks.every((c) => c.buffer.byteLength >= WRITEV_MIN_BUFFER);
    if (direct) return queueWrite(this.#queue, () => this.#writevAll(chunks));
    // Otherwise one joined buffer, so the whole burst is tried at once like a write(): one
    // written chunk by chunk left room between them, and with stdout and stderr on one pipe
    // (`2>&1`) a stderr line that arrived after the burst was written inside it.
    const joined = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
    let at = 0;
    for (const c of chunks) {
      joined.set(c, at);
      at += c.length;
    }
    return queueWrite(this.#queue, () => this.#writeAll(joined));
  }

  async #writevAll(chunks: Uint8Array[]): Promise<void> {
    const lib = libc();
    let i = 0;
    /** Bytes of chunks[i] already written. */
    let off = 0;
    while (i < chunks.length) {
      let n = 0;
      for (let j = i; j < chunks.length && n < IOV_BATCH; j++, n++) {
        const c = j === i ? chunks[j].subarray(off) : chunks[j];
        const at = c.length > 0 ? addressNumber(c) : 0;
        // Little-endian halves (x86_64, arm64): no BigInt per buffer.
        iovView.setUint32(n * 16, at % 0x100000000, true);
        iovView.setUint32(n * 16 + 4, Math.floor(at / 0x100000000), true);
        iovView.setUint32(n * 16 + 8, c.length, true);
        iovView.setUint32(n * 16 + 12, 0, true);
      }
      // The bytes of >= 4 KiB buffers live outside the JS heap, so the addresses stay valid
      // until the call (`chunks` keeps the buffers alive).
      let w = Number(lib.writev(this.#num("writev"), iovecs, n));
      if (w < 0) {
        const e = errno();
        if (e === E.EINTR) continue;
        if (e !== E.EAGAIN) throw new SysError("writev", e);
        await waitFd(this.#fd, POLLOUT);
        continue;
      }
      while (i < chunks.length && w >= chunks[i].length - off) {
        w -= chunks[i].length - off;
        off = 0;
        i++;
      }
      off += w;
    }
  }

  async #writeAll(data: Uint8Array): Promise<void> {
    const lib = libc();
    const target = this.#ttyOwn ?? this.#fd;
    const blockingTty = this.kind === "tty" && this.#ttyOwn === null;
    let off = 0;
    while (off < data.length) {
      let chunk = data.subarray(off);
      if (blockingTty) {
        await waitFd(target, POLLOUT);
        chunk = chunk.subarray(0, TTY_WRITE_CHUNK);
      }
      this.#num("write");
      const n = Number(lib.write(liveFd(target, "write"), chunk, chunk.length));
      if (n >= 0) {
        off += n;
        continue;
      }
      const e = errno();
      if (e === E.EINTR) continue;
      if (e !== E.EAGAIN) throw new SysError("write", e);
      if (!blockingTty) await waitFd(target, POLLOUT);
    }
  }

  /** Restores the fd's original status flags, then closes it (once). Pending I/O rejects EBADF. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#restoreFlags();
    this.#ttyOwn?.close();
    this.#fd.close();
  }

  /** Puts back the status flags saved by the constructor (close() does this first). */
  #restoreFlags(): void {
    flagsToRestore.delete(this);
    if (this.#borrowKey === null || this.#fd.closed) return;
    try {
      releaseNonblocking(liveFd(this.#fd, "restoreFlags"), this.#borrowKey);
    } catch {
      // The fd may be broken (peer gone); closing it is still the right thing.
    }
    this.#borrowKey = null;
  }
}
