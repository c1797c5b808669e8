// Sessions and forwards through a master of each kind beyond regress/multiplex.sh, first with the
// stock `ssh` as the client, then with sshmux: stdio separation, stdin, uploads, `2>&1 | cat`
// (no hang, pipes left blocking), a stalled reader not stalling others, a signal death, -N,
// -W as a ProxyCommand, -D SOCKS5, -R with port 0, and forwards given on the master's own
// command line.
import { assert, assertEquals, assertMatch, assertNotEquals } from "@std/assert";
import {
  type ClientKind,
  clientLine,
  clientProgram,
  type Master,
  masterTest,
  muxRun,
  q,
  startMaster,
  startMasterSshd,
} from "../helpers/master.ts";
import {
  equalBytes,
  payloadServer,
  randomBytes,
  readAll,
  refuses,
  socks5Connect,
} from "../helpers/net_probe.ts";
import { run, sh, waitFor } from "../helpers/run.ts";
import { freePort, type Sshd } from "../helpers/sshd.ts";

const CLIENTS: ClientKind[] = ["ssh", "sshmux"];
const cmp = async (a: string, b: string) => (await run("cmp", [a, b])).code;

/** O_NONBLOCK in /proc/<pid>/fdinfo "flags:" (octal). */
const O_NONBLOCK = 0o4000;

masterTest("sessions and forwards through the master", async (kind, t) => {
  const sshd = await startMasterSshd();
  const dPort = freePort();
  const lPort = freePort();
  const rPort = freePort();
  const target = freePort();
  const payload = randomBytes(2 * 1024 * 1024 + 3);
  const server = payloadServer(Deno.listen({ hostname: "127.0.0.1", port: target }), payload);
  const master = await startMaster(kind, sshd, {
    args: [
      "-o",
      "SendEnv=_XXX_TEST",
      "-D",
      `127.0.0.1:${dPort}`,
      "-L",
      `127.0.0.1:${lPort}:127.0.0.1:${target}`,
      "-R",
      `127.0.0.1:${rPort}:127.0.0.1:${target}`,
    ],
  });
  const data = `${sshd.dir}/data.bin`;
  await sh(`head -c ${21 * 1024 * 1024 + 99} /dev/urandom > ${data}`);
  try {
    await t.step("-L, -R and -D given on the master's command line carry data", async () => {
      const viaL = await readAll(await Deno.connect({ hostname: "127.0.0.1", port: lPort }));
      assert(equalBytes(viaL, payload), "-L");
      const viaR = await readAll(await Deno.connect({ hostname: "127.0.0.1", port: rPort }));
      assert(equalBytes(viaR, payload), "-R");
      const viaD = await readAll(await socks5Connect(dPort, "127.0.0.1", target));
      assert(equalBytes(viaD, payload), "-D");
    });

    for (const client of CLIENTS) {
      await clientSteps(t, client, master, sshd, data, target, payload);
    }
  } finally {
    await master.stop();
    await server.close();
    await sshd.stop();
  }
});

async function clientSteps(
  t: Deno.TestContext,
  client: ClientKind,
  master: Master,
  sshd: Sshd,
  data: string,
  target: number,
  payload: Uint8Array,
): Promise<void> {
  const ssh = (args: string[], opts?: Parameters<typeof muxRun>[3]) =>
    muxRun(client, master, args, opts);
  const line = clientLine(client, master);
  const prog = clientProgram(client);

  await t.step(`[${client}] stdout, stderr and the exit status are kept apart`, async () => {
    const r = await ssh(["x", "echo out; echo err >&2; exit 3"]);
    assertEquals([r.out, r.err, r.code], ["out\n", "err\n", 3]);
  });

  await t.step(`[${client}] stdin reaches the remote; -n gives it an empty stdin`, async () => {
    const r = await ssh(["x", "tr a-z A-Z"], { stdin: "through the master\n" });
    assertEquals([r.out, r.code], ["THROUGH THE MASTER\n", 0]);
    const n = await ssh(["-n", "x", "wc -c"], { stdin: "must not arrive\n" });
    assertEquals(n.out.trim(), "0");
  });

  await t.step(`[${client}] a 21 MiB upload through stdin is byte-exact`, async () => {
    const copy = `${sshd.dir}/upload-${client}.bin`;
    const r = await sh(`${line} x ${q(`cat > ${copy}`)} < ${q(data)}`, { timeoutMs: 120_000 });
    assertEquals(r.code, 0, r.err);
    assertEquals(await cmp(data, copy), 0);
    Deno.removeSync(copy);
  });

  await t.step(
    `[${client}] \`cmd 2>&1 | cat\` ends, and the shared pipes are left blocking`,
    async () => {
      // stdout and stderr are one pipe (one open file passed twice), stdin another. After the
      // client exits, grep (sharing the same pipes) reports their status flags.
      const r = await sh(
        `printf 'in\\n' | { ${line} x 'cat; echo out; echo err >&2; exit 4' 2>&1; ` +
          `echo "rc=$?"; grep ^flags: /proc/self/fdinfo/0 /proc/self/fdinfo/1; } | cat`,
        { timeoutMs: 30_000 },
      );
      const lines = r.out.split("\n");
      assertEquals(lines.slice(0, 4), ["in", "out", "err", "rc=4"], r.out);
      const flags = [...r.out.matchAll(/fdinfo\/(\d):flags:\s+([0-7]+)/g)];
      assertEquals(flags.length, 2, r.out);
      for (const [, fd, f] of flags) {
        assertEquals(parseInt(f, 8) & O_NONBLOCK, 0, `fd ${fd} left O_NONBLOCK: ${r.out}`);
      }
    },
  );

  await t.step(`[${client}] | head -1 (reader gone early) ends like ssh: no hang`, async () => {
    const r = await sh(`${line} x yes | head -1; echo "rc=\${PIPESTATUS[0]}"`, {
      timeoutMs: 30_000,
    });
    assertMatch(r.out, /^y\nrc=\d+\n$/);
  });

  await t.step(
    `[${client}] a reader that stalls does not stall another session`,
    async () => {
      // Session A's stdout is not read while session B moves 21 MiB; then A is read to the end.
      const stalled = new Deno.Command(prog, {
        args: ["-F", sshd.config, "-S", master.ctl, "x", `cat ${data}`],
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      try {
        const copy = `${sshd.dir}/while-stalled-${client}.bin`;
        const b = await sh(`${line} x ${q(`cat ${data}`)} > ${q(copy)}`, { timeoutMs: 60_000 });
        assertEquals(b.code, 0, b.err);
        assertEquals(await cmp(data, copy), 0);
        Deno.removeSync(copy);
        const a = await stalled.output();
        assertEquals(a.code, 0);
        assert(equalBytes(a.stdout, Deno.readFileSync(data)), "the stalled session's data");
      } finally {
        try {
          stalled.kill("SIGKILL");
        } catch { /* exited */ }
      }
    },
  );

  await t.step(`[${client}] a remote killed by a signal: no exit status, 255`, async () => {
    const r = await ssh(["x", "echo before; kill -9 $$"]);
    assertEquals([r.out, r.code], ["before\n", 255]);
  });

  await t.step(`[${client}] -N over mux runs a shell (the protocol has no -N)`, async () => {
    const r = await ssh(["-N", "x"], { stdin: "echo SHELL_RAN\n" });
    assertEquals([r.out, r.code], ["SHELL_RAN\n", 0]);
  });

  await t.step(`[${client}] -W as another ssh's ProxyCommand`, async () => {
    const proxy = `${line} -W %h:%p x`;
    const r = await run("ssh", ["-F", sshd.config, "-o", `ProxyCommand=${proxy}`, "x", "exit 6"]);
    assertEquals(r.code, 6, r.err);
    const copy = `${sshd.dir}/w-${client}.bin`;
    const big = await sh(
      `ssh -F ${q(sshd.config)} -o ${q(`ProxyCommand=${proxy}`)} x ${q(`cat ${data}`)} > ${
        q(copy)
      }`,
      { timeoutMs: 120_000 },
    );
    assertEquals(big.code, 0, big.err);
    assertEquals(await cmp(data, copy), 0);
    Deno.removeSync(copy);
  });

  await t.step(`[${client}] -W to a TCP port: the bytes arrive exactly`, async () => {
    const r = await ssh(["-W", `127.0.0.1:${target}`, "x"]);
    assertEquals(r.code, 0, r.err);
    assert(equalBytes(r.stdout, payload));
  });

  await t.step(`[${client}] -W to a closed port: the master's refusal, 255`, async () => {
    const r = await ssh(["-W", "127.0.0.1:1", "x"]);
    assertEquals(r.code, 255);
    assertEquals(r.err, "Stdio forwarding request failed: Session open refused by peer\r\n");
  });

  await t.step(`[${client}] -O forward -D: SOCKS5 by address and by name`, async () => {
    const port = freePort();
    const f = await ssh(["-O", "forward", "-D", `127.0.0.1:${port}`, "x"]);
    assertEquals([f.code, f.out, f.err], [0, "", ""]);
    for (const host of ["127.0.0.1", "localhost"]) {
      const got = await readAll(await socks5Connect(port, host, target));
      assert(equalBytes(got, payload), `SOCKS5 to ${host}`);
    }
    const c = await ssh(["-O", "cancel", "-D", `127.0.0.1:${port}`, "x"]);
    assertEquals([c.code, c.err], [0, ""]);
    assert(await refuses(() => Deno.connect({ hostname: "127.0.0.1", port })));
  });

  await t.step(
    `[${client}] -O forward -R 0:...: the allocated port is printed, the same on repeat`,
    async () => {
      const spec = `127.0.0.1:0:127.0.0.1:${target}`;
      const f = await ssh(["-O", "forward", "-R", spec, "x"]);
      assertEquals(f.code, 0, f.err);
      assertMatch(f.out, /^\d+\n$/);
      assertEquals(f.err, "");
      const port = parseInt(f.out, 10);
      assertNotEquals(port, 0);
      const again = await ssh(["-O", "forward", "-R", spec, "x"]);
      assertEquals([again.code, again.out], [0, f.out], again.err);
      const got = await readAll(await Deno.connect({ hostname: "127.0.0.1", port }));
      assert(equalBytes(got, payload), "data through the allocated port");
      const c = await ssh(["-O", "cancel", "-R", spec, "x"]);
      assertEquals(c.code, 0, c.err);
      await waitFor(
        "remote listener closed",
        () => refuses(() => Deno.connect({ hostname: "127.0.0.1", port })),
      );
    },
  );

  await t.step(`[${client}] a forward that cannot bind: the master's reason, 255`, async () => {
    // The sshd's own port is taken, locally and on the server.
    const l = await ssh(["-O", "forward", "-L", `127.0.0.1:${sshd.port}:127.0.0.1:1`, "x"]);
    assertEquals(l.code, 255);
    assertEquals(
      l.err,
      "mux_client_forward: forwarding request failed: Port forwarding failed\r\n" +
        "muxclient: master forward request failed\r\n",
    );
    const r = await ssh(["-O", "forward", "-R", `127.0.0.1:${sshd.port}:127.0.0.1:1`, "x"]);
    assertEquals(r.code, 255);
    assertEquals(
      r.err,
      "mux_client_forward: forwarding request failed: " +
        `remote port forwarding failed for listen port ${sshd.port}\r\n` +
        "muxclient: master forward request failed\r\n",
    );
    const check = await master.control("check");
    assertEquals(check.code, 0, "the master is still up");
  });
}
