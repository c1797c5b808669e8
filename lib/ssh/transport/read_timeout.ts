// ssh's packet_timeout_ms: while we wait for the server, `ms` without a packet ends the
// connection. Time spent not waiting (a password prompt, an idle session nobody reads) does
// not count: the clock restarts whenever a check finds nobody waiting.

export interface ReadTimeoutHooks {
  /** Whether anyone is waiting for the server now (kex running, a receive() pending). */
  waiting(): boolean;
  /** The bound passed while waiting. */
  expired(): void;
}

export class ReadTimeout {
  #ms = 0;
  #since = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly hooks: ReadTimeoutHooks) {}

  /** Starts (ms > 0) or stops (0) the bound, counting from now. */
  set(ms: number): void {
    this.stop();
    this.#ms = ms;
    this.#since = Date.now();
    if (ms > 0) this.#arm();
  }

  /** A packet arrived, or someone started waiting: the clock starts again. */
  touch(): void {
    this.#since = Date.now();
  }

  /**
   * The first timer call of a Deno 2.9 process loads its timer module (~12 ms of CPU), so
   * there is no call at all while no timer is set (the default: no ServerAliveInterval).
   */
  stop(): void {
    if (this.#timer === undefined) return;
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #arm(): void {
    const due = Math.max(50, this.#since + this.#ms - Date.now());
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      if (!this.hooks.waiting()) this.#since = Date.now();
      else if (Date.now() - this.#since >= this.#ms) {
        this.hooks.expired();
        return;
      }
      this.#arm();
    }, due);
  }
}
