// Bad local input, side by side with the stock ssh: stdin that fails to read, key files that
// cannot be loaded (a 0644 copy before the good key, garbage, a directory), an -E file that
// cannot be opened, a config file with binary garbage, a master speaking another mux version,
// and a failure at -vvv: same status as ssh, ssh's message, no stack trace, no raw ESC.

import { assert, assertEquals, assertMatch, assertStringIncludes } from "@std/assert";
import { startSshd } from "../helpers/sshd.ts";
import { assertClean, both } from "../helpers/hostile.ts";
import { run, sshmuxPath } from "../helpers/run.ts";

Deno.test("bad local input on a good server: sshmux's status and messages match ssh's", async (t) => {
  const sshd = await startSshd();
  const base = ["-F", sshd.config, "-o", "LogLevel=INFO"];
  try {
    await t.step(
      "stdin that fails to read (a directory) is EOF: the remote command ends",
      async () => {
        const runWithDirStdin = (bin: string) =>
          run("bash", [
            "-c",
            `exec "$0" "$@" < /`,
            bin,
            ...base,
            "x",
            "cat; echo after-eof",
          ], { timeoutMs: 90_000 });
        const [ssh, ours] = await Promise.all([
          runWithDirStdin("ssh"),
          runWithDirStdin(sshmuxPath()),
        ]);
        assertEquals([ssh.code, ssh.out], [0, "after-eof\n"], ssh.err);
        assertEquals([ours.code, ours.out], [0, "after-eof\n"], ours.err);
        assertClean(ours, "stdin EISDIR");
      },
    );

    await t.step("-i a 0644 copy, then the good key: warned, skipped, logged in", async () => {
      const copy = `${sshd.dir}/id_copy`;
      Deno.copyFileSync(sshd.clientKey, copy);
      Deno.chmodSync(copy, 0o644);
      const { ssh, ours } = await both([...base, "-i", copy, "-i", sshd.clientKey, "x", "echo ok"]);
      for (const [who, r] of [["ssh", ssh], ["sshmux", ours]] as const) {
        assertEquals([r.code, r.out], [0, "ok\n"], `${who}: ${r.err}`);
        assertStringIncludes(r.err, `Load key "${copy}": bad permissions`, who);
      }
      assertClean(ours, "bad copy");
    });

    await t.step("key files that hold no key are named with 'Load key \"PATH\": ...'", async () => {
      const garbage = `${sshd.dir}/id_garbage`;
      Deno.writeFileSync(garbage, Uint8Array.from({ length: 300 }, (_, i) => (i * 37 + 11) & 0xff));
      Deno.chmodSync(garbage, 0o600);
      const truncated = `${sshd.dir}/id_truncated`;
      Deno.writeTextFileSync(truncated, Deno.readTextFileSync(sshd.clientKey).slice(0, 200));
      Deno.chmodSync(truncated, 0o600);
      const dir = `${sshd.dir}/id_dir`;
      Deno.mkdirSync(dir, { mode: 0o700 });
      // The configured good key comes after: both log in after naming the bad file.
      for (const bad of [garbage, truncated, dir]) {
        const { ssh, ours } = await both([...base, "-i", bad, "x", "echo ok"]);
        for (const [who, r] of [["ssh", ssh], ["sshmux", ours]] as const) {
          assertEquals([r.code, r.out], [0, "ok\n"], `${who} ${bad}: ${r.err}`);
          assertStringIncludes(r.err, `Load key "${bad}": `, `${who} ${bad}`);
        }
        assertClean(ours, bad);
      }
    });

    await t.step(
      "a failure at -vvv is reported without a JavaScript stack, in one line",
      async () => {
        const args = [
          ...base,
          "-vvv",
          "-o",
          "KexAlgorithms=diffie-hellman-group14-sha1",
          "x",
          "true",
        ];
        const { ssh, ours } = await both(args);
        assertEquals([ssh.code, ours.code], [255, 255]);
        const negotiate = (s: string) =>
          s.split("\n").filter((l) => /^Unable to negotiate/.test(l));
        assertEquals(negotiate(ours.err), negotiate(ssh.err));
        assertEquals(negotiate(ours.err).length, 1, ours.err);
        assertClean(ours, "-vvv failure");
      },
    );
  } finally {
    await sshd.stop();
  }
});

Deno.test("-E into a missing directory: ssh's 'Couldn't open logfile' and exit 1", async () => {
  const { ssh, ours } = await both(["-F", "/dev/null", "-E", "/nonexistent/dir/log", "x", "true"]);
  const want = "Couldn't open logfile /nonexistent/dir/log: No such file or directory\n";
  assertEquals([ssh.code, ssh.err], [1, want]);
  assertEquals([ours.code, ours.err], [1, want]);
});

Deno.test("config files with binary garbage: ssh's verdict and message class, escaped", async () => {
  const dir = Deno.makeTempDirSync({ prefix: "sshmux-garbage-" });
  try {
    const files: [string, Uint8Array][] = [
      // Not a keyword: "Bad configuration option".
      ["escape", Uint8Array.from([..."Host *\n  \x1b[31mPort 22\n"].map((c) => c.charCodeAt(0)))],
      // Bytes that are not UTF-8 in the keyword.
      ["high", Uint8Array.from([0x71, 0xd9, 0x02, 0x1c, 0xb5, 0x87, 0x0a])],
      // A NUL ends a line for ssh (C strings): this file is fine.
      ["nul", new TextEncoder().encode("Host *\n\0\x01junk\xff\n  Port 2222\0junk\n")],
    ];
    for (const [name, bytes] of files) {
      const path = `${dir}/${name}`;
      Deno.writeFileSync(path, bytes);
      const { ssh, ours } = await both(["-F", path, "-G", "x"]);
      const ctx = `${name}\nssh: ${ssh.err}\nsshmux: ${ours.err}`;
      assertEquals(ours.code, ssh.code, ctx);
      if (ssh.code !== 0) {
        assertMatch(ssh.err, /line 1: Bad configuration option|line \d+: /, ctx);
        const cls = /line (\d+): Bad configuration option/.exec(ssh.err);
        if (cls) assertStringIncludes(ours.err, cls[0], ctx);
        assertStringIncludes(ours.err, "terminating, 1 bad configuration options", ctx);
      } else {
        const port = (s: string) => /^port (\d+)$/m.exec(s)?.[1];
        assertEquals(port(ours.out), port(ssh.out), ctx);
      }
      assertClean(ours, name);
    }
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("a master whose HELLO has another version: ssh's message, then a direct connection", async () => {
  const sshd = await startSshd();
  const dir = Deno.makeTempDirSync({ prefix: "sshmux-muxver-" });
  const path = `${dir}/ctl`;
  const listener = Deno.listen({ transport: "unix", path });
  const serving = (async () => {
    for await (const conn of listener) {
      // u32 length 8, u32 MUX_MSG_HELLO (1), u32 version 5; then hang up.
      await conn.write(Uint8Array.of(0, 0, 0, 8, 0, 0, 0, 1, 0, 0, 0, 5)).catch(() => 0);
      await new Promise((r) => setTimeout(r, 200));
      try {
        conn.close();
      } catch { /* closed */ }
    }
  })().catch(() => {});
  try {
    const { ssh, ours } = await both([
      "-F",
      sshd.config,
      "-o",
      "LogLevel=INFO",
      "-S",
      path,
      "x",
      "echo ok",
    ]);
    for (const [who, r] of [["ssh", ssh], ["sshmux", ours]] as const) {
      assertEquals([r.code, r.out], [0, "ok\n"], `${who}: ${r.err}`);
      assertStringIncludes(r.err, "Unsupported multiplexing protocol version 5 (expected 4)", who);
    }
    assert(!/^\s+at /m.test(ours.err), ours.err);
  } finally {
    listener.close();
    await serving;
    await sshd.stop();
    Deno.removeSync(dir, { recursive: true });
  }
});
