// The waits both reactor backends keep (reactor_poll.ts, reactor_epoll.ts): per fd number, who
// waits for which events, settled by readiness, by the close of the handle they came through, or
// all at once.
import type { RawFd } from "./raw_fd.ts";

interface Waiter {
  handle: RawFd;
  events: number;
  resolve(revents: number): void;
  reject(err: unknown): void;
}

export class WaiterTable {
  /** fd number → waiters on it */
  readonly #byFd = new Map<number, Set<Waiter>>();

  /** How many fds have waiters. */
  get fds(): number {
    return this.#byFd.size;
  }

  /** The fd numbers with waiters and the union of the events each is waited for. */
  *watched(): IterableIterator<[number, number]> {
    for (const fd of this.#byFd.keys()) yield [fd, this.events(fd)];
  }

  /** The union of the events `fd` is waited for (0: nobody waits). */
  events(fd: number): number {
    let ev = 0;
    for (const w of this.#byFd.get(fd) ?? []) ev |= w.events;
    return ev;
  }

  /** A new wait on `fd` (the number `handle` holds), settled through the promise it returns. */
  add(fd: number, handle: RawFd, events: number): Promise<number> {
    return new Promise<number>((resolve, reject) => {
      let set = this.#byFd.get(fd);
      if (!set) this.#byFd.set(fd, set = new Set());
      set.add({ handle, events, resolve, reject });
    });
  }

  /**
   * `fd` reported `revents`: resolves each waiter whose events (or `always`, the conditions
   * reported whatever was asked) are among them. True if some still wait on `fd`.
   */
  ready(fd: number, revents: number, always: number): boolean {
    const set = this.#byFd.get(fd);
    if (!set) return false;
    for (const w of set) {
      if (revents & (w.events | always)) {
        set.delete(w);
        w.resolve(revents);
      }
    }
    if (set.size > 0) return true;
    this.#byFd.delete(fd);
    return false;
  }

  /** Resolves with `revents` the waits on `fd` that came through `handle` (it is closing). */
  settleHandle(fd: number, handle: RawFd, revents: number): void {
    const set = this.#byFd.get(fd);
    if (!set) return;
    for (const w of set) {
      if (w.handle === handle) {
        set.delete(w);
        w.resolve(revents);
      }
    }
    if (set.size === 0) this.#byFd.delete(fd);
  }

  /**
   * Settles every wait on `fd` (or on every fd) at once: resolved with `revents`, or each with
   * the events it asked for ("asked": a file epoll cannot watch, which poll calls ready), or
   * rejected with `error`.
   */
  settleAll(fd: number | "all", outcome: number | "asked" | { error: unknown }): void {
    const fds = fd === "all" ? [...this.#byFd.keys()] : [fd];
    for (const n of fds) {
      const set = this.#byFd.get(n);
      if (!set) continue;
      this.#byFd.delete(n);
      for (const w of set) {
        if (typeof outcome === "object") w.reject(outcome.error);
        else w.resolve(outcome === "asked" ? w.events : outcome);
      }
    }
  }

  /** Number of pending waits (tests and diagnostics). */
  count(): number {
    let n = 0;
    for (const set of this.#byFd.values()) n += set.size;
    return n;
  }
}

/**
 * Keeps one wait call (poll, epoll_wait) in flight while anyone waits. A call starts from a
 * microtask: callers woken by the previous call usually wait again within their first
 * continuation step, which runs before that microtask, so they join the next call instead of
 * interrupting it. (setTimeout(0) would be clamped to 4 ms once nested, which measured 200
 * round trips/s instead of 10k.) A call that returns -1 (EINTR: a signal landed on the pool
 * thread; its errno belongs to that thread) is made again, after a 10 ms pause once ten in a
 * row failed, so a persistent error cannot spin a core.
 */
export class WaitCalls {
  #scheduled = false;
  #inflight: Promise<void> | null = null;
  #failures = 0;
  readonly stats = { polls: 0, failed: 0, wakes: 0 };

  /**
   * `start` makes the call (or returns null when it cannot start: it settled the waiters);
   * `done` gets every result, -1 included; `wanted` says whether anyone still waits.
   */
  constructor(
    private readonly start: () => Promise<number> | null,
    private readonly done: (result: number) => void,
    private readonly wanted: () => boolean,
  ) {}

  /** The call in flight, or null. */
  get inflight(): Promise<void> | null {
    return this.#inflight;
  }

  /** A call is in flight or about to start. */
  get busy(): boolean {
    return this.#inflight !== null || this.#scheduled;
  }

  /** The call in flight, "scheduled" when one is about to start, or null (reactor.ts). */
  state(): Promise<void> | "scheduled" | null {
    return this.#inflight ?? (this.#scheduled ? "scheduled" : null);
  }

  schedule(): void {
    if (this.busy) return;
    this.#scheduled = true;
    queueMicrotask(() => this.#submit());
  }

  #submit(): void {
    this.#scheduled = false;
    if (this.#inflight || !this.wanted()) return;
    const call = this.start();
    if (!call) return;
    this.stats.polls++;
    this.#inflight = call.then((r) => this.#finish(r), () => this.#finish(-1));
  }

  #finish(result: number): void {
    this.#inflight = null;
    this.done(result);
    if (result < 0) {
      this.#failures++;
      this.stats.failed++;
      if (this.#failures > 10) {
        this.#scheduled = true;
        setTimeout(() => this.#submit(), 10);
        return;
      }
    } else {
      this.#failures = 0;
    }
    if (this.wanted()) this.schedule();
  }
}
