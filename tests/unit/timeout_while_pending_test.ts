// timeoutWhilePending: fires after its time while an operation keeps the process running, and
// never once cancelled (Atomics.waitAsync instead of Deno's timers, which cost ~10 ms to load).

import { assert, assertEquals } from "@std/assert";
import { timeoutWhilePending } from "../../lib/timeout_while_pending.ts";

/** Something pending, as the socket write is where the outbox uses the timeout. */
function pendingAccept(): { stop(): void } {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  l.accept().catch(() => {});
  return { stop: () => l.close() };
}

Deno.test("timeoutWhilePending: expires after its time", async () => {
  const op = pendingAccept();
  try {
    const t0 = performance.now();
    const t = timeoutWhilePending(40);
    await t.expired;
    const took = performance.now() - t0;
    assert(took >= 35, `expired after ${took} ms`);
    t.cancel(); // after expiry: harmless
  } finally {
    op.stop();
  }
});

Deno.test("timeoutWhilePending: a cancelled timeout never resolves", async () => {
  const op = pendingAccept();
  try {
    const t = timeoutWhilePending(20);
    let fired = false;
    t.expired.then(() => fired = true);
    t.cancel();
    t.cancel();
    await timeoutWhilePending(60).expired;
    assertEquals(fired, false);
  } finally {
    op.stop();
  }
});
