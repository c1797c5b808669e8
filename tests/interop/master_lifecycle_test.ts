// How a master of each kind starts, lives and ends, with stock ssh and sshmux clients attached:
// -O exit and signals with sessions in flight, the server dying under it, -f, ControlPersist
// (idle expiry; ControlMaster=auto starting a background master and reusing it), a live socket
// never stolen, a ControlPath too long for sun_path.
import { assert, assertEquals, assertMatch, assertNotEquals } from "@std/assert";
import {
  autoMuxArgs,
  checkPid,
  type ClientKind,
  type Master,
  masterArgs,
  masterProgram,
  masterTest,
  muxRun,
  pathExists,
  processAlive,
  q,
  startMaster,
  startMasterSshd,
} from "../helpers/master.ts";
import { run, sh, waitFor } from "../helpers/run.ts";
import type { Sshd } from "../helpers/sshd.ts";

/** Starts one long session per client kind, each touching a marker once it runs. */
async function startSleepers(master: Master, sshd: Sshd, tag: string) {
  const clients: ClientKind[] = ["ssh", "sshmux", "ssh", "sshmux"];
  const sessions = clients.map((client, i) => {
    const marker = `${sshd.dir}/${tag}-${i}`;
    return {
      client,
      marker,
      result: muxRun(client, master, ["x", `touch ${marker}; sleep 60; exit 9`], {
        timeoutMs: 45_000,
      }),
    };
  });
  await waitFor("sessions running", () => sessions.every((s) => pathExists(s.marker)), 30_000);
  return sessions;
}

masterTest("master lifecycle", async (kind, t) => {
  const sshd = await startMasterSshd();
  const program = masterProgram(kind);
  try {
    await t.step("-O exit with sessions in flight: every client exits 255", async () => {
      const m = await startMaster(kind, sshd);
      try {
        const sessions = await startSleepers(m, sshd, "exit");
        const r = await m.control("exit");
        assertEquals([r.code, r.err], [0, "Exit request sent.\r\n"]);
        for (const s of sessions) {
          const res = await s.result;
          assertEquals(res.code, 255, `${s.client}: ${res.err}`);
          assertEquals(res.out, "");
        }
        await m.waitGone();
        assertEquals(pathExists(m.ctl), false, "socket removed");
        assertEquals((await m.status).code, 255);
      } finally {
        await m.stop();
      }
    });

    // What OpenSSH 9.2's -N master exits with when signalled (measured): SIGTERM ends it as a
    // quit request (0), SIGHUP and SIGINT as "killed by signal" (255).
    const signalStatus = { SIGTERM: 0, SIGHUP: 255, SIGINT: 255 } as const;
    for (const sig of ["SIGTERM", "SIGHUP", "SIGINT"] as const) {
      await t.step(`${sig} to the master: sessions end (255), socket removed`, async () => {
        const m = await startMaster(kind, sshd);
        try {
          const sessions = await startSleepers(m, sshd, sig);
          Deno.kill(m.pid, sig);
          for (const s of sessions) assertEquals((await s.result).code, 255, s.client);
          await m.waitGone();
          assertEquals(pathExists(m.ctl), false, "socket removed");
          assertEquals((await m.status).code, signalStatus[sig], m.stderr());
        } finally {
          await m.stop();
        }
      });
    }

    await t.step("-f: backgrounds once the socket is up; $(...) does not hang", async () => {
      const m = await startMaster(kind, sshd, { fork: true });
      try {
        assertEquals((await m.status).code, 0, "the started process exits 0");
        assertNotEquals(m.pid, m.child.pid, "-O check names the background master");
        assert(m.alive());
        const r = await muxRun("ssh", m, ["x", "echo through-f; exit 3"]);
        assertEquals([r.out, r.code], ["through-f\n", 3]);
      } finally {
        await m.stop();
      }
      assertEquals(pathExists(m.ctl), false);
      // Command substitution waits for every writer of its pipe: the background master must
      // not keep the caller's stdout (or stderr) open.
      const ctl = `${sshd.dir}/ctl-subst`;
      const line = `out=$(${q(program)} ${masterArgs(sshd, ctl, { fork: true }).map(q).join(" ")}` +
        ` 2>&1); echo "rc=$? out=[$out]"`;
      const s = await sh(line, { timeoutMs: 30_000 });
      assertEquals(s.out, "rc=0 out=[]\n", s.err);
      const check = await run("ssh", ["-F", sshd.config, "-S", ctl, "-O", "check", "x"]);
      assertEquals(check.code, 0, check.err);
      const pid = checkPid(check.err);
      await run("ssh", ["-F", sshd.config, "-S", ctl, "-O", "exit", "x"]);
      await waitFor("background master gone", () => !processAlive(pid));
    });

    await t.step("ControlPersist=1: lives while a session runs, exits once idle", async () => {
      const m = await startMaster(kind, sshd, { args: ["-o", "ControlPersist=1"] });
      try {
        // ControlPersist backgrounds the master like -f.
        assertEquals((await m.status).code, 0);
        assertNotEquals(m.pid, m.child.pid);
        const r = await muxRun("ssh", m, ["x", "sleep 2; echo still-here"]);
        assertEquals(r.out, "still-here\n", "the session outlived the persist time");
        // Idle now: gone within a few seconds (OpenSSH: ~1-3 s after the last client).
        await m.waitGone(15_000);
        assertEquals(pathExists(m.ctl), false, "socket removed on expiry");
      } finally {
        await m.stop();
      }
    });

    await t.step(
      "ControlMaster=auto + ControlPersist: the first call becomes the master, the next reuse it",
      async () => {
        const ctl = `${sshd.dir}/auto-ctl`;
        const auto = (cmd: string) =>
          run(program, autoMuxArgs(sshd, ctl, "30", cmd), { timeoutMs: 30_000 });
        // A stale socket (bound, nobody listening) at the path is replaced by `auto`.
        await run("python3", ["-c", `import socket; socket.socket(socket.AF_UNIX).bind("${ctl}")`]);
        const first = await auto("echo first; exit 4");
        assertEquals([first.out, first.code], ["first\n", 4], first.err);
        const c1 = await run("ssh", ["-F", sshd.config, "-S", ctl, "-O", "check", "x"]);
        assertEquals(c1.code, 0, "a background master now serves the path");
        const pid = checkPid(c1.err);
        const second = await auto("echo second");
        assertEquals([second.out, second.code], ["second\n", 0], second.err);
        const c2 = await run("ssh", ["-F", sshd.config, "-S", ctl, "-O", "check", "x"]);
        assertEquals(checkPid(c2.err), pid, "the same master was reused");
        const x = await run(program, ["-F", sshd.config, "-S", ctl, "-O", "exit", "x"]);
        assertEquals(x.code, 0, x.err);
        await waitFor("auto master gone", () => !processAlive(pid));
        await waitFor("socket removed", () => !pathExists(ctl));
      },
    );

    await t.step("a live master's socket is never stolen by a second master", async () => {
      const a = await startMaster(kind, sshd);
      const b = new Deno.Command(program, {
        args: masterArgs(sshd, a.ctl, { args: ["-n"] }),
        stdin: "null",
        stdout: "null",
        stderr: "piped",
      }).spawn();
      try {
        // OpenSSH carries on as a plain connection and says so on stderr.
        const reader = b.stderr.getReader();
        let err = "";
        await waitFor("second master's message", async () => {
          const { value, done } = await reader.read();
          if (value) err += new TextDecoder().decode(value);
          return done || err.includes("\n");
        }, 30_000);
        reader.releaseLock();
        assertEquals(err, `ControlSocket ${a.ctl} already exists, disabling multiplexing\r\n`);
        const check = await a.control("check");
        assertEquals(checkPid(check.err), a.pid, "the first master still serves the path");
        const r = await muxRun("ssh", a, ["x", "echo ok"]);
        assertEquals(r.out, "ok\n");
        b.kill("SIGTERM");
        await b.status;
        assert(pathExists(a.ctl), "the loser does not remove the winner's socket");
        assertEquals((await a.control("check")).code, 0);
      } finally {
        try {
          b.kill("SIGKILL");
        } catch { /* exited */ }
        await b.status;
        await b.stderr.cancel().catch(() => {});
        await a.stop();
      }
    });

    await t.step("a ControlPath too long for sun_path: refused, exit 255, no socket", async () => {
      // 95 bytes fit sun_path (108) but not with the 17-byte temporary suffix OpenSSH binds first.
      const dir = Deno.makeTempDirSync({ prefix: "mt-" });
      const ctl = `${dir}/${"c".repeat(95 - dir.length - 1)}`;
      assertEquals(ctl.length, 95);
      try {
        const r = await run(program, masterArgs(sshd, ctl, { args: ["-n"] }), {
          timeoutMs: 30_000,
        });
        assertEquals(r.code, 255, r.err);
        assertMatch(r.err, /too long/);
        assert(r.err.includes(ctl), `the message names the path: ${r.err}`);
        assertEquals([...Deno.readDirSync(dir)].length, 0, "nothing left behind");
      } finally {
        Deno.removeSync(dir, { recursive: true });
      }
    });
  } finally {
    await sshd.stop();
  }

  await t.step("the server dies mid-session: clients 255, master exits, socket gone", async () => {
    const own = await startMasterSshd();
    const m = await startMaster(kind, own);
    try {
      const sessions = await startSleepers(m, own, "killed");
      // Every sshd process of this server (the listener and its per-connection processes),
      // but not the users' commands below them: the sessions must not end on their own.
      const sshds = [...descendants(own.pid), own.pid].filter((p) => comm(p) === "sshd");
      assert(sshds.length >= 2, `the listener and the connection: ${sshds}`);
      for (const pid of sshds) {
        try {
          Deno.kill(pid, "SIGKILL");
        } catch { /* gone */ }
      }
      for (const s of sessions) {
        const res = await s.result;
        assertEquals(res.code, 255, `${s.client}: ${res.err}`);
      }
      await m.waitGone();
      assertEquals(pathExists(m.ctl), false, "socket removed");
      assertEquals((await m.status).code, 255, m.stderr());
    } finally {
      await m.stop();
      await own.stop();
    }
  });
});

/** All descendants of pid (from /proc/<pid>/task/<pid>/children). */
function descendants(pid: number): number[] {
  let kids: number[] = [];
  try {
    kids = Deno.readTextFileSync(`/proc/${pid}/task/${pid}/children`).trim().split(/\s+/)
      .filter((x) => x).map(Number);
  } catch { /* gone */ }
  return kids.flatMap((k) => [...descendants(k), k]);
}

function comm(pid: number): string {
  try {
    return Deno.readTextFileSync(`/proc/${pid}/comm`).trim();
  } catch {
    return "";
  }
}
