// ControlMaster=auto + ControlPersist, 10 invocations at once for a host with no master:
// sshmux makes exactly one SSH connection (counted in the sshd log) and all 10 commands run
// through it; stock ssh, measured the same way, opens one per invocation.
import { assertEquals } from "@std/assert";
import { logins, startSshd } from "../helpers/sshd.ts";
import { run, sshmuxPath } from "../helpers/run.ts";
import { autoMuxArgs } from "../helpers/master.ts";

const SSHMUX = sshmuxPath();

Deno.test("master: 10 concurrent ControlMaster=auto calls make one SSH connection", async () => {
  const sshd = await startSshd({ sshdConfig: ["MaxSessions 30"] });
  try {
    for (const [prog, expectOne] of [[SSHMUX, true], ["ssh", false]] as const) {
      const ctl = `${sshd.dir}/sf-${prog === "ssh" ? "ssh" : "mux"}`;
      const before = logins(sshd);
      const runs = await Promise.all(
        Array.from(
          { length: 10 },
          (_, i) =>
            run(prog, autoMuxArgs(sshd, ctl, "30", `echo run-${i}`), { timeoutMs: 120_000 }),
        ),
      );
      runs.forEach((r, i) => assertEquals([r.code, r.out], [0, `run-${i}\n`], r.err));
      const connections = logins(sshd) - before;
      if (expectOne) {
        assertEquals(connections, 1, "sshmux: one connection for all ten");
        assertEquals(runs.filter((r) => r.err !== "").length, 0, runs.map((r) => r.err).join(""));
      } else {
        // The comparison the feature is about: OpenSSH races, and each loser connects alone.
        assertEquals(connections > 1, true, `stock ssh opened ${connections}`);
      }
      await run(prog === "ssh" ? "ssh" : SSHMUX, ["-F", sshd.config, "-S", ctl, "-O", "exit", "x"]);
    }
  } finally {
    await sshd.stop();
  }
});

Deno.test("master: clients arriving as ControlPersist expires are served or get a fresh master", async () => {
  const sshd = await startSshd({ sshdConfig: ["MaxSessions 30"] });
  const ctl = `${sshd.dir}/persist-edge`;
  const args = (i: number) => autoMuxArgs(sshd, ctl, "1", `echo edge-${i}`);
  try {
    // Each call lands around the moment the previous master's 1 s idle time runs out (the
    // spacing walks across that moment); pairs make two arrive together now and then.
    for (let i = 0; i < 9; i++) {
      const pair = i % 3 === 0 ? [i, i + 100] : [i];
      const runs = await Promise.all(pair.map((n) => run(SSHMUX, args(n), { timeoutMs: 60_000 })));
      // Not even a message: a client that met a master on its way out quietly used a new one.
      runs.forEach((r, k) => assertEquals([r.code, r.out, r.err], [0, `edge-${pair[k]}\n`, ""]));
      await new Promise((r) => setTimeout(r, 850 + (i % 4) * 100));
    }
  } finally {
    await run(SSHMUX, ["-F", sshd.config, "-S", ctl, "-O", "exit", "x"]).catch(() => {});
    await sshd.stop();
  }
});
