// Connection-ending errors are reported the way the stock ssh reports them: the same text and
// exit status, and at the same LogLevel. ssh logs the ends that come from its packet layer
// (sshpkt_fatal: "Unable to negotiate ...", "ssh_dispatch_run_fatal: ...") at INFO, so
// `-o LogLevel=ERROR` — a common way to quiet ssh in scripts — hides them; ProxyCommand
// connections are named "UNKNOWN port 65535" like ssh's remote_id.

import { assertEquals } from "@std/assert";
import { run, sshmuxPath } from "../helpers/run.ts";
import { startSshd } from "../helpers/sshd.ts";

Deno.test("connection-ending errors: same stderr and exit status as ssh at LogLevel INFO and ERROR", async () => {
  const sshd = await startSshd();
  try {
    const cases: { name: string; args: string[] }[] = [
      {
        // sshd 9.2 does not offer diffie-hellman-group14-sha1 by default.
        name: "no common key exchange method",
        args: ["-o", "KexAlgorithms=diffie-hellman-group14-sha1"],
      },
      {
        // Its stdout ends after the version line while it goes on reading stdin, so the end is
        // always seen as EOF. (One that exits outright races EOF against EPIPE, in ssh too.)
        name: "ProxyCommand whose output ends after its version line",
        args: ["-o", "ProxyCommand=sh -c 'echo SSH-2.0-stub; exec cat >/dev/null'"],
      },
    ];
    for (const c of cases) {
      for (const level of ["INFO", "ERROR"]) {
        const args = ["-F", sshd.config, "-o", `LogLevel=${level}`, ...c.args, "x", "true"];
        const theirs = await run("ssh", args, { timeoutMs: 20_000 });
        const ours = await run(sshmuxPath(), args, { timeoutMs: 20_000 });
        const what = `${c.name} at ${level}`;
        assertEquals(theirs.code, 255, `ssh: ${what}: ${theirs.err}`);
        assertEquals(ours.code, 255, `sshmux: ${what}: ${ours.err}`);
        assertEquals(ours.err, theirs.err, what);
        if (level === "INFO") assertEquals(theirs.err === "", false, `ssh said nothing: ${what}`);
        else assertEquals(theirs.err, "", `ssh spoke at ERROR: ${what}`);
      }
    }
  } finally {
    await sshd.stop();
  }
});
