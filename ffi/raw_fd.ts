// RawFd: the only holder of a file-descriptor number outside ffi/. It closes its fd exactly
// once, and before closing it tells the reactor, so no poll is left watching a number that the
// kernel is about to hand out again.
import { libc } from "./libc.ts";
import { sysErrorNamed } from "./errors.ts";

/** Called with the handle being closed, before the fd is released (the reactor registers one). */
type CloseHook = (fd: RawFd, num: number) => void;
const closeHooks: CloseHook[] = [];

/** For ffi/ internals: run `hook` whenever any RawFd is closed. */
export function onRawFdClose(hook: CloseHook): void {
  closeHooks.push(hook);
}

let numberOf: (fd: RawFd) => number;

/** Owns one fd; close() is idempotent (closes exactly once) and first cancels reactor waits. */
export class RawFd {
  #fd: number;
  #owned: boolean;
  #closed = false;

  static {
    numberOf = (fd) => fd.#fd;
  }

  private constructor(fd: number, owned: boolean) {
    this.#fd = fd;
    this.#owned = owned;
  }

  /** Takes ownership of an fd number (ffi/ internals and tests only). */
  static adopt(fd: number): RawFd {
    if (!Number.isInteger(fd) || fd < 0) throw new RangeError(`bad fd number ${fd}`);
    return new RawFd(fd, true);
  }

  /**
   * A NON-owning handle to our own stdin/stdout/stderr. close() is a no-op for the fd and the
   * handle stays usable; it only settles this handle's pending reactor waits (they resolve with
   * POLLNVAL), so an FdIo over it can be closed while a read is pending.
   */
  static std(n: 0 | 1 | 2): RawFd {
    if (n !== 0 && n !== 1 && n !== 2) throw new RangeError(`not a stdio fd: ${n}`);
    return new RawFd(n, false);
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** True when close() will really close the fd (false for RawFd.std handles). */
  get owned(): boolean {
    return this.#owned;
  }

  close(): void {
    if (this.#closed) return;
    if (!this.#owned) {
      for (const hook of closeHooks) hook(this, this.#fd);
      return;
    }
    this.#closed = true;
    for (const hook of closeHooks) hook(this, this.#fd);
    // Linux and macOS release the number even when close() reports EINTR/EIO, so never retry:
    // a retry could close an fd that another part of the program has just been given.
    libc().close(this.#fd);
  }

  toString(): string {
    return `fd ${this.#fd}${this.#closed ? " (closed)" : ""}`;
  }
}

/** The fd number for a system call; throws EBADF if the handle is closed. */
export function liveFd(fd: RawFd, op: string): number {
  if (fd.closed) throw sysErrorNamed(op, "EBADF", `${fd} is closed`);
  return numberOf(fd);
}

/** The fd number, for logs and tests only (even after close). */
export function fdNumber(fd: RawFd): number {
  return numberOf(fd);
}
