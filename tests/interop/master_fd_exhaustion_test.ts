// Our master out of fds: control clients that connect and never speak use up its RLIMIT_NOFILE
// (lowered here with prlimit instead of opening thousands). accept() then fails with EMFILE; the
// master must say so and keep accepting once those clients leave, not stop for good (a later
// `ssh -S` would hang on a socket nobody accepts), and a session already running is untouched.
// Out of fds for the fds a session passes, that session is refused with a reason that says so.
import { assertEquals, assertStringIncludes } from "@std/assert";
import { fdCount, run, sh, waitFor } from "../helpers/run.ts";
import { startSshd } from "../helpers/sshd.ts";
import { startMaster } from "../helpers/master.ts";

/** Connects, retrying while the listen backlog is full (a non-blocking connect says EAGAIN). */
async function connectSilent(path: string): Promise<Deno.Conn> {
  for (let i = 0;; i++) {
    try {
      return await Deno.connect({ transport: "unix", path });
    } catch (e) {
      if (i > 100) throw e;
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}

Deno.test("master: out of fds it says so and accepts again once clients leave", async () => {
  const sshd = await startSshd();
  const master = await startMaster("sshmux", sshd);
  const data = `${sshd.dir}/data.bin`;
  const copy = `${sshd.dir}/copy.bin`;
  const silent: Deno.Conn[] = [];
  try {
    await sh(`head -c ${21 * 1024 * 1024} /dev/urandom > ${data}`);
    assertEquals((await master.control("check")).code, 0);
    // Counted once the warm-up's control connection is surely closed on the master's side;
    // compared with <= below, so a connection still closing then cannot fail the test.
    await new Promise((r) => setTimeout(r, 500));
    const fdsBefore = fdCount(master.pid);
    const bulk = sh(
      `ssh -F ${sshd.config} -S ${master.ctl} x 'cat ${data}' | (sleep 2; cat) > ${copy}`,
    );
    await waitFor("bulk session open", () => fdCount(master.pid) >= fdsBefore + 4);
    // Room for a few more fds only: the silent clients below take them all.
    const lim = await run("prlimit", [
      `--pid=${master.pid}`,
      `--nofile=${fdCount(master.pid) + 8}:`,
    ]);
    assertEquals(lim.code, 0, lim.err);
    for (let i = 0; i < 30; i++) silent.push(await connectSilent(master.ctl));
    await waitFor(
      "EMFILE logged",
      () => master.stderr().includes("Too many open files"),
      10_000,
    );
    // A client arriving now waits; once the silent ones leave it is served.
    const check = master.control("check");
    await new Promise((r) => setTimeout(r, 500));
    for (const c of silent.splice(0)) c.close();
    const r = await Promise.race([
      check,
      new Promise<null>((res) => setTimeout(() => res(null), 15_000)),
    ]);
    assertEquals(r?.code, 0, "-O check was not served after the silent clients left");
    assertStringIncludes(master.stderr(), "mux master: accept failed: accept: Too many open files");
    const b = await bulk;
    assertEquals(b.code, 0, b.err);
    assertEquals((await run("cmp", [data, copy])).code, 0);
    await waitFor("master fds back", () => fdCount(master.pid) <= fdsBefore, 10_000).catch(() => {
      throw new Error(`master holds ${fdCount(master.pid)} fds, ${fdsBefore} before`);
    });
  } finally {
    for (const c of silent) c.close();
    await master.stop();
    await sshd.stop();
  }
});

Deno.test("master: out of fds for a session's passed fds it refuses that session clearly", async () => {
  const sshd = await startSshd();
  const master = await startMaster("sshmux", sshd);
  try {
    assertEquals((await run("ssh", ["-F", sshd.config, "-S", master.ctl, "x", "true"])).code, 0);
    await new Promise((r) => setTimeout(r, 500));
    // Room for the control connection and one passed fd: the second cannot be received.
    const lim = await run("prlimit", [
      `--pid=${master.pid}`,
      `--nofile=${fdCount(master.pid) + 2}:`,
    ]);
    assertEquals(lim.code, 0, lim.err);
    const r = await run("ssh", ["-F", sshd.config, "-S", master.ctl, "x", "echo ran"]);
    // ssh says why and runs the command on a connection of its own, as for any refusal.
    assertEquals([r.code, r.out], [0, "ran\n"], r.err);
    assertStringIncludes(r.err, "session request failed: did not receive file descriptors");
    assertStringIncludes(master.stderr(), "this process is out of fds");
    const back = await run("prlimit", [`--pid=${master.pid}`, "--nofile=4096:"]);
    assertEquals(back.code, 0, back.err);
    const again = await run("ssh", ["-F", sshd.config, "-S", master.ctl, "x", "echo again"]);
    assertEquals([again.code, again.out], [0, "again\n"]);
  } finally {
    await master.stop();
    await sshd.stop();
  }
});
