// Terminal sessions and dead servers against a real sshd: -tt under a pty (`script`) passes
// the window size, -T refuses a tty; a frozen server (SIGSTOP) ends in exit 255 within the
// ServerAlive window, a killed one at once.

import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import { run, sh, sshmuxPath } from "../helpers/run.ts";
import { type Sshd, startSshd } from "../helpers/sshd.ts";

/** Pids of the sshd processes serving connections (children and grandchildren of the listener). */
async function connectionPids(sshd: Sshd): Promise<number[]> {
  const r = await sh(
    `for p in $(pgrep -P ${sshd.pid}); do echo $p; pgrep -P $p; done`,
  );
  return r.out.split(/\s+/).filter(Boolean).map(Number);
}

function killAll(pids: number[], sig: Deno.Signal): void {
  for (const p of pids) {
    try {
      Deno.kill(p, sig);
    } catch { /* gone */ }
  }
}

/** Starts `sshmux x 'echo ready; exec sleep SECS'` and waits for "ready" on its stdout. */
async function startSession(sshd: Sshd, extra: string[], secs: string) {
  const child = new Deno.Command(sshmuxPath(), {
    args: ["-F", sshd.config, ...extra, "x", `echo ready; exec sleep ${secs}`],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const errText = new Response(child.stderr).text();
  const reader = child.stdout.getReader();
  let seen = "";
  while (!seen.includes("ready")) {
    const { value, done } = await reader.read();
    if (done) break;
    seen += new TextDecoder().decode(value);
  }
  const drained = (async () => {
    while (!(await reader.read()).done) { /* discard */ }
  })();
  assertStringIncludes(seen, "ready");
  return {
    async result() {
      const status = await child.status;
      await drained;
      return { code: status.code, err: await errText };
    },
    async cleanup() {
      try {
        child.kill("SIGKILL");
      } catch { /* exited */ }
      await child.status;
      await drained.catch(() => {});
      await errText.catch(() => {});
      // The remote sleep may outlive a killed connection: its command line is unique.
      await sh(`pkill -KILL -f '^sleep ${secs}$'`);
    },
  };
}

Deno.test("tty sessions and dead servers", async (t) => {
  const sshd = await startSshd();
  const sshmux = `${sshmuxPath()} -F ${sshd.config}`;
  try {
    await t.step("-tt under a pty: stty size comes through pty-req", async () => {
      const r = await sh(
        `script -qec "stty cols 100 rows 30; ${sshmux} -tt x 'stty size; tty'" /dev/null`,
        { timeoutMs: 30_000 },
      );
      assertEquals(r.code, 0, r.out + r.err);
      assertStringIncludes(r.out, "30 100");
      assertStringIncludes(r.out, "/dev/pts/");
    });

    await t.step("SIGTERM during a -tt session: exit 255, terminal modes restored", async () => {
      const d = sshd.dir;
      Deno.writeTextFileSync(
        `${d}/sigterm.sh`,
        [
          `stty -g > ${d}/modes-before`,
          `(sleep 2; kill -TERM $(cat ${d}/mux.pid)) &`,
          `bash -c 'echo $$ > ${d}/mux.pid; exec ${sshmux} -tt x "sleep 31.5"'`,
          `echo rc=$?`,
          `stty -g > ${d}/modes-after`,
        ].join("\n") + "\n",
      );
      const r = await sh(`script -qec "bash ${d}/sigterm.sh" /dev/null`, { timeoutMs: 30_000 });
      await sh(`pkill -KILL -f '^sleep 31.5$'`);
      assertStringIncludes(r.out, "rc=255");
      const before = Deno.readTextFileSync(`${d}/modes-before`);
      const after = Deno.readTextFileSync(`${d}/modes-after`);
      assertEquals(after, before, "stty -g after the session equals before");
    });

    await t.step("-tt with a pipe for stdin still gets a remote tty; -T gets none", async () => {
      const forced = await run(sshmuxPath(), ["-F", sshd.config, "-tt", "x", "tty"]);
      assertEquals(forced.code, 0, forced.err);
      assertStringIncludes(forced.out, "/dev/pts/");
      const none = await run(sshmuxPath(), ["-F", sshd.config, "-T", "x", "tty"]);
      assertEquals(none.code, 1);
      assertStringIncludes(none.out, "not a tty");
    });

    await t.step("frozen server → ServerAlive timeout, exit 255", async () => {
      const s = await startSession(sshd, [
        "-o",
        "ServerAliveInterval=1",
        "-o",
        "ServerAliveCountMax=2",
      ], "61.25");
      let frozen: number[] = [];
      try {
        frozen = await connectionPids(sshd);
        assert(frozen.length > 0, "found the connection's sshd processes");
        const started = Date.now();
        killAll(frozen, "SIGSTOP");
        const { code, err } = await s.result();
        const elapsed = Date.now() - started;
        assertEquals(code, 255, err);
        assertStringIncludes(err, "Timeout, server 127.0.0.1 not responding.");
        assert(elapsed < 8000, `took ${elapsed} ms`);
      } finally {
        killAll(frozen, "SIGKILL");
        await s.cleanup();
      }
    });

    await t.step("killed server connection → 255 at once", async () => {
      const s = await startSession(sshd, [], "61.75");
      try {
        killAll(await connectionPids(sshd), "SIGKILL");
        const { code, err } = await s.result();
        assertEquals(code, 255, err);
      } finally {
        await s.cleanup();
      }
    });
  } finally {
    await sshd.stop();
  }
});
