// What a master of each kind tells its clients and its own stderr when a request fails: a
// refused subsystem (a stock master's client hears nothing; ours says why), `-tt` from a
// non-tty stdin, forwards that cannot bind or that the server refuses, and channel opens the
// server refuses. OpenSSH's master is the oracle: every step runs against it too.
import { assertEquals, assertMatch } from "@std/assert";
import {
  type ClientKind,
  type Master,
  masterTest,
  muxRun,
  startMaster,
} from "../helpers/master.ts";
import { startMasterSshd } from "../helpers/master.ts";
import { waitFor } from "../helpers/run.ts";
import { freePort } from "../helpers/sshd.ts";

const CLIENTS: ClientKind[] = ["ssh", "sshmux"];

/** Listens on 127.0.0.1 and (where there is IPv6) ::1 on one port, so no forward can bind it. */
function occupy(port: number): () => void {
  const ls = [Deno.listen({ hostname: "127.0.0.1", port })];
  try {
    ls.push(Deno.listen({ hostname: "::1", port }));
  } catch { /* no IPv6 loopback: the master cannot bind there either */ }
  return () => ls.forEach((l) => l.close());
}

async function masterSaid(master: Master, what: string | RegExp): Promise<void> {
  const has = () =>
    typeof what === "string" ? master.stderr().includes(what) : what.test(master.stderr());
  await waitFor(`master stderr ${what}`, has, 10_000).catch(() => {
    throw new Error(`master stderr lacks ${what}:\n${master.stderr()}`);
  });
}

masterTest("failed requests: client and master messages", async (kind, t) => {
  const sshd = await startMasterSshd();
  // LogLevel INFO for the master (the test config says ERROR): refused channel opens are
  // logged at INFO.
  const master = await startMaster(kind, sshd, { args: ["-o", "LogLevel=INFO"] });
  const busy = freePort();
  const release = occupy(busy);
  const closed = freePort();
  try {
    for (const client of CLIENTS) {
      // OpenSSH's master closes the channel before its "subsystem request failed" is written
      // (a silent 255); ours writes the line first, as plain-mode ssh tells why.
      const said = kind === "stock" ? "" : "subsystem request failed\r\n";
      await t.step(`[${client}] an unknown subsystem: 255, and why on ours`, async () => {
        const r = await muxRun(client, master, ["-s", "x", "no-such-subsystem"]);
        assertEquals([r.code, r.out, r.err], [255, "", said]);
      });
    }

    await t.step("-tt with stdin from /dev/null: the master says tcgetattr failed", async () => {
      const r = await muxRun("ssh", master, ["-tt", "x", "exit 3"]);
      assertEquals(r.code, 3, r.err);
      await masterSaid(
        master,
        "mux_master_process_new_session: tcgetattr: Inappropriate ioctl for device\r\n",
      );
    });

    await t.step("-O forward that cannot bind: the master names the forward", async () => {
      const cases: [string, string][] = [
        [`-L${busy}:127.0.0.1:${closed}`, `local forward LOCALHOST:${busy} -> 127.0.0.1:${closed}`],
        [`-D${busy}`, `dynamic forward LOCALHOST:${busy} -> *`],
        [
          `-L${sshd.dir}/no/such/dir/s:127.0.0.1:${closed}`,
          `local forward ${sshd.dir}/no/such/dir/s:-2 -> 127.0.0.1:${closed}`,
        ],
      ];
      for (const [flag, named] of cases) {
        const r = await master.control("forward", [flag]);
        assertEquals(r.code, 255, r.err);
        await masterSaid(master, `mux_master_process_open_fwd: requested ${named} failed\r\n`);
      }
    });

    await t.step("-O forward -R the server refuses: the master logs the reason", async () => {
      const r = await master.control("forward", [`-R${busy}:127.0.0.1:${closed}`]);
      assertEquals(r.code, 255, r.err);
      await masterSaid(
        master,
        `mux_confirm_remote_forward: remote port forwarding failed for listen port ${busy}\r\n`,
      );
    });

    await t.step("-W to a closed port: the master logs the refused channel", async () => {
      const before = master.stderr().length;
      const r = await muxRun("ssh", master, ["-W", `127.0.0.1:${closed}`, "x"]);
      assertEquals(r.code, 255, r.err);
      await waitFor("refusal logged", () => master.stderr().length > before, 10_000)
        .catch(() => {});
      assertMatch(
        master.stderr().slice(before),
        /^channel \d+: open failed: connect failed: Connection refused\r$/m,
      );
    });
  } finally {
    release();
    await master.stop();
    await sshd.stop();
  }
});
