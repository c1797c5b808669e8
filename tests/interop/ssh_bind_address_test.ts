// -b/BindAddress and -B/BindInterface against a real sshd: the session's SSH_CLIENT shows the
// bound source (loopback's 127.0.0.0/8 gives spare addresses on Linux), in plain mode and for a
// master's own connection seen through a stock `ssh -S` client; an address not on this machine,
// a missing interface and a ProxyCommand (which ignores both) are held to the stock ssh run
// beside it: the same stderr, the same exit status.

import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import { run, sshmuxPath } from "../helpers/run.ts";
import { startMaster, startMasterSshd } from "../helpers/master.ts";

Deno.test("-b / -B bind the connection's source address like ssh", async (t) => {
  const sshd = await startMasterSshd();
  const sshmux = (args: string[]) => run(sshmuxPath(), ["-F", sshd.config, ...args]);
  const stock = (args: string[]) => run("ssh", ["-F", sshd.config, ...args]);
  /** The source address sshd saw, from $SSH_CLIENT ("ADDR PORT SERVERPORT"). */
  const source = (out: string) => out.trim().split(" ")[0];
  try {
    await t.step("-b, -o BindAddress=, -B lo: SSH_CLIENT shows the bound source", async () => {
      const cases: [string[], string][] = [
        [["-b", "127.0.0.2"], "127.0.0.2"],
        [["-o", "BindAddress=127.0.0.3"], "127.0.0.3"],
        [["-B", "lo"], "127.0.0.1"],
        // as OpenSSH 9.2 does: BindAddress wins over BindInterface
        [["-B", "lo", "-b", "127.0.0.4"], "127.0.0.4"],
      ];
      await Promise.all(cases.map(async ([args, want]) => {
        const r = await sshmux([...args, "x", "echo $SSH_CLIENT"]);
        assertEquals(r.code, 0, r.err);
        assertEquals(source(r.out), want, args.join(" "));
      }));
    });

    await t.step(
      "unusable source or interface, and ProxyCommand: stderr and exit as ssh",
      async () => {
        const proxy = `ProxyCommand=ssh -F ${sshd.config} -W %h:%p x`;
        const cases: string[][] = [
          ["-b", "10.255.255.7"],
          ["-B", "nosuchif"],
          ["-o", "LogLevel=INFO", "-B", "nosuchif"],
          ["-b", "no-such-host.invalid"],
          ["-q", "-b", "10.255.255.7"],
          // a ProxyCommand makes the connection: neither option applies (both exit 0)
          ["-b", "10.255.255.7", "-o", proxy],
        ];
        for (const args of cases) {
          const argv = [...args, "x", "true"];
          const [ours, theirs] = await Promise.all([sshmux(argv), stock(argv)]);
          const what = args.join(" ");
          assertEquals([ours.code, ours.err], [theirs.code, theirs.err], what);
        }
        // What the oracle said, so a change in ssh's wording does not go unnoticed.
        const bad = await sshmux(["-b", "10.255.255.7", "x", "true"]);
        assertEquals(bad.code, 255);
        assertStringIncludes(bad.err, "bind 10.255.255.7: Cannot assign requested address\r\n");
        assertStringIncludes(bad.err, `ssh: connect to host 127.0.0.1 port ${sshd.port}: failure`);
      },
    );

    await t.step("a -M master's connection leaves from -b's address", async () => {
      const master = await startMaster("sshmux", sshd, { args: ["-b", "127.0.0.2"] });
      try {
        const r = await stock(["-S", master.ctl, "x", "echo $SSH_CLIENT"]);
        assertEquals(r.code, 0, r.err);
        assertEquals(source(r.out), "127.0.0.2");
        assert(master.alive(), "the master still runs");
      } finally {
        await master.stop();
      }
    });
  } finally {
    await sshd.stop();
  }
});
