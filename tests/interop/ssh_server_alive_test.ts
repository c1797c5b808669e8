// ServerAliveInterval against a server that stays silent, side by side with the stock ssh:
// the timeout is counted from the last packet received, so a server silent for
// Interval × (CountMax + 1) is declared dead then, not up to one interval later.

import { assert, assertEquals } from "@std/assert";
import { sshmuxPath } from "../helpers/run.ts";
import { startSshd } from "../helpers/sshd.ts";

const INTERVAL_S = 2;
// CountMax 0: the first silent interval ends the session; no probe, so the sshd need not be
// frozen to leave one unanswered.
const COUNT_MAX = 0;
// ssh's clock has whole seconds, so it may end up to a second early; allow late only this much.
const SLACK_MS = 700;

/** Milliseconds from the remote's last output line to the client's exit, and how it ended. */
async function silence(prog: string, config: string) {
  const child = new Deno.Command(prog, {
    args: [
      "-F",
      config,
      "-o",
      "LogLevel=INFO",
      "-o",
      `ServerAliveInterval=${INTERVAL_S}`,
      "-o",
      `ServerAliveCountMax=${COUNT_MAX}`,
      "x",
      // Half a second in, so the last output falls between two of any fixed-phase ticks.
      "sleep 0.5; echo started; exec sleep 30",
    ],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const errText = new Response(child.stderr).text();
  let out = "";
  let lastAt = 0;
  for await (const chunk of child.stdout.pipeThrough(new TextDecoderStream())) {
    out += chunk;
    lastAt = performance.now();
  }
  const { code } = await child.status;
  return { code, out, err: await errText, gapMs: Math.round(performance.now() - lastAt) };
}

Deno.test("ServerAliveInterval: a silent server is dropped an interval after its last packet, like ssh", async () => {
  const sshd = await startSshd();
  try {
    const [ssh, ours] = await Promise.all(
      ["ssh", sshmuxPath()].map((p) => silence(p, sshd.config)),
    );
    const bound = INTERVAL_S * (COUNT_MAX + 1) * 1000 + SLACK_MS;
    for (const [who, r] of [["ssh", ssh], ["sshmux", ours]] as const) {
      assertEquals(
        [r.code, r.out, r.err],
        [255, "started\n", "Timeout, server 127.0.0.1 not responding.\r\n"],
        who,
      );
      assert(r.gapMs <= bound, `${who} ended ${r.gapMs} ms after the last output (bound ${bound})`);
    }
    // Not early either: a whole interval of silence less ssh's one-second granularity.
    assert(ours.gapMs >= (INTERVAL_S - 1) * 1000, `sshmux ended after only ${ours.gapMs} ms`);
  } finally {
    await sshd.stop();
  }
});
