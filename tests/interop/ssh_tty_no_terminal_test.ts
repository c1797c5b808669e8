// -tt with a stdin that is no terminal (/dev/null, a pipe), as scripts and ansible use it: the
// pty the server makes must be set up as for the stock ssh (server-default modes, no window
// size), so the remote sees the same `stty -a` and output goes through onlcr (\r\n) alike.

import { assertEquals } from "@std/assert";
import { run, sshmuxPath } from "../helpers/run.ts";
import { startSshd } from "../helpers/sshd.ts";

Deno.test("-tt from a non-terminal stdin: the remote pty is set up as by ssh", async () => {
  const sshd = await startSshd();
  try {
    const remote = "stty -a; stty size; echo done";
    for (const stdin of ["null", ""]) {
      const [ssh, ours] = await Promise.all(
        ["ssh", sshmuxPath()].map((p) =>
          run(p, ["-F", sshd.config, "-tt", "x", remote], { stdin })
        ),
      );
      assertEquals(ssh.code, 0, ssh.err);
      // The oracle shows what is being checked: a cooked pty, no size.
      assertEquals(
        ssh.out.includes(" onlcr") && ssh.out.includes("0 0\r\ndone\r\n"),
        true,
        ssh.out,
      );
      assertEquals(
        [ours.code, ours.out, ours.err],
        [ssh.code, ssh.out, ssh.err],
        `stdin ${stdin || "an empty pipe"}`,
      );
    }
  } finally {
    await sshd.stop();
  }
});
