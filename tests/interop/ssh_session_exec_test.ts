// Plain mode against a real OpenSSH sshd: `sshmux -F sshd.config x CMD` — exit codes,
// exit-signal, stdout/stderr kept apart, stdin piped through, SendEnv/SetEnv, subsystem, -n/-N.

import { assertEquals, assertStringIncludes } from "@std/assert";
import { run, sh, signalledRun, sshmuxPath } from "../helpers/run.ts";
import { startSshd } from "../helpers/sshd.ts";

Deno.test("plain sessions against OpenSSH sshd", async (t) => {
  const sshd = await startSshd();
  const ssh = (args: string[], opts: Parameters<typeof run>[2] = {}) =>
    run(sshmuxPath(), ["-F", sshd.config, ...args], opts);
  try {
    await t.step("exit codes 0, 1, 44", async () => {
      assertEquals((await ssh(["x", "true"])).code, 0);
      assertEquals((await ssh(["x", "false"])).code, 1);
      const r = await ssh(["x", "exit 44"]);
      assertEquals(r.code, 44, r.err);
    });

    await t.step("killed by a signal → 255, like ssh", async () => {
      const r = await ssh(["x", "kill -TERM $$"]);
      assertEquals(r.code, 255, r.err);
    });

    await t.step(
      "HUP/QUIT end it (and a -M master) with 255; inherited as ignored, ignored, like ssh",
      async () => {
        let n = 0;
        const signalled = (prog: string, master: boolean, sig: Deno.Signal, ignore: boolean) =>
          signalledRun(
            [
              prog,
              "-F",
              sshd.config,
              ...(master ? ["-M", "-S", `${sshd.dir}/sig-${n++}`] : []),
              "x",
              "echo started; sleep 2; echo finished",
            ],
            sig,
            ignore,
          );
        for (const master of [false, true]) {
          await Promise.all(["ssh", sshmuxPath()].map(async (prog) => {
            const what = `${prog}${master ? " -M" : ""}`;
            for (const sig of ["SIGHUP", "SIGQUIT"] as const) {
              const r = await signalled(prog, master, sig, false);
              assertEquals(r, [255, "started\n"], `${what} ${sig}`);
            }
            const ignored = await signalled(prog, master, "SIGHUP", true);
            assertEquals(ignored, [0, "started\nfinished\n"], `${what} with SIGHUP ignored`);
          }));
        }
      },
    );

    await t.step("stdout and stderr kept apart", async () => {
      const r = await ssh(["x", "echo to-out; echo to-err >&2; echo more-out"]);
      assertEquals(r.code, 0, r.err);
      assertEquals(r.out, "to-out\nmore-out\n");
      assertEquals(r.err, "to-err\n");
    });

    await t.step("stdin piped through cat, EOF passed on", async () => {
      const input = "line one\nline two\n".repeat(1000);
      const r = await ssh(["x", "cat; echo done"], { stdin: input });
      assertEquals(r.code, 0, r.err);
      assertEquals(r.out, input + "done\n");
    });

    await t.step("-n: stdin not read, remote sees EOF", async () => {
      const r = await ssh(["-n", "x", "cat; echo eof-seen"], { stdin: "must not arrive\n" });
      assertEquals(r.code, 0, r.err);
      assertEquals(r.out, "eof-seen\n");
    });

    await t.step("SendEnv and SetEnv", async () => {
      const r = await ssh(
        [
          "-o",
          "SendEnv=_XXX_TEST",
          "-o",
          "SetEnv=_XXX_TEST_SET=set-value",
          "x",
          "echo $_XXX_TEST/$_XXX_TEST_SET/${_XXX_TEST_NOT:-unset}",
        ],
        { env: { _XXX_TEST: "from-env", _XXX_TEST_NOT: "x" } },
      );
      assertEquals(r.code, 0, r.err);
      assertEquals(r.out, "from-env/set-value/unset\n");
    });

    await t.step("subsystem (-s sftp) speaks SFTP", async () => {
      // SSH_FXP_INIT version 3 → SSH_FXP_VERSION (type 2). sftp-server exits without flushing
      // when it reads EOF, so stdin stays open until the reply has arrived (up to 30 s): a fixed
      // sleep lost the race on a loaded 2-core machine, where connecting can take 5 s.
      const r = await sh(
        `out=$(mktemp); (printf '\\0\\0\\0\\5\\1\\0\\0\\0\\3'; ` +
          `for i in $(seq 300); do [ -s "$out" ] && break; sleep 0.1; done) | ` +
          `${sshmuxPath()} -F ${sshd.config} -s x sftp > "$out"; rc=$?; od -An -tu1 < "$out"; ` +
          `rm -f "$out"; exit $rc`,
      );
      assertEquals(r.code, 0, r.err);
      const bytes = r.out.trim().split(/\s+/).map(Number);
      assertEquals(bytes[4], 2, `SSH_FXP_VERSION expected, got ${r.out}`);
    });

    await t.step("-A forwards our agent; without -A the remote has none", async () => {
      const agent = await run("ssh-agent", ["-s"]);
      const sock = /SSH_AUTH_SOCK=([^;]+);/.exec(agent.out)?.[1];
      const pid = Number(/SSH_AGENT_PID=(\d+);/.exec(agent.out)?.[1]);
      try {
        const env = { SSH_AUTH_SOCK: sock! };
        assertEquals((await run("ssh-add", ["-q", sshd.clientKey], { env })).code, 0);
        const fwd = await ssh(["-A", "x", "ssh-add -l"], { env });
        assertEquals(fwd.code, 0, fwd.err);
        assertStringIncludes(fwd.out, "sshmux-test (ED25519)");
        const none = await ssh(["-o", "ForwardAgent=no", "x", "ssh-add -l"], { env });
        assertEquals(none.code, 2, none.out + none.err);
      } finally {
        if (pid > 0) Deno.kill(pid, "SIGTERM");
      }
    });

    await t.step("unknown host key → 255 with ssh's message", async () => {
      const r = await run(sshmuxPath(), [
        "-F",
        sshd.config,
        "-o",
        "UserKnownHostsFile=/dev/null",
        "x",
        "true",
      ]);
      assertEquals(r.code, 255);
      assertStringIncludes(r.err, "Host key verification failed.");
    });
  } finally {
    await sshd.stop();
  }
});
