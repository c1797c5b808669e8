// Beyond OpenSSH: sessions past the server's MaxSessions. With sshd's `MaxSessions 2`, OpenSSH's
// master refuses every session past the second ("Session open refused by peer", and the stock
// client then makes a connection of its own); sshmux's master opens extra SSH connections to the
// same destination and serves them there, and closes those connections once idle.
import { assert, assertEquals } from "@std/assert";
import { muxRun, startMaster, startMasterSshd } from "../helpers/master.ts";
import { waitFor } from "../helpers/run.ts";

/** Lines of the sshd log that match `re` (LogLevel VERBOSE: one "Accepted" per connection). */
function logLines(logFile: string, re: RegExp): string[] {
  return Deno.readTextFileSync(logFile).split("\n").filter((l) => re.test(l));
}

Deno.test("past MaxSessions: 10 parallel sessions, sshd MaxSessions 2, at most 5 connections", async () => {
  const sshd = await startMasterSshd({ sshdConfig: ["MaxSessions 2"] });
  const master = await startMaster("sshmux", sshd, {
    args: ["-v"],
    env: { SSHMUX_EXTRA_IDLE_MS: "1000" },
  });
  try {
    const N = 10;
    // Each session outlives the others' start (so all 10 overlap) and prints its own text.
    const expected = (i: number) =>
      Array.from({ length: 3000 + i }, (_, k) => `${i}:${k + 1}`).join("\n") + "\n";
    const results = await Promise.all(
      Array.from({ length: N }, (_, i) =>
        muxRun("ssh", master, [
          "x",
          `sleep 1; seq 1 ${3000 + i} | sed 's/^/${i}:/'; exit ${i}`,
        ], { timeoutMs: 60_000 })),
    );
    for (const [i, r] of results.entries()) {
      assertEquals(r.err, "", `session ${i} stderr`);
      assertEquals(r.code, i, `session ${i} status`);
      assert(r.out === expected(i), `session ${i}: output differs (${r.out.length} bytes)`);
    }
    const accepted = logLines(sshd.logFile, /Accepted publickey/);
    assert(accepted.length >= 5, `10 sessions at 2 per connection need 5: ${accepted.length}`);
    assert(accepted.length <= 5, `at most 5 SSH connections, got ${accepted.length}`);
    const opened = master.stderr().match(/opened extra connection \d+/g) ?? [];
    assertEquals(opened.length, accepted.length - 1, master.stderr());

    // Idle extras close (1 s here): the server sees them say goodbye; the primary stays.
    await waitFor("idle extra connections closed", () => {
      const closed = master.stderr().match(/closed extra connection \d+/g) ?? [];
      return closed.length === opened.length;
    }, 15_000);
    await waitFor(
      "sshd saw the extras disconnect",
      () =>
        logLines(sshd.logFile, /Received disconnect from .*disconnected by user/).length ===
          opened.length,
      10_000,
    );
    const after = await muxRun("ssh", master, ["x", "echo still"]);
    assertEquals([after.out, after.code, after.err], ["still\n", 0, ""]);
    assertEquals(logLines(sshd.logFile, /Accepted publickey/).length, accepted.length);
  } finally {
    await master.stop();
    await sshd.stop();
  }
});

Deno.test("past MaxSessions: a -W still works while sessions fill the primary", async () => {
  const sshd = await startMasterSshd({ sshdConfig: ["MaxSessions 1"] });
  const master = await startMaster("sshmux", sshd);
  try {
    // One session holds the primary's only slot; a second session must go to an extra
    // connection; a -W to the sshd's own port stays on the primary (direct-tcpip is no session).
    const busy = muxRun("ssh", master, ["x", "sleep 2; echo first"]);
    await waitFor("first session on", () => logLines(sshd.logFile, /Starting session/).length >= 1);
    const second = await muxRun("ssh", master, ["x", "echo second"]);
    assertEquals([second.out, second.code, second.err], ["second\n", 0, ""]);
    const w = await muxRun("ssh", master, ["-W", `127.0.0.1:${sshd.port}`, "x"], {
      stdin: "SSH-2.0-probe\r\n",
    });
    assert(w.out.startsWith("SSH-2.0-OpenSSH"), `-W reached sshd: ${JSON.stringify(w.out)}`);
    const first = await busy;
    assertEquals([first.out, first.code], ["first\n", 0]);
    assertEquals(logLines(sshd.logFile, /Accepted publickey/).length, 2);
  } finally {
    await master.stop();
    await sshd.stop();
  }
});

Deno.test("past MaxSessions: MaxSessions 0 (policy, not a limit) opens no extra connection", async () => {
  const sshd = await startMasterSshd({ sshdConfig: ["MaxSessions 0"] });
  const master = await startMaster("sshmux", sshd);
  try {
    const r = await muxRun("ssh", master, ["x", "echo hi"]);
    assert(r.err.includes("Session open refused by peer"), r.err);
    assertEquals(logLines(sshd.logFile, /Accepted publickey/).length, 2); // master + ssh's fallback
  } finally {
    await master.stop();
    await sshd.stop();
  }
});
