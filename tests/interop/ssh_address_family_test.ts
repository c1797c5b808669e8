// -4/-6 (AddressFamily) and ConnectionAttempts on the TCP connect of plain mode and of a
// master's own connection, against a real sshd, each case held to the stock ssh run beside it:
// the same stderr bytes, the same exit status. sshd listens on 127.0.0.1 and, when this machine
// has IPv6, on ::1 too; without IPv6 the v4 cases and the error texts are still checked.

import { assert, assertEquals } from "@std/assert";
import { run, sshmuxPath } from "../helpers/run.ts";
import { startMaster, startMasterSshd } from "../helpers/master.ts";
import { freePort, type Sshd } from "../helpers/sshd.ts";

function hasIpv6Loopback(): boolean {
  try {
    Deno.listen({ hostname: "::1", port: 0 }).close();
    return true;
  } catch {
    return false;
  }
}

/** TCP connections sshd accepted so far (its LogLevel VERBOSE logs each one). */
function connections(sshd: Sshd): number {
  return Deno.readTextFileSync(sshd.logFile).split("\n")
    .filter((l) => l.includes("Connection from ")).length;
}

/** The lines of a -v run that ConnectionAttempts shapes: each failed connect, retries, the end. */
function attemptLines(err: string): string[] {
  return err.split("\r\n").filter((l) =>
    /^debug1: (Connecting to |connect to address |Trying again)/.test(l) || l.startsWith("ssh: ")
  );
}

Deno.test("AddressFamily and ConnectionAttempts on the TCP connect, like ssh", async (t) => {
  const v6 = hasIpv6Loopback();
  const sshd = await startMasterSshd({ sshdConfig: v6 ? ["ListenAddress ::1"] : [] });
  const sshmux = (args: string[]) => run(sshmuxPath(), ["-F", sshd.config, ...args]);
  const stock = (args: string[]) => run("ssh", ["-F", sshd.config, ...args]);
  const both = (args: string[]) => Promise.all([sshmux(args), stock(args)]);
  const closed = freePort();
  try {
    await t.step("-4/-6: connection or refusal, stderr and exit as ssh", async () => {
      const cases: string[][] = [
        ["-4"],
        ["-6"], // the config's HostName is 127.0.0.1
        ["-4", "-o", "HostName=::1"],
        ["-o", "AddressFamily=inet6", "-o", "HostName=127.0.0.1"],
        ["-4", "-o", "HostName=no-such-host.invalid"],
        ["-4", "-o", "HostName=localhost"],
        ["-6", "-o", "HostName=localhost"], // /etc/hosts decides: both must agree
        ["-4", "-p", String(closed)],
        ["-4", "-b", "127.0.0.1"],
        ["-4", "-o", "HostName=::1", "-b", "::1"],
        ...(v6
          ? [["-6", "-o", "HostName=::1"], ["-6", "-o", "HostName=::1", "-p", String(closed)]]
          : []),
      ];
      await Promise.all(cases.map(async (args) => {
        const [ours, theirs] = await both([...args, "x", "true"]);
        assertEquals([ours.code, ours.err], [theirs.code, theirs.err], args.join(" "));
      }));
      // What the oracle said, so a change in ssh's wording does not go unnoticed.
      const wrong = await sshmux(["-4", "-o", "HostName=::1", "x", "true"]);
      assertEquals(
        [wrong.code, wrong.err],
        [255, "ssh: Could not resolve hostname ::1: Address family for hostname not supported\r\n"],
      );
      const ok = await sshmux(["-4", "x", "echo $SSH_CLIENT"]);
      assertEquals([ok.code, ok.out.split(" ")[0]], [0, "127.0.0.1"], ok.err);
      if (v6) {
        const ok6 = await sshmux(["-6", "-o", "HostName=::1", "x", "echo $SSH_CLIENT"]);
        assertEquals([ok6.code, ok6.out.split(" ")[0]], [0, "::1"], ok6.err);
      }
    });

    await t.step("one TCP connection per run with a family (the early connect is it)", async () => {
      const runs: string[][] = [["-4"], ...(v6 ? [["-6", "-o", "HostName=::1"]] : [])];
      for (const args of runs) {
        const before = connections(sshd);
        const r = await sshmux([...args, "x", "true"]);
        assertEquals(r.code, 0, r.err);
        assertEquals(connections(sshd) - before, 1, args.join(" "));
      }
      const before = connections(sshd);
      const master = await startMaster("sshmux", sshd, {
        args: v6 ? ["-6", "-o", "HostName=::1"] : ["-4"],
      });
      try {
        const r = await stock(["-S", master.ctl, "x", "echo $SSH_CLIENT"]);
        assertEquals(r.code, 0, r.err);
        assertEquals(r.out.split(" ")[0], v6 ? "::1" : "127.0.0.1");
        assertEquals(connections(sshd) - before, 1, "the master's one connection");
        assert(master.alive(), "the master still runs");
      } finally {
        await master.stop();
      }
    });

    await t.step(
      "ConnectionAttempts=2 to a closed port: two rounds 1 s apart, as ssh",
      async () => {
        // the last: a master's own connection (it never gets to listen)
        const master = ["-M", "-S", `${sshd.dir}/ctl-attempts`];
        const cases: string[][] = [[], ["-4"], ["-b", "127.0.0.1"], master];
        await Promise.all(cases.map(async (args) => {
          const argv = [...args, "-o", "ConnectionAttempts=2", "-p", String(closed), "x", "true"];
          const started = Date.now();
          const [ours, theirs] = await both(argv);
          const what = args.join(" ") || "(no family)";
          assert(Date.now() - started >= 1000, `${what}: the second round waits a second`);
          assertEquals([ours.code, ours.err], [theirs.code, theirs.err], what);
          const [oursV, theirsV] = await both(["-v", ...argv]);
          const lines = attemptLines(oursV.err);
          assertEquals(lines, attemptLines(theirsV.err), `${what} -v`);
          const connecting = `debug1: Connecting to 127.0.0.1 [127.0.0.1] port ${closed}.`;
          assertEquals(lines, [
            connecting,
            `debug1: connect to address 127.0.0.1 port ${closed}: Connection refused`,
            "debug1: Trying again...",
            connecting,
            `debug1: connect to address 127.0.0.1 port ${closed}: Connection refused`,
            `ssh: connect to host 127.0.0.1 port ${closed}: Connection refused`,
          ]);
        }));
      },
    );
  } finally {
    await sshd.stop();
  }
});
