// A timeout that does not touch Deno's timers. Deno 2.9 loads its Node timers layer
// (node:timers, async_hooks, ...) on a process's first setTimeout or clearTimeout: measured
// ~25M instructions, ~10 ms and ~4 MiB here, as much as everything else a plain `sshmux host
// true` runs after its key exchange. V8's Atomics.waitAsync times out by itself at no such cost.
//
// The catch: Deno's event loop does not wait for it. Use it only to bound a wait on an
// operation that is itself still pending (a socket write, say): that operation keeps the
// process running until either it ends or the timeout fires. With nothing else pending the
// process would end without the timeout ever firing.

export interface PendingTimeout {
  /** Resolves when `ms` have passed (not if cancelled first). */
  readonly expired: Promise<void>;
  /** Stops the timeout; `expired` then never resolves. Idempotent. */
  cancel(): void;
}

export function timeoutWhilePending(ms: number): PendingTimeout {
  const cell = new Int32Array(new SharedArrayBuffer(4));
  let cancelled = false;
  const wait = Atomics.waitAsync(cell, 0, 0, ms);
  const expired = new Promise<void>((resolve) => {
    const done = (outcome: string) => {
      if (!cancelled && outcome === "timed-out") resolve();
    };
    if (wait.async) wait.value.then(done);
    else done(wait.value);
  });
  return {
    expired,
    cancel() {
      if (cancelled) return;
      cancelled = true;
      Atomics.notify(cell, 0); // ends the wait ("ok") so nothing is left behind
    },
  };
}
