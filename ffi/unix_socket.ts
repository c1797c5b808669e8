// UnixSocket: a connected AF_UNIX stream socket for the mux control connection, with
// exact-length reads (never past a frame: the fds that follow ride on their own bytes) and
// SCM_RIGHTS fd passing. UnixListener: accepts connections, waiting in the reactor.
import { abi } from "./abi/mod.ts";
import { E, EofError, lastError, SysError, sysErrorNamed } from "./errors.ts";
import { tryRecvFd, trySendFd } from "./fdpass.ts";
import { errno, libc } from "./libc.ts";
import { liveFd, type RawFd } from "./raw_fd.ts";
import { POLLIN, POLLOUT, waitFd } from "./reactor.ts";
import { acceptUnix } from "./unix_sys.ts";
import { newWriteQueue, queueWrite, type WriteQueue } from "./write_queue.ts";

const C = abi.const;

/** Refuse single reads larger than this: a caller bug, not something a peer may ask for. */
export const MAX_READ = 64 * 1024 * 1024;

export class UnixSocket {
  #fd: RawFd;
  #reading = false;
  /** Writes and fd sends run one after another in call order (a message is never interleaved). */
  #queue: WriteQueue = newWriteQueue();

  constructor(fd: RawFd) {
    liveFd(fd, "UnixSocket");
    this.#fd = fd;
  }

  get rawFd(): RawFd {
    return this.#fd;
  }

  get closed(): boolean {
    return this.#fd.closed;
  }

  async #exclusiveRead<T>(op: string, body: () => Promise<T>): Promise<T> {
    if (this.#reading) throw new Error(`UnixSocket.${op}: another read is already pending`);
    this.#reading = true;
    try {
      return await body();
    } finally {
      this.#reading = false;
    }
  }

  /** One non-blocking recv; null on EAGAIN. */
  #tryRecv(buf: Uint8Array): number | null {
    const lib = libc();
    for (;;) {
      const n = Number(lib.recv(liveFd(this.#fd, "recv"), buf, buf.length, C.MSG_DONTWAIT));
      if (n >= 0) return n;
      const e = errno();
      if (e === E.EINTR) continue;
      if (e === E.EAGAIN) return null;
      throw new SysError("recv", e);
    }
  }

  /**
   * Reads exactly n bytes. null on a clean EOF before the first byte; EofError on EOF
   * part-way. Never asks the kernel for more than the bytes still missing.
   */
  readExact(n: number): Promise<Uint8Array | null> {
    checkSize(n, "readExact", 0);
    if (n === 0) return Promise.resolve(new Uint8Array(0));
    return this.#exclusiveRead("readExact", async () => {
      const out = new Uint8Array(n);
      let got = 0;
      while (got < n) {
        const r = this.#tryRecv(out.subarray(got));
        if (r === null) {
          await waitFd(this.#fd, POLLIN);
          continue;
        }
        if (r === 0) {
          if (got === 0) return null;
          throw new EofError(`connection closed after ${got} of ${n} bytes`);
        }
        got += r;
      }
      return out;
    });
  }

  /** Reads whatever is available, up to max bytes (at least 1); null on EOF. */
  readSome(max: number): Promise<Uint8Array | null> {
    checkSize(max, "readSome", 1);
    return this.#exclusiveRead("readSome", async () => {
      const buf = new Uint8Array(max);
      for (;;) {
        const r = this.#tryRecv(buf);
        if (r === null) {
          await waitFd(this.#fd, POLLIN);
          continue;
        }
        if (r === 0) return null;
        // A small read would otherwise pin the whole max-sized buffer for as long as it lives.
        return r < max / 2 ? buf.slice(0, r) : buf.subarray(0, r);
      }
    });
  }

  /** Writes all bytes (MSG_NOSIGNAL: a gone peer is EPIPE, not a signal). */
  write(data: Uint8Array): Promise<void> {
    return this.#queued(async () => {
      const lib = libc();
      let off = 0;
      while (off < data.length) {
        const chunk = data.subarray(off);
        const fd = liveFd(this.#fd, "send");
        const n = Number(lib.send(fd, chunk, chunk.length, C.MSG_NOSIGNAL | C.MSG_DONTWAIT));
        if (n >= 0) {
          off += n;
          continue;
        }
        const e = errno();
        if (e === E.EINTR) continue;
        if (e !== E.EAGAIN) throw new SysError("send", e);
        await waitFd(this.#fd, POLLOUT);
      }
    });
  }

  #queued(body: () => Promise<void>): Promise<void> {
    return queueWrite(this.#queue, body);
  }

  /** Passes one fd: a single sendmsg of "\0" with one SCM_RIGHTS fd. The caller keeps `fd`. */
  sendFd(fd: RawFd): Promise<void> {
    return this.#queued(async () => {
      const passed = liveFd(fd, "sendFd");
      while (!trySendFd(liveFd(this.#fd, "sendmsg"), passed)) {
        await waitFd(this.#fd, POLLOUT);
      }
    });
  }

  /**
   * Receives one passed fd (close-on-exec). Throws FdPassError unless the message is exactly
   * 1 byte with exactly one fd (extras are closed), EofError if the peer closed instead.
   */
  recvFd(): Promise<RawFd> {
    return this.#exclusiveRead("recvFd", async () => {
      for (;;) {
        const fd = tryRecvFd(liveFd(this.#fd, "recvmsg"));
        if (fd) return fd;
        await waitFd(this.#fd, POLLIN);
      }
    });
  }

  /**
   * Reads and drops whatever the peer already sent (up to `limit` bytes), without waiting.
   * Closing a socket with unread input makes the peer's next read fail with ECONNRESET, and
   * it may then lose the last replies we sent: a master dropping a client calls this first.
   */
  discardPending(limit = 1024 * 1024): void {
    const buf = new Uint8Array(64 * 1024);
    let dropped = 0;
    try {
      while (dropped < limit && !this.#fd.closed) {
        const r = this.#tryRecv(buf);
        if (r === null || r === 0) return;
        dropped += r;
      }
    } catch { /* the peer is gone already: nothing left to protect */ }
  }

  /** shutdown(SHUT_WR): the peer reads EOF; we can still read. */
  shutdownWrite(): void {
    if (libc().shutdown(liveFd(this.#fd, "shutdown"), C.SHUT_WR) < 0) throw lastError("shutdown");
  }

  /** Closes the socket (once); pending reads/writes settle with EBADF. */
  close(): void {
    this.#fd.close();
  }
}

function checkSize(n: number, op: string, min: number): void {
  if (!Number.isInteger(n) || n < min || n > MAX_READ) {
    throw new RangeError(`${op}: size ${n} outside ${min}..${MAX_READ}`);
  }
}

/** A listening socket (from listenUnix) whose accept() waits in the reactor. */
export class UnixListener {
  #fd: RawFd;

  constructor(fd: RawFd) {
    liveFd(fd, "UnixListener");
    this.#fd = fd;
  }

  get rawFd(): RawFd {
    return this.#fd;
  }

  /** The next connection (non-blocking, close-on-exec). Rejects EBADF if the listener closes. */
  async accept(): Promise<RawFd> {
    for (;;) {
      const fd = acceptUnix(this.#fd);
      if (fd) return fd;
      await waitFd(this.#fd, POLLIN);
      if (this.#fd.closed) throw sysErrorNamed("accept", "EBADF", "listener closed");
    }
  }

  /** A connection already queued on the listener, or null without waiting. */
  tryAccept(): RawFd | null {
    return acceptUnix(this.#fd);
  }

  /** Closes the listening fd (the socket path is the owner's to unlink). */
  close(): void {
    this.#fd.close();
  }
}
