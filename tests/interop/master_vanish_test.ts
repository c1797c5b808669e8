// Control clients of our master that go away at the worst moment: right after passing the fds
// of a NEW_SESSION or NEW_STDIO_FWD (before SESSION_OPENED can reach them), and a stock client
// SIGKILLed in the middle of its session. Each must cost the master nothing once gone: no fd
// and no session left behind (a leftover control connection would also keep ControlPersist
// from ever seeing the master idle), while a bulk session of another client stays byte-exact.
import { assertEquals } from "@std/assert";
import { openDevNull } from "../../ffi/mod.ts";
import { fdCount, run, sh, waitFor } from "../helpers/run.ts";
import { newSessionRequest, RawMuxClient } from "../helpers/raw_mux_client.ts";
import { startSshd } from "../helpers/sshd.ts";
import { startMaster } from "../helpers/master.ts";

Deno.test("master: clients that vanish mid-request leave nothing behind", async (t) => {
  const sshd = await startSshd({ sshdConfig: ["MaxSessions 30"] });
  const master = await startMaster("sshmux", sshd);
  const ssh = (args: string[]) => run("ssh", ["-F", sshd.config, "-S", master.ctl, ...args]);
  const data = `${sshd.dir}/data.bin`;
  const copy = `${sshd.dir}/copy.bin`;
  try {
    await sh(`head -c ${21 * 1024 * 1024} /dev/urandom > ${data}`);
    assertEquals((await ssh(["x", "true"])).code, 0);
    // Counted once the warm-up's control connection is surely closed on the master's side;
    // compared with <= below, so a connection still closing then cannot fail the test.
    await new Promise((r) => setTimeout(r, 500));
    const fdsBefore = fdCount(master.pid);
    const bulk = sh(
      `ssh -F ${sshd.config} -S ${master.ctl} x 'cat ${data}' | (sleep 1; cat) > ${copy}`,
    );

    await t.step("NEW_SESSION, its three fds, then gone before SESSION_OPENED", async () => {
      for (let i = 0; i < 4; i++) {
        const c = new RawMuxClient(master.ctl);
        await c.hello();
        await c.send(newSessionRequest(1, "sleep 1"));
        const fds = [openDevNull(false), openDevNull(true), openDevNull(true)];
        for (const fd of fds) await c.sendFds([fd]);
        fds.forEach((fd) => fd.close());
        c.close();
      }
    });

    await t.step("NEW_STDIO_FWD, its two fds, then gone before SESSION_OPENED", async () => {
      for (let i = 0; i < 3; i++) {
        const c = new RawMuxClient(master.ctl);
        await c.hello();
        await c.send({
          kind: "NewStdioFwd",
          rid: 2,
          reserved: new Uint8Array(0),
          connectHost: "127.0.0.1",
          connectPort: sshd.port,
        });
        const fds = [openDevNull(false), openDevNull(true)];
        for (const fd of fds) await c.sendFds([fd]);
        fds.forEach((fd) => fd.close());
        c.close();
      }
    });

    await t.step(
      "a stock client SIGKILLed while its session runs (the remote ends 3 s later)",
      async () => {
        const child = new Deno.Command("ssh", {
          args: ["-F", sshd.config, "-S", master.ctl, "x", "echo started; sleep 3"],
          stdout: "piped",
          stderr: "null",
        }).spawn();
        const reader = child.stdout.getReader();
        const first = await reader.read();
        assertEquals(new TextDecoder().decode(first.value), "started\n");
        child.kill("SIGKILL");
        await child.status;
        reader.releaseLock();
        await child.stdout.cancel();
      },
    );

    await t.step("no fd and no session outlived its client; the bulk is byte-exact", async () => {
      await waitFor("master fds back", () => fdCount(master.pid) <= fdsBefore, 10_000)
        .catch(() => {
          throw new Error(`master holds ${fdCount(master.pid)} fds, ${fdsBefore} before`);
        });
      const list = await run(master.program, [
        "-F",
        sshd.config,
        "-S",
        master.ctl,
        "-O",
        "list",
        "x",
      ]);
      assertEquals(list.code, 0, list.err);
      // The header lines only: "Master pid ..." and the column titles.
      assertEquals(list.out.trim().split("\n").length, 2, list.out);
      const r = await bulk;
      assertEquals(r.code, 0, r.err);
      assertEquals((await run("cmp", [data, copy])).code, 0);
      assertEquals((await ssh(["-O", "check", "x"])).code, 0);
    });
  } finally {
    await master.stop();
    await sshd.stop();
  }
});
