// Mux over stdio (issue #12 item 7): `sshmux -M -S - host` speaks PROTOCOL.mux on its own
// stdin/stdout, so an embedding program needs no socket in the file system. The program here
// (tests/helpers/stdio_mux_peer.ts) does HELLO, a few plain requests, then PROXY, and runs two
// sessions at once over the one pipe against a real sshd, byte-exact.
import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import { run, sshmuxPath } from "../helpers/run.ts";
import { startMasterSshd } from "../helpers/master.ts";
import { startStdioMaster } from "../helpers/stdio_mux_peer.ts";
import { newSessionRequest } from "../helpers/raw_mux_client.ts";
import { Session } from "../../lib/ssh/session/session.ts";
import type { SshConnection } from "../../lib/ssh/connection/connection.ts";
import { REASON_NO_FD_PASSING } from "../../lib/mux/reasons.ts";

const SSHMUX = sshmuxPath();

/** `cat` on the server: sends `data`, reads the echo back, returns it and the exit status. */
async function echo(conn: SshConnection, data: Uint8Array) {
  const s = await Session.openChannel(conn, { tty: false });
  const replies = s.sendRequests({ kind: "exec", command: "cat" });
  assert(await replies.start, "exec cat accepted");
  const ch = s.channel;
  const writing = (async () => {
    for (let off = 0; off < data.length; off += 50_000) {
      await ch.write(data.subarray(off, off + 50_000));
    }
    await ch.sendEof();
  })();
  const parts: Uint8Array[] = [];
  let n = 0;
  for (let c = await ch.read(); c !== null; c = await ch.read()) {
    parts.push(c.slice());
    n += c.length;
  }
  await writing;
  const out = new Uint8Array(n);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return { out, exit: await s.exit };
}

function randomBytes(n: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let off = 0; off < n; off += 65536) crypto.getRandomValues(b.subarray(off, off + 65536));
  return b;
}

Deno.test("master over stdio: HELLO, requests, PROXY, two sessions at once byte-exact", async () => {
  const sshd = await startMasterSshd();
  const before = new Set([...Deno.readDirSync(sshd.dir)].map((e) => e.name));
  const m = await startStdioMaster(SSHMUX, ["-M", "-S", "-", "-F", sshd.config, "x"]);
  try {
    const names = m.extensions.map(([n]) => n);
    assert(names.includes("info") && names.includes("list@sshmux"), names.join(","));
    assertEquals(await m.request({ kind: "AliveCheck", rid: 1 }), {
      kind: "Alive",
      rid: 1,
      pid: m.child.pid,
    });
    // No fds travel over a pipe: a session request is refused and the connection stays.
    const refused = await m.request(newSessionRequest(2, "true", ""));
    assertEquals(refused, { kind: "Failure", rid: 2, reason: REASON_NO_FD_PASSING });
    const info = await m.request({ kind: "ExtInfoRequest", rid: 3, name: "connection" });
    assert(info.kind === "ExtInfoReply" && info.status === 1, JSON.stringify(info));

    const conn = await m.proxy();
    const a = randomBytes(1536 * 1024);
    const b = randomBytes(1024 * 1024 + 7);
    const [ra, rb] = await Promise.all([echo(conn, a), echo(conn, b)]);
    assertEquals([ra.out.length, ra.exit.status], [a.length, 0]);
    assertEquals([rb.out.length, rb.exit.status], [b.length, 0]);
    assert(ra.out.every((x, i) => x === a[i]), "session A byte-exact");
    assert(rb.out.every((x, i) => x === b[i]), "session B byte-exact");
    // And a third, after those ended, still on the same pipe.
    const s = await Session.open(conn, { kind: "exec", command: "exit 3" });
    assertEquals((await s.exit).status, 3);
    const status = await m.finish();
    assertEquals(status.code, 0, m.stderr());
    // Nothing was bound in the file system for it.
    const after = [...Deno.readDirSync(sshd.dir)].map((e) => e.name).filter((n) => !before.has(n));
    assertEquals(after, []);
  } finally {
    await m.finish();
    await sshd.stop();
  }
});

Deno.test("master over stdio: refused without -M, with a command, -f or -O", async () => {
  const sshd = await startMasterSshd();
  try {
    const base = ["-F", sshd.config, "-S", "-"];
    const cases: [string[], string][] = [
      [[...base, "x"], "needs -M"],
      [["-M", ...base, "x", "uname"], "no remote command"],
      [["-M", "-f", "-N", ...base, "x"], "-f is not possible"],
      [[...base, "-O", "check", "x"], "-O commands need a ControlPath socket"],
    ];
    for (const [args, want] of cases) {
      const r = await run(SSHMUX, args, { timeoutMs: 30_000 });
      assertEquals(r.code, 255, `${args.join(" ")}: ${r.err}`);
      assertStringIncludes(r.err, `ControlPath - (mux over stdin/stdout): ${want}`);
    }
  } finally {
    await sshd.stop();
  }
});
