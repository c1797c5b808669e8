// ConnectionAttempts' rounds (lib/ssh/transport/attempts.ts), with the pause stubbed: how many
// rounds run, the pauses between them, the debug line per retry and the final error's text.
import { assertEquals, assertRejects } from "@std/assert";
import { connectInRounds, ROUND_PAUSE_MS } from "../../lib/ssh/transport/attempts.ts";
import { FatalError } from "../../lib/errors.ts";
import { captureLog, getLogLevel, LogLevel, setLogLevel } from "../../lib/log.ts";

/** Runs `fn` with debug logging captured; returns the lines it logged. */
async function logged(fn: () => Promise<unknown>): Promise<string[]> {
  const lines: string[] = [];
  const level = getLogLevel();
  setLogLevel(LogLevel.DEBUG1);
  const restore = captureLog(lines);
  try {
    await fn();
  } finally {
    restore();
    setLogLevel(level);
  }
  return lines;
}

Deno.test("connectInRounds: stops at the first round that connects", async () => {
  const pauses: number[] = [];
  let rounds = 0;
  const round = () =>
    Promise.resolve(++rounds < 3 ? { failed: `refused ${rounds}` } : { ok: "conn" as const });
  let got: string | undefined;
  const lines = await logged(async () => {
    got = await connectInRounds("h", 22, 5, round, (ms) => {
      pauses.push(ms);
      return Promise.resolve();
    });
  });
  assertEquals(got, "conn");
  assertEquals(rounds, 3);
  assertEquals(pauses, [ROUND_PAUSE_MS, ROUND_PAUSE_MS]);
  assertEquals(ROUND_PAUSE_MS, 1000);
  assertEquals(lines, ["debug1: Trying again...\r\n", "debug1: Trying again...\r\n"]);
});

Deno.test("connectInRounds: after the last round, ssh's message with its failure", async () => {
  let rounds = 0;
  const round = () => Promise.resolve({ failed: `reason ${++rounds}` });
  const noPause = () => Promise.resolve();
  const e = await assertRejects(
    () => connectInRounds("host.example", 2222, 3, round, noPause),
    FatalError,
  );
  assertEquals(e.message, "ssh: connect to host host.example port 2222: reason 3");
  assertEquals(rounds, 3);
});

Deno.test("connectInRounds: one round, no pause, for 1 (and never fewer than one)", async () => {
  for (const attempts of [1, 0]) {
    let rounds = 0;
    let paused = false;
    const round = () => Promise.resolve({ failed: `r${++rounds}` });
    const lines = await logged(() =>
      assertRejects(() =>
        connectInRounds("h", 1, attempts, round, () => {
          paused = true;
          return Promise.resolve();
        }), FatalError)
    );
    assertEquals([rounds, paused, lines], [1, false, []], `attempts ${attempts}`);
  }
});

Deno.test("connectInRounds: an error thrown by a round (a name that does not resolve) ends it", async () => {
  let rounds = 0;
  const round = () => {
    rounds++;
    return Promise.reject(new FatalError("ssh: Could not resolve hostname h: x"));
  };
  await assertRejects(
    () => connectInRounds("h", 22, 4, round, () => Promise.resolve()),
    FatalError,
  );
  assertEquals(rounds, 1);
});
