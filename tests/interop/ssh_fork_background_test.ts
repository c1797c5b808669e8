// -f against a real sshd and a stock master: the foreground sshmux returns 0 once the
// background one is authenticated and its forwards are up (the `ssh -f -N -L` tunnel idiom),
// the background one has left the terminal's session, a background command's output still
// reaches the caller's stdout, and failures before that point end the foreground command with
// ssh's message and 255.

import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import { sh, sshmuxCmdlinePattern, sshmuxPath, waitFor } from "../helpers/run.ts";
import { freePort, startSshd } from "../helpers/sshd.ts";
import { startStockMaster } from "../helpers/stock_master.ts";

/** Pids of sshmux processes (not the shells around them) whose command line has `marker`. */
async function pidsWith(marker: string): Promise<number[]> {
  const r = await sh(`pgrep -f -- '${marker}' || true`);
  const binary = new RegExp(sshmuxCmdlinePattern());
  return r.out.split(/\s+/).filter(Boolean).map(Number).filter((p) => {
    try {
      return binary.test(Deno.readTextFileSync(`/proc/${p}/cmdline`));
    } catch {
      return false; // already gone
    }
  });
}

/** The session id of a process, from /proc (field 6 of stat). */
function sessionOf(pid: number): number {
  const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
  return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[3]);
}

Deno.test("-f: background after authentication; tunnel idiom, output, failures, mux", async (t) => {
  const sshd = await startSshd();
  const dir = sshd.dir;
  const mux = `${sshmuxPath()} -F ${sshd.config}`;
  try {
    await t.step(
      "-f -N -L: returns 0 with the tunnel up, detached into its own session",
      async () => {
        const port = freePort();
        const r = await sh(
          `${mux} -f -N -L ${port}:127.0.0.1:${sshd.port} x >${dir}/tun.out 2>${dir}/tun.err; echo rc=$?`,
          { timeoutMs: 30_000 },
        );
        assertEquals(r.out.trim(), "rc=0", Deno.readTextFileSync(`${dir}/tun.err`));
        const pids = await pidsWith(`-L ${port}:127.0.0.1`);
        assert(pids.length > 0, "no background sshmux");
        try {
          const deno = pids[0];
          assertEquals(
            sessionOf(deno),
            deno,
            "the background sshmux leads its own session (setsid)",
          );
          // Through the tunnel: the real ssh reaches the same sshd.
          const via = await sh(
            `ssh -F ${sshd.config} -o HostName=127.0.0.1 -p ${port} x echo through-the-tunnel`,
            { timeoutMs: 20_000 },
          );
          assertEquals(via.out, "through-the-tunnel\n", via.err);
        } finally {
          for (const p of pids) Deno.kill(p, "SIGTERM");
        }
        await waitFor(
          "tunnel closed",
          async () => (await pidsWith(`-L ${port}:127.0.0.1`)).length === 0,
        );
      },
    );

    await t.step("-f with a command: returns first, the output arrives afterwards", async () => {
      const r = await sh(
        `${mux} -f x 'sleep 1; echo late-output' >${dir}/cmd.out 2>&1; echo rc=$?; cat ${dir}/cmd.out`,
        { timeoutMs: 30_000 },
      );
      assertEquals(r.out, "rc=0\n", "returned before the command finished");
      await waitFor("background output", () => {
        try {
          return Deno.readTextFileSync(`${dir}/cmd.out`) === "late-output\n";
        } catch {
          return false;
        }
      });
    });

    await t.step(
      "-f and an authentication failure: ssh's message and 255, in the foreground",
      async () => {
        const args = `-F ${sshd.config} -f -o User=no-such-user-here x true`;
        const ours = await sh(`${sshmuxPath()} ${args}`, { timeoutMs: 30_000 });
        const theirs = await sh(`ssh ${args}`, { timeoutMs: 30_000 });
        assertEquals([ours.code, theirs.code], [255, 255]);
        assertEquals(ours.err, theirs.err);
        assertStringIncludes(ours.err, "Permission denied");
      },
    );

    await t.step("-f: SIGTERM before the background one is ready ends both, 255", async () => {
      // A ProxyCommand that never answers keeps the background sshmux before its "fork".
      const marker = `sleep ${30 + Math.floor(Math.random() * 1000)}`;
      const fg = new Deno.Command(sshmuxPath(), {
        args: ["-F", sshd.config, "-f", "-o", `ProxyCommand=${marker}`, "x", "true"],
        stdout: "null",
        stderr: "null",
      }).spawn();
      try {
        await waitFor("background sshmux", async () => (await pidsWith(marker)).length === 2);
        fg.kill("SIGTERM");
        assertEquals((await fg.status).code, 255);
        await waitFor("background sshmux gone", async () => (await pidsWith(marker)).length === 0);
      } finally {
        await sh(`pkill -f '^${marker}$' || true`);
      }
    });

    await t.step("-f through a stock master: returns 0, the session runs on", async () => {
      const master = await startStockMaster(sshd);
      try {
        const r = await sh(
          `${mux} -S ${master.ctl} -f x 'sleep 1; echo via-master' >${dir}/mux.out 2>&1; echo rc=$?`,
          { timeoutMs: 30_000 },
        );
        assertEquals(r.out.trim(), "rc=0");
        await waitFor("mux background output", () => {
          try {
            return Deno.readTextFileSync(`${dir}/mux.out`) === "via-master\n";
          } catch {
            return false;
          }
        });
      } finally {
        await master.stop();
      }
    });
  } finally {
    await sshd.stop();
  }
});
