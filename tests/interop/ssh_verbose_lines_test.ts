// LogLevel VERBOSE, which some users keep on for every connection: the lines we print must be
// ssh's ("Authenticated to H ([A]:P) using ...", "(via proxy)" through a ProxyCommand), and
// nothing ssh does not print. ssh's closing "Transferred:"/"Bytes per second:" byte counts are
// not printed by us (a known difference), so they are left out of the comparison.

import { assertEquals } from "@std/assert";
import { run, sshmuxPath } from "../helpers/run.ts";
import { startSshd } from "../helpers/sshd.ts";

const byteCounts = /^(Transferred: sent|Bytes per second: sent) /;

Deno.test("LogLevel VERBOSE: the same lines as ssh, direct and through a ProxyCommand", async () => {
  const sshd = await startSshd();
  try {
    const proxy = `ProxyCommand=ssh -F ${sshd.config} -o LogLevel=ERROR -W %h:%p x`;
    for (const extra of [[], ["-o", proxy]]) {
      const [ssh, ours] = await Promise.all(
        ["ssh", sshmuxPath()].map((p) =>
          run(p, ["-F", sshd.config, "-o", "LogLevel=VERBOSE", ...extra, "x", "kill -SEGV $$"])
        ),
      );
      const lines = (err: string) => err.split("\r\n").filter((l) => !byteCounts.test(l));
      assertEquals(ssh.code, 255, ssh.err);
      // The oracle says what is compared: its authentication line.
      assertEquals(lines(ssh.err)[0].startsWith("Authenticated to 127.0.0.1 ("), true, ssh.err);
      assertEquals([ours.code, lines(ours.err)], [ssh.code, lines(ssh.err)], extra.join(" "));
    }
  } finally {
    await sshd.stop();
  }
});
