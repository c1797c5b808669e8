// sshmux as the mux client (`ssh -S` drop-in) against a real OpenSSH master: sessions, exit
// codes, environment, stdio separation, bulk data both ways, ttys, concurrency, fd hygiene.
import { assertEquals, assertMatch } from "@std/assert";
import { startSshd } from "../helpers/sshd.ts";
import { startStockMaster } from "../helpers/stock_master.ts";
import { run, type RunOptions, sh, signalledRun, sshmuxPath, waitFor } from "../helpers/run.ts";

const SSHMUX = sshmuxPath();

Deno.test("mux client sessions against a stock OpenSSH master", async (t) => {
  const sshd = await startSshd();
  const master = await startStockMaster(sshd);
  const mux = (args: string[], opts?: RunOptions) =>
    run(SSHMUX, ["-F", sshd.config, "-S", master.ctl, ...args], opts);
  try {
    await t.step("-O check prints the master pid on stderr, also with -q", async () => {
      for (const extra of [[], ["-q"]]) {
        const r = await mux([...extra, "-O", "check", "x"]);
        assertEquals(r.code, 0, r.err);
        assertEquals(r.err, `Master running (pid=${master.pid})\r\n`);
        assertEquals(r.out, "");
      }
    });

    await t.step("exit codes 0/1/4/5/44 come back", async () => {
      const results = await Promise.all(
        [0, 1, 4, 5, 44].map(async (s) => [s, (await mux(["x", `exit ${s}`])).code]),
      );
      for (const [s, code] of results) assertEquals(code, s);
    });

    await t.step("exit codes survive an early close of stdout/stderr (-n)", async () => {
      const results = await Promise.all([0, 1, 4, 5, 44].map(async (s) => {
        const r = await mux([
          "-n",
          "x",
          `exec sh -c 'sleep 1; exec >/dev/null 2>&1; sleep 1; exit ${s}'`,
        ]);
        return [s, r.code];
      }));
      for (const [s, code] of results) assertEquals(code, s);
    });

    await t.step("stdout and stderr are kept apart, exit status with them", async () => {
      const r = await mux(["x", "echo out; echo err >&2; exit 3"]);
      assertEquals(r.out, "out\n");
      assertEquals(r.err, "err\n");
      assertEquals(r.code, 3);
    });

    await t.step("stdin reaches the remote command", async () => {
      const r = await mux(["x", "tr a-z A-Z"], { stdin: "hello through mux\n" });
      assertEquals(r.out, "HELLO THROUGH MUX\n");
      assertEquals(r.code, 0);
    });

    await t.step("-n gives the remote command an empty stdin", async () => {
      const r = await mux(["-n", "x", "wc -c"], { stdin: "this must not arrive\n" });
      assertEquals(r.out.trim(), "0");
    });

    await t.step(
      "SendEnv passes a matching variable (the master has SendEnv _XXX_TEST)",
      async () => {
        const env = { _XXX_TEST: "blah" };
        const cmd = 'test X"$_XXX_TEST" = X"blah"';
        const yes = await mux(["-o", "SendEnv=_XXX_TEST", "x", cmd], { env });
        assertEquals(yes.code, 0, yes.err);
        // Without our SendEnv nothing is sent, so the same test fails remotely.
        const no = await mux(["x", cmd], { env });
        assertEquals(no.code, 1);
      },
    );

    await t.step("SetEnv reaches the remote", async () => {
      const r = await mux(["-o", "SetEnv=_XXX_TEST=foo", "x", 'printf %s "$_XXX_TEST"']);
      assertEquals(r.out, "foo");
      assertEquals(r.code, 0);
    });

    const data = `${sshd.dir}/data.bin`;
    await sh(`head -c ${21 * 1024 * 1024} /dev/urandom > ${data}`);

    await t.step("a 21 MiB download is byte-exact", async () => {
      const copy = `${sshd.dir}/down.bin`;
      const r = await sh(
        `'${SSHMUX}' -F ${sshd.config} -S ${master.ctl} x 'cat ${data}' > ${copy}`,
      );
      assertEquals(r.code, 0, r.err);
      assertEquals((await run("cmp", [data, copy])).code, 0);
      Deno.removeSync(copy);
    });

    await t.step("a 21 MiB upload is byte-exact", async () => {
      const copy = `${sshd.dir}/up.bin`;
      const r = await sh(
        `'${SSHMUX}' -F ${sshd.config} -S ${master.ctl} x 'cat > ${copy}' < ${data}`,
      );
      assertEquals(r.code, 0, r.err);
      assertEquals((await run("cmp", [data, copy])).code, 0);
      Deno.removeSync(copy);
    });

    await t.step("-tt gives the remote a pty; -T does not", async () => {
      // The test config says LogLevel ERROR; ssh prints its closing line only at INFO and up.
      const tt = await mux(["-o", "LogLevel=INFO", "-tt", "x", "tty"]);
      assertMatch(tt.out, /^\/dev\/pts\/\d+\r?\n$/);
      assertEquals(tt.code, 0);
      assertEquals(tt.err, "Shared connection to 127.0.0.1 closed.\r\n");
      const quiet = await mux(["-q", "-tt", "x", "tty"]);
      assertMatch(quiet.out, /^\/dev\/pts\/\d+/);
      assertEquals(quiet.err, "");
      const notty = await mux(["-T", "x", "tty"]);
      assertEquals(notty.out, "not a tty\n");
      assertEquals(notty.code, 1);
    });

    await t.step("-t under a local pty: remote stty size matches the local window", async () => {
      const inner =
        `stty rows 33 cols 77; '${SSHMUX}' -F ${sshd.config} -S ${master.ctl} -t x 'stty size; exit 7'; echo "rc=$?"`;
      const r = await inPty(inner);
      assertMatch(r.out, /33 77/);
      assertMatch(r.out, /rc=7/);
      // Raw mode was restored: the shell after us still translates \n to \r\n (OPOST on).
      assertMatch(r.out, /rc=7\r\n/);
    });

    await t.step("SIGWINCH is relayed to the master: the remote sees the new size", async () => {
      // The inner shell has no job control, so the background client gets the pty explicitly.
      // The remote command's marker file says the session is up (our handlers are installed
      // when SESSION_OPENED arrives, which precedes the command's start).
      const marker = `${sshd.dir}/winch-started`;
      const inner = [
        "stty rows 10 cols 20",
        `'${SSHMUX}' -F ${sshd.config} -S ${master.ctl} -t x 'touch ${marker}; sleep 1.5; stty size' </dev/tty & p=$!`,
        `while [ ! -e ${marker} ]; do sleep 0.05; done`,
        "sleep 0.2",
        "stty rows 30 cols 90",
        "kill -WINCH $p",
        "wait $p",
        'echo "rc=$?"',
      ].join("; ");
      const r = await inPty(inner);
      assertMatch(r.out, /30 90/);
      assertMatch(r.out, /rc=0/);
    });

    await t.step("SIGTERM: the client exits 255 and the tty leaves raw mode", async () => {
      const inner = [
        `'${SSHMUX}' -F ${sshd.config} -S ${master.ctl} -t x 'touch ${sshd.dir}/term-started; sleep 5' </dev/tty & p=$!`,
        `while [ ! -e ${sshd.dir}/term-started ]; do sleep 0.05; done`,
        "kill -TERM $p",
        "wait $p",
        'echo "rc=$?"',
        "stty -a | tr ' ' '\\n' | grep -x -e icanon -e -icanon -e echo -e -echo | tr '\\n' ' '",
      ].join("; ");
      const r = await inPty(inner);
      assertMatch(r.out, /rc=255/);
      assertMatch(r.out, /(^|\s)icanon echo(\s|$)/, r.out);
    });

    await t.step(
      "signals without a tty: the same exit and output as ssh's mux client",
      async () => {
        // ssh's mux client ends on HUP/INT/TERM even when they were ignored, and leaves QUIT
        // alone (mux.c installs no handler for it): an ignored QUIT must not end us either.
        const signalled = (prog: string, sig: Deno.Signal, ignore: boolean) =>
          signalledRun(
            [
              prog,
              "-F",
              sshd.config,
              "-S",
              master.ctl,
              "x",
              "echo started; sleep 2; echo finished",
            ],
            sig,
            ignore,
          );
        const cases: [Deno.Signal, boolean][] = [
          ["SIGHUP", false],
          ["SIGHUP", true],
          ["SIGTERM", false],
          ["SIGQUIT", true],
        ];
        for (const [sig, ignore] of cases) {
          const [ours, theirs] = await Promise.all([
            signalled(SSHMUX, sig, ignore),
            signalled("ssh", sig, ignore),
          ]);
          assertEquals(ours, theirs, `${sig}${ignore ? " (ignored)" : ""}`);
        }
        assertEquals(await signalled(SSHMUX, "SIGQUIT", true), [0, "started\nfinished\n"]);
      },
    );

    await t.step("raw mode: ^C typed locally reaches the remote, not our process", async () => {
      const marker = `${sshd.dir}/intr-started`;
      const remote = `trap 'echo INTERRUPTED; exit 3' INT; touch ${marker}; sleep 20 & wait`;
      const r = await inPty(
        `'${SSHMUX}' -F ${sshd.config} -S ${master.ctl} -tt x "${remote}"; echo "rc=$?"`,
        { marker, keys: "\x03" },
      );
      assertMatch(r.out, /INTERRUPTED/);
      assertMatch(r.out, /rc=3/);
    });

    await t.step("escape ~. (handled by the master) ends the session: 255", async () => {
      const marker = `${sshd.dir}/escape-started`;
      const r = await inPty(
        `'${SSHMUX}' -F ${sshd.config} -S ${master.ctl} -tt x 'touch ${marker}; sleep 20'; echo "rc=$?"`,
        { marker, keys: "\r~." },
      );
      assertMatch(r.out, /rc=255/);
    });

    await t.step(
      "-N over mux matches ssh: the protocol has no -N, the master starts a shell",
      async () => {
        const r = await mux(["-N", "x"], { stdin: "echo SHELL_RAN\n" });
        assertEquals([r.out, r.code], ["SHELL_RAN\n", 0]);
      },
    );

    await t.step(
      "a reader that stops early (| head -1) ends the session like ssh: no hang",
      async () => {
        const line = `'${SSHMUX}' -F ${sshd.config} -S ${master.ctl} x yes | head -1; ` +
          `echo "rc=\${PIPESTATUS[0]}"`;
        const r = await sh(line, { timeoutMs: 20_000 });
        const stock = await sh(
          `ssh -F ${sshd.config} -S ${master.ctl} x yes | head -1; echo "rc=\${PIPESTATUS[0]}"`,
          { timeoutMs: 20_000 },
        );
        assertEquals(r.out, stock.out);
        assertMatch(r.out, /^y\nrc=\d+\n$/);
      },
    );

    await t.step("8 parallel sessions", async () => {
      const rs = await Promise.all(
        Array.from({ length: 8 }, (_, i) => mux(["x", `echo session-${i}; exit ${i}`])),
      );
      rs.forEach((r, i) => {
        assertEquals(r.out, `session-${i}\n`);
        assertEquals(r.code, i);
      });
    });

    await t.step("30 sequential sessions", async () => {
      for (let i = 0; i < 30; i++) {
        const r = await mux(["x", `echo ${i}`]);
        assertEquals(r.out, `${i}\n`);
        assertEquals(r.code, 0);
      }
    });

    await t.step("fd hygiene: -n's /dev/null is not kept, stdio is not duplicated", async () => {
      // Deno itself holds some fds (its own /dev/null, dups of stdout/stderr, caches), so a
      // client with -n must hold exactly what the same client without -n holds.
      const links = async (extra: string[], marker: string) => {
        const child = new Deno.Command(SSHMUX, {
          args: ["-F", sshd.config, "-S", master.ctl, ...extra, "x", `touch ${marker}; sleep 2`],
          stdin: "piped",
          stdout: "piped",
          stderr: "piped",
        }).spawn();
        try {
          await waitFor("session started", () => exists(marker));
          const stdinPipe = Deno.readLinkSync(`/proc/${child.pid}/fd/0`);
          const all = [...Deno.readDirSync(`/proc/${child.pid}/fd`)].map((e) => {
            try {
              return Deno.readLinkSync(`/proc/${child.pid}/fd/${e.name}`);
            } catch {
              return "";
            }
          });
          await child.stdin.close();
          const res = await child.output();
          assertEquals(res.code, 0);
          return { all, stdinPipe };
        } finally {
          try {
            child.kill();
          } catch { /* exited */ }
        }
      };
      const plain = await links([], `${sshd.dir}/fd-plain`);
      const nulled = await links(["-n"], `${sshd.dir}/fd-null`);
      const count = (l: string[], what: string) => l.filter((x) => x === what).length;
      assertEquals(count(nulled.all, "/dev/null"), count(plain.all, "/dev/null"), `${nulled.all}`);
      assertEquals(nulled.all.length, plain.all.length, `-n: ${nulled.all}\nplain: ${plain.all}`);
      // The stdin pipe we passed is held once (fd 0), never duplicated by us.
      assertEquals(count(plain.all, plain.stdinPipe), 1, `${plain.all}`);
    });
  } finally {
    await master.stop();
    await sshd.stop();
  }
});

/**
 * Runs a shell command line on a fresh pty (script(1)). script's own stdin stays open (a pipe we
 * never write to): at EOF on it, script types ^D into the pty, which would race with the session.
 */
async function inPty(
  inner: string,
  typeAfter?: { marker: string; keys: string },
): Promise<{ out: string; code: number }> {
  const child = new Deno.Command("script", {
    args: ["-qec", inner, "/dev/null"],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const timer = setTimeout(() => {
    try {
      child.kill("SIGKILL");
    } catch { /* gone */ }
  }, 30_000);
  try {
    if (typeAfter) {
      await waitFor("remote marker", () => exists(typeAfter.marker));
      const w = child.stdin.getWriter();
      await w.write(new TextEncoder().encode(typeAfter.keys));
      w.releaseLock();
    }
    const res = await child.output();
    return { out: new TextDecoder().decode(res.stdout), code: res.code };
  } finally {
    clearTimeout(timer);
    await child.stdin.close().catch(() => {});
  }
}

function exists(p: string): boolean {
  try {
    Deno.statSync(p);
    return true;
  } catch {
    return false;
  }
}
