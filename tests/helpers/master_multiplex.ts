// OpenSSH's regress/multiplex.sh (rev 1.41), step by step, against a master of either kind, with
// a stock `ssh` (or sshmux) as the client. Registered by master_multiplex_test.ts (client ssh)
// and master_multiplex_sshmux_client_test.ts (client sshmux). Step numbers follow
// ../../shared/reference/openssh-mux.md §6.1.
//
// Steps 4 and 9 run as multiplex.sh runs them: once as a passenger and once with -Oproxy
// (MUX_C_PROXY: the client speaks SSH itself over the master's connection).
//
// Left out on purpose:
// - steps 15 and 18 (`-O conninfo`): that command needs an OpenSSH 10.3+ client (we have 9.2).

import { assert, assertEquals, assertMatch } from "@std/assert";
import {
  type ClientKind,
  clientLine,
  clientProgram,
  type MasterKind,
  muxRun,
  pathExists,
  q,
  startMaster,
  startMasterSshd,
} from "./master.ts";
import {
  banner,
  equalBytes,
  fetchTcp,
  fetchUnix,
  payloadServer,
  randomBytes,
  refuses,
} from "./net_probe.ts";
import { run, sh, waitFor } from "./run.ts";
import { freePort, type Sshd } from "./sshd.ts";

const cmp = async (a: string, b: string) => (await run("cmp", [a, b])).code;

export async function multiplexScenarios(
  kind: MasterKind,
  client: ClientKind,
  t: Deno.TestContext,
): Promise<void> {
  const sshd = await startMasterSshd();
  // Step 1: the master as multiplex.sh starts it (`ssh -Nn2 -MS$CTL -oSendEnv=_XXX_TEST`).
  const master = await startMaster(kind, sshd, { args: ["-n", "-o", "SendEnv=_XXX_TEST"] });
  const ssh = (args: string[], opts?: Parameters<typeof muxRun>[3]) =>
    muxRun(client, master, args, opts);
  const prog = clientProgram(client);
  // sshmux's client asks sshmux's master for a server round trip and reports it after ssh's
  // line (roundtrip@sshmux); every other pairing prints exactly ssh's line.
  const checkText = (pid: number) =>
    kind === "sshmux" && client === "sshmux"
      ? new RegExp(`^Master running \\(pid=${pid}\\)\r\nServer answered in \\d+ ms\r\n$`)
      : new RegExp(`^Master running \\(pid=${pid}\\)\r\n$`);
  const data = `${sshd.dir}/data.bin`;
  await sh(`head -c ${21 * 1024 * 1024 + 4321} /dev/urandom > ${data}`);
  try {
    await t.step("1. -O check: the master is up and reports the pid that was started", async () => {
      const r = await master.control("check", [], client);
      assertEquals(r.code, 0, r.err);
      assertMatch(r.err, checkText(master.pid));
      assertEquals(r.out, "");
      // Without -f the master runs in the process that was started (Net::OpenSSH checks this).
      assertEquals(master.pid, master.child.pid);
      // The socket is the user's alone (umask 0177 when bound).
      const st = Deno.lstatSync(master.ctl);
      assert(st.isSocket, "ControlPath is a socket");
      assertEquals(st.mode! & 0o777, 0o600);
    });

    await t.step(
      "2. SendEnv: a variable the master's SendEnv matches reaches the remote",
      async () => {
        const body = 'test X"$_XXX_TEST" = X"blah"';
        const yes = await ssh(["-oSendEnv=_XXX_TEST", "x", "sh"], {
          env: { _XXX_TEST: "blah" },
          stdin: body,
        });
        assertEquals(yes.code, 0, yes.err);
        // Control: without the client's SendEnv nothing is sent and the same test fails.
        const no = await ssh(["x", "sh"], { env: { _XXX_TEST: "blah" }, stdin: body });
        assertEquals(no.code, 1, no.err);
      },
    );

    await t.step("3. SetEnv: the client's SetEnv reaches the remote", async () => {
      const r = await ssh(["-oSetEnv=_XXX_TEST=foo", "x", "sh"], {
        stdin: 'test X"$_XXX_TEST" = X"foo" && printf %s "$_XXX_TEST"',
      });
      assertEquals([r.code, r.out], [0, "foo"], r.err);
      // A name the master's SendEnv does not match is dropped by the master (OpenSSH filters
      // client env through the master's SendEnv).
      const other = await ssh([
        "-oSetEnv=_XXX_TEST_OTHER=bar",
        "x",
        'printf %s "${_XXX_TEST_OTHER-unset}"',
      ]);
      assertEquals(other.out, "unset");
    });

    await t.step(
      "4. bulk download (`-S$CTL` and `-S $CTL`, then -Oproxy) is byte-exact",
      async () => {
        for (const mode of ["", "-Oproxy "]) {
          for (const sArg of [`-S${q(master.ctl)}`, `-S ${q(master.ctl)}`]) {
            const copy = `${sshd.dir}/copy.bin`;
            const r = await sh(
              `${q(prog)} ${mode}-F ${q(sshd.config)} ${sArg} x cat ${q(data)} > ${q(copy)}`,
              { timeoutMs: 120_000 },
            );
            assertEquals(r.code, 0, `${mode}${sArg}: ${r.err}`);
            assertEquals(await cmp(data, copy), 0, `cmp after ${mode}${sArg}`);
            Deno.removeSync(copy);
          }
        }
      },
    );

    await t.step("5. sftp over the master: get and put are byte-exact", async () => {
      const got = `${sshd.dir}/sftp-get.bin`;
      const put = `${sshd.dir}/sftp-put.bin`;
      const r = await run("sftp", [
        "-S",
        prog,
        "-F",
        sshd.config,
        `-oControlPath=${master.ctl}`,
        "-b",
        "-",
        "otherhost",
      ], { stdin: `get ${data} ${got}\nput ${data} ${put}\n`, timeoutMs: 120_000 });
      assertEquals(r.code, 0, r.err);
      assertEquals(await cmp(data, got), 0);
      assertEquals(await cmp(data, put), 0);
      Deno.removeSync(got);
      Deno.removeSync(put);
    });

    await t.step("6. scp over the master (sftp protocol and legacy -O): both ways", async () => {
      for (const legacy of [[], ["-O"]]) {
        const down = `${sshd.dir}/scp-down.bin`;
        const up = `${sshd.dir}/scp-up.bin`;
        const base = ["-S", prog, ...legacy, "-F", sshd.config, `-oControlPath=${master.ctl}`];
        const d = await run("scp", [...base, `otherhost:${data}`, down], { timeoutMs: 120_000 });
        assertEquals(d.code, 0, d.err);
        assertEquals(await cmp(data, down), 0, `scp ${legacy} download`);
        const u = await run("scp", [...base, data, `otherhost:${up}`], { timeoutMs: 120_000 });
        assertEquals(u.code, 0, u.err);
        assertEquals(await cmp(data, up), 0, `scp ${legacy} upload`);
        Deno.removeSync(down);
        Deno.removeSync(up);
      }
    });

    const payload = randomBytes(3 * 1024 * 1024 + 17);

    await t.step("7. -O forward -L (TCP) carries data byte-exact", async () => {
      const p1 = freePort();
      const server = payloadServer(Deno.listen({ hostname: "127.0.0.1", port: p1 }), payload);
      const p2 = freePort();
      const spec = `127.0.0.1:${p2}:127.0.0.1:${p1}`;
      try {
        const f = await ssh(["-O", "forward", `-L${spec}`, "otherhost"]);
        assertEquals([f.code, f.out, f.err], [0, "", ""]);
        assert(equalBytes(await fetchTcp(p2), payload), "data through -L");
        const c = await ssh(["-O", "cancel", `-L${spec}`, "otherhost"]);
        assertEquals(c.code, 0, c.err);
      } finally {
        await server.close();
      }
    });

    await t.step("8. -O forward -L then -R over unix sockets chains byte-exact", async () => {
      const u1 = `${sshd.dir}/unix-1.fwd`;
      const u2 = `${sshd.dir}/unix-2.fwd`;
      const u3 = `${sshd.dir}/unix-3.fwd`;
      const server = payloadServer(Deno.listen({ transport: "unix", path: u1 }), payload);
      try {
        const l = await ssh(["-O", "forward", `-L${u2}:${u1}`, "otherhost"]);
        assertEquals(l.code, 0, l.err);
        const r = await ssh(["-O", "forward", `-R${u3}:${u2}`, "otherhost"]);
        assertEquals(r.code, 0, r.err);
        // The server binds u3 when it handles the global request: poll for the file.
        await waitFor("remote unix listener", () => pathExists(u3));
        assert(equalBytes(await fetchUnix(u3), payload), "data through -L and -R unix");
        assertEquals((await ssh(["-O", "cancel", `-R${u3}:${u2}`, "otherhost"])).code, 0);
        assertEquals((await ssh(["-O", "cancel", `-L${u2}:${u1}`, "otherhost"])).code, 0);
      } finally {
        await server.close();
        for (const p of [u1, u2, u3]) removeQuietly(p);
      }
    });

    for (const mode of [[], ["-Oproxy"]]) {
      const how = mode.length ? " (-Oproxy)" : "";
      await t.step(`9a. exit status 0/1/4/5/44 comes back${how}`, async () => {
        const got = await Promise.all(
          [0, 1, 4, 5, 44].map(async (s) => (await ssh([...mode, "otherhost", `exit ${s}`])).code),
        );
        assertEquals(got, [0, 1, 4, 5, 44]);
      });

      await t.step(
        `9b. exit status survives the remote closing stdout/stderr early (-n)${how}`,
        async () => {
          const got = await Promise.all([0, 1, 4, 5, 44].map(async (s) =>
            (await ssh([
              "-n",
              ...mode,
              "otherhost",
              `exec sh -c 'sleep 1; exec > /dev/null 2>&1; sleep 1; exit ${s}'`,
            ])).code
          ));
          assertEquals(got, [0, 1, 4, 5, 44]);
        },
      );
    }

    await t.step("10. -O check", async () => {
      const r = await ssh(["-Ocheck", "otherhost"]);
      assertEquals(r.code, 0, r.err);
      assertMatch(r.err, checkText(master.pid));
    });

    await t.step("11. -O forward -L P:localhost:PORT, then -O cancel closes it", async () => {
      const p = freePort();
      const spec = `${p}:localhost:${sshd.port}`;
      const f = await ssh(["-Oforward", `-L${spec}`, "otherhost"]);
      assertEquals([f.code, f.out], [0, ""], f.err);
      assertEquals((await direct(sshd, p)).code, 0, "ssh through the forward");
      const c = await ssh(["-Ocancel", `-L${spec}`, "otherhost"]);
      assertEquals(c.code, 0, c.err);
      assertEquals((await direct(sshd, p)).code, 255, "the forward is closed after cancel");
    });

    await t.step("12. -O forward -R P:localhost:PORT, then -O cancel closes it", async () => {
      const p = freePort();
      const spec = `${p}:localhost:${sshd.port}`;
      const f = await ssh(["-Oforward", `-R${spec}`, "otherhost"]);
      assertEquals([f.code, f.out], [0, ""], f.err);
      assertEquals((await direct(sshd, p)).code, 0, "ssh through the remote forward");
      const c = await ssh(["-Ocancel", `-R${spec}`, "otherhost"]);
      assertEquals(c.code, 0, c.err);
      // The cancel is a global request the master sends on: poll until the server acted on it.
      await waitFor("remote listener closed", async () => (await direct(sshd, p)).code === 255);
    });

    await t.step("13. -O forward -L unix-path:localhost:PORT, then -O cancel", async () => {
      const path = `${sshd.dir}/unix-l.fwd`;
      const spec = `${path}:localhost:${sshd.port}`;
      const f = await ssh(["-Oforward", `-L${spec}`, "otherhost"]);
      assertEquals(f.code, 0, f.err);
      const connect = () => Deno.connect({ transport: "unix", path });
      assertEquals(await banner(connect), "SSH-2.0-", "sshd's banner through the forward");
      const c = await ssh(["-Ocancel", `-L${spec}`, "otherhost"]);
      assertEquals(c.code, 0, c.err);
      assert(await refuses(connect), "the unix forward is closed after cancel");
      removeQuietly(path);
    });

    await t.step("14. -O forward -R unix-path:localhost:PORT, then -O cancel", async () => {
      const path = `${sshd.dir}/unix-r.fwd`;
      const spec = `${path}:localhost:${sshd.port}`;
      const f = await ssh(["-Oforward", `-R${spec}`, "otherhost"]);
      assertEquals(f.code, 0, f.err);
      await waitFor("remote unix listener", () => pathExists(path));
      const connect = () => Deno.connect({ transport: "unix", path });
      assertEquals(await banner(connect), "SSH-2.0-", "sshd's banner through the remote forward");
      const c = await ssh(["-Ocancel", `-R${spec}`, "otherhost"]);
      assertEquals(c.code, 0, c.err);
      await waitFor("remote unix listener closed", () => refuses(connect));
    });

    // 15. -O conninfo: needs an OpenSSH 10.3+ client; not possible with 9.2.

    await t.step("16. -O exit: the master exits and removes its socket", async () => {
      const r = await ssh(["-Oexit", "otherhost"]);
      assertEquals([r.code, r.out, r.err], [0, "", "Exit request sent.\r\n"]);
      await master.waitGone();
      const st = await master.status;
      // OpenSSH's -N master exits 255 after -O exit (no session of its own, so no status).
      assertEquals(st.code, 255, master.stderr());
      assertEquals(pathExists(master.ctl), false, "socket removed");
    });
  } finally {
    await master.stop();
  }

  try {
    await t.step("17. restart with compression, curve25519-sha256 and aes128-ctr", async () => {
      // The server accepts nothing else, so the session proves the master negotiated them
      // (the -O conninfo check of step 18 needs a 10.3+ client).
      const strict = await startMasterSshd({
        sshdConfig: ["KexAlgorithms curve25519-sha256", "Ciphers aes128-ctr", "Compression yes"],
        clientConfig: ["Compression yes", "KexAlgorithms curve25519-sha256", "Ciphers aes128-ctr"],
      });
      const m = await startMaster(kind, strict, { args: ["-n", "-o", "SendEnv=_XXX_TEST"] });
      try {
        const copy = `${strict.dir}/copy.bin`;
        const r = await sh(`${clientLine(client, m)} otherhost cat ${q(data)} > ${q(copy)}`, {
          timeoutMs: 120_000,
        });
        assertEquals(r.code, 0, r.err);
        assertEquals(await cmp(data, copy), 0);
        const e = await muxRun(client, m, ["otherhost", "exit 44"]);
        assertEquals(e.code, 44);
      } finally {
        await m.stop();
        await strict.stop();
      }
    });

    await t.step(
      "19. -O stop with a live session: it finishes, then the master exits",
      async () => {
        const m = await startMaster(kind, sshd, { args: ["-n", "-o", "SendEnv=_XXX_TEST"] });
        try {
          const marker = `${sshd.dir}/stop-started`;
          const go = `${sshd.dir}/stop-go`;
          // The session runs until the test says so (bounded), so -O stop surely finds it live.
          const session = muxRun(client, m, [
            "otherhost",
            `touch ${marker}; i=0; while [ ! -e ${go} ] && [ $i -lt 1200 ]; do sleep 0.05; ` +
            `i=$((i+1)); done; echo done; exit 5`,
          ]);
          await waitFor("session running", () => pathExists(marker));
          const r = await m.control("stop", [], client);
          assertEquals([r.code, r.out, r.err], [0, "", "Stop listening request sent.\r\n"]);
          assertEquals(pathExists(m.ctl), false, "socket removed right away");
          assert(m.alive(), "the master waits for its session");
          Deno.writeTextFileSync(go, "");
          const s = await session;
          assertEquals([s.out, s.code], ["done\n", 5], s.err);
          await m.waitGone();
          assertEquals((await m.status).code, 255);
        } finally {
          await m.stop();
        }
      },
    );
  } finally {
    await sshd.stop();
  }
}

/** A direct stock ssh connection to 127.0.0.1:port (through a forward), no multiplexing. */
function direct(sshd: Sshd, port: number) {
  return run("ssh", [
    "-F",
    sshd.config,
    "-p",
    `${port}`,
    "-o",
    "ControlPath=none",
    "-o",
    "ConnectTimeout=10",
    "otherhost",
    "true",
  ]);
}

function removeQuietly(path: string): void {
  try {
    Deno.removeSync(path);
  } catch { /* not there */ }
}
