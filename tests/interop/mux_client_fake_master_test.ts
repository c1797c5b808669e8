// sshmux's mux client against scripted masters on a real unix socket, for what a stock 9.2
// master cannot show: a 10.3-style master with the `info` extension (-O conninfo/channels),
// unknown hello extensions, refusals of a session (ssh's message, then a direct connection with
// the real exit code), a spurious MUX_S_OK, replies with the wrong request id, an ALIVE pid
// that is negative as a pid_t (no SIGWINCH relay), and corrupt or cut-off ALIVE replies (each
// held to what the stock ssh does with the same bytes).
import { assert, assertEquals, assertMatch } from "@std/assert";
import { startSshd } from "../helpers/sshd.ts";
import { run, sshmuxPath } from "../helpers/run.ts";
import { decodeMux } from "../../lib/mux/decode.ts";
import { encodeMux } from "../../lib/mux/encode.ts";
import type { MuxReply, MuxRequest } from "../../lib/mux/messages.ts";

const SSHMUX = sshmuxPath();

/** Exact reads over a Deno unix connection (fd-carrier bytes are read and dropped). */
class Peer {
  private buf = new Uint8Array(0);
  constructor(readonly conn: Deno.Conn) {}
  async exact(n: number): Promise<Uint8Array | null> {
    while (this.buf.length < n) {
      // Ask for exactly what is missing: a read that stops short at an SCM_RIGHTS boundary
      // looks "drained" to Deno's edge-triggered loop, which then never wakes for the rest.
      const chunk = new Uint8Array(n - this.buf.length);
      const got = await this.conn.read(chunk).catch(() => null);
      if (got === null) return null;
      const next = new Uint8Array(this.buf.length + got);
      next.set(this.buf);
      next.set(chunk.subarray(0, got), this.buf.length);
      this.buf = next;
    }
    const out = this.buf.slice(0, n);
    this.buf = this.buf.slice(n);
    return out;
  }
  async next(): Promise<MuxRequest | null> {
    const hdr = await this.exact(4);
    if (hdr === null) return null;
    const len = new DataView(hdr.buffer).getUint32(0);
    const body = await this.exact(len);
    if (body === null) return null;
    const msg = decodeMux(body, "toMaster");
    // The passed fds ride on one NUL byte each; their fds are discarded by this plain read.
    const carriers = msg.kind === "NewSession" ? 3 : msg.kind === "NewStdioFwd" ? 2 : 0;
    for (let i = 0; i < carriers; i++) await this.exact(1);
    return msg;
  }
  send(m: MuxReply): Promise<number> {
    return this.conn.write(encodeMux(m));
  }
}

/** Serves each connection with `script` on a fresh socket path; returns the path and a stop. */
function fakeMaster(dir: string, script: (p: Peer) => Promise<void>) {
  const path = `${dir}/fake-${Math.random().toString(36).slice(2, 8)}`;
  const listener = Deno.listen({ transport: "unix", path });
  const errors: unknown[] = [];
  const done = (async () => {
    for await (const conn of listener) {
      const peer = new Peer(conn);
      await script(peer).catch((e) => errors.push(e));
      try {
        conn.close();
      } catch { /* closed */ }
    }
  })().catch(() => {});
  return {
    path,
    errors,
    async stop() {
      listener.close();
      await done;
    },
  };
}

async function hello(p: Peer, extensions: [string, string][] = []): Promise<void> {
  const h = await p.next();
  assertEquals(h, { kind: "Hello", version: 4, extensions: [] });
  await p.send({ kind: "Hello", version: 4, extensions });
}

Deno.test("mux client against scripted masters", async (t) => {
  const sshd = await startSshd();
  const mux = (ctl: string, args: string[]) => run(SSHMUX, ["-F", sshd.config, "-S", ctl, ...args]);
  try {
    await t.step(
      "a 10.3-style master: -O conninfo / -O channels print its text on stdout",
      async () => {
        const text = {
          connection: "Connection information for x pid 7\r\n  tcp 127.0.0.1:1 -> 127.0.0.1:2\r\n",
          channels:
            "The following connections are open:\r\n  #2 client-session (t4 nr0 i0/0 o0/0)\r\n",
        };
        const m = fakeMaster(sshd.dir, async (p) => {
          await hello(p, [["info", "0"], ["x-future@example.com", "whatever"]]);
          const req = await p.next();
          if (req?.kind !== "ExtInfoRequest") throw new Error(`got ${req?.kind}`);
          const message = text[req.name as keyof typeof text];
          await p.send({ kind: "ExtInfoReply", rid: req.rid, status: 1, message });
        });
        try {
          const c = await mux(m.path, ["-O", "conninfo", "x"]);
          assertEquals([c.code, c.out, c.err], [0, text.connection, ""]);
          const ch = await mux(m.path, ["-O", "channels", "x"]);
          assertEquals([ch.code, ch.out], [0, text.channels]);
          assertEquals(m.errors, []);
        } finally {
          await m.stop();
        }
      },
    );

    await t.step("unknown hello extensions are ignored: -O check works", async () => {
      const m = fakeMaster(sshd.dir, async (p) => {
        await hello(p, [["x-a", ""], ["x-b", "1"]]);
        const req = await p.next();
        if (req?.kind !== "AliveCheck") throw new Error(`got ${req?.kind}`);
        await p.send({ kind: "Alive", rid: req.rid, pid: 31337 });
      });
      try {
        const r = await mux(m.path, ["-O", "check", "x"]);
        assertEquals([r.code, r.err], [0, "Master running (pid=31337)\r\n"]);
      } finally {
        await m.stop();
      }
    });

    const refuse = (reply: (rid: number) => MuxReply) =>
      fakeMaster(sshd.dir, async (p) => {
        await hello(p);
        const alive = await p.next();
        if (alive?.kind !== "AliveCheck") throw new Error(`got ${alive?.kind}`);
        await p.send({ kind: "Alive", rid: alive.rid, pid: 4321 });
        const req = await p.next();
        if (req?.kind !== "NewSession") throw new Error(`got ${req?.kind}`);
        await p.send(reply(req.rid));
      });

    await t.step(
      "session refused: ssh's message, then a direct connection with the real status",
      async () => {
        const m = refuse((rid) => ({ kind: "PermissionDenied", rid, reason: "nope" }));
        try {
          const r = await mux(m.path, ["x", "echo direct; exit 9"]);
          assertEquals(r.err, "Master refused session request: nope\r\n");
          assertEquals([r.out, r.code], ["direct\n", 9]);
        } finally {
          await m.stop();
        }
      },
    );

    await t.step(
      "a spurious MUX_S_OK after NEW_SESSION: unexpected response, direct instead",
      async () => {
        const m = refuse((rid) => ({ kind: "Ok", rid }));
        try {
          const r = await mux(m.path, ["x", "exit 6"]);
          assertMatch(r.err, /unexpected response from master 0x80000001/);
          assertEquals(r.code, 6);
        } finally {
          await m.stop();
        }
      },
    );

    await t.step("ConnectTimeout bounds the wait for a silent master's hello", async () => {
      const m = fakeMaster(sshd.dir, async (p) => {
        await p.next(); // the client's hello; never answer it
        await p.exact(1 << 20); // until the client hangs up
      });
      try {
        const started = Date.now();
        const c = await mux(m.path, ["-o", "ConnectTimeout=1", "-O", "check", "x"]);
        assertEquals(c.code, 255);
        assertMatch(c.err, /master hello exchange failed/);
        assert(Date.now() - started < 10_000);
        // A session gives up on the master and connects directly, as ssh does.
        const s = await mux(m.path, ["-o", "ConnectTimeout=1", "x", "exit 8"]);
        assertEquals(s.code, 8, s.err);
      } finally {
        await m.stop();
      }
    });

    await t.step(
      "ALIVE with a pid that is negative as a pid_t: SIGWINCH is not relayed (ssh: > 1)",
      async () => {
        // A process group of its own that notes every SIGWINCH it gets. kill() takes
        // 2^32 - its id as minus its id, i.e. that group: nothing else can be hit.
        const mark = `${sshd.dir}/winch-seen`;
        const group = new Deno.Command("setsid", {
          args: [
            "bash",
            "-c",
            `trap 'echo winch >> ${mark}' WINCH; read -r _ _ _ _ pg _ < /proc/$$/stat; ` +
            `echo $pg; while :; do sleep 0.05; done`,
          ],
          stdout: "piped",
        }).spawn();
        const reader = group.stdout.getReader();
        const pgid = Number(new TextDecoder().decode((await reader.read()).value).trim());
        assert(pgid > 1, `process group ${pgid}`);
        let opened!: () => void;
        const sessionOpen = new Promise<void>((r) => opened = r);
        let finish!: () => void;
        const finished = new Promise<void>((r) => finish = r);
        const m = fakeMaster(sshd.dir, async (p) => {
          await hello(p);
          const alive = await p.next();
          if (alive?.kind !== "AliveCheck") throw new Error(`got ${alive?.kind}`);
          await p.send({ kind: "Alive", rid: alive.rid, pid: 2 ** 32 - pgid });
          const req = await p.next();
          if (req?.kind !== "NewSession") throw new Error(`got ${req?.kind}`);
          await p.send({ kind: "SessionOpened", rid: req.rid, sid: 3 });
          opened();
          await finished;
          await p.send({ kind: "ExitMessage", sid: 3, exitValue: 7 });
        });
        const client = new Deno.Command(SSHMUX, {
          args: ["-F", sshd.config, "-S", m.path, "x", "true"],
          stdin: "null",
          stdout: "null",
          stderr: "null",
        }).spawn();
        try {
          await sessionOpen;
          // Several times: the first may come before the client listens for it.
          for (let i = 0; i < 8; i++) {
            await new Promise((r) => setTimeout(r, 100));
            client.kill("SIGWINCH");
          }
          await new Promise((r) => setTimeout(r, 300));
          finish();
          assertEquals((await client.status).code, 7);
          const seen = await Deno.readTextFile(mark).catch(() => "");
          assertEquals(seen, "", "SIGWINCH reached process group " + pgid);
        } finally {
          finish();
          reader.releaseLock();
          group.kill("SIGKILL");
          await group.status;
          await group.stdout.cancel();
          await m.stop();
        }
      },
    );

    await t.step(
      "a corrupt reply to ALIVE is fatal as for ssh; a master gone mid-reply is left for direct",
      async () => {
        const frames: [string, Uint8Array, number, RegExp][] = [
          // u32 len 8, MUX_C_ALIVE_CHECK (a request type, not a reply), rid 0.
          ["another type", Uint8Array.of(0, 0, 0, 8, 0x10, 0, 0, 4, 0, 0, 0, 0), 255, /alive/],
          // MUX_S_ALIVE without its pid.
          ["no pid", Uint8Array.of(0, 0, 0, 8, 0x80, 0, 0, 5, 0, 0, 0, 0), 255, /alive/],
          // A length no master sends (ssh: "reserve: insufficient buffer space").
          ["4 GiB frame", Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0x80, 0, 0, 5), 255, /./],
          // Half a reply, then the master is gone: both connect directly instead.
          [
            "EOF mid-reply",
            Uint8Array.of(0, 0, 0, 12, 0x80, 0, 0, 5, 0),
            0,
            /master alive request failed/,
          ],
        ];
        for (const [what, bytes, status, says] of frames) {
          const m = fakeMaster(sshd.dir, async (p) => {
            await hello(p);
            await p.next();
            await p.conn.write(bytes);
            await new Promise((r) => setTimeout(r, 200));
          });
          try {
            for (const prog of ["ssh", SSHMUX]) {
              const r = await run(prog, ["-F", sshd.config, "-S", m.path, "x", "echo direct"]);
              const ctx = `${what}: ${prog}: ${r.err}`;
              assertEquals(r.code, status, ctx);
              assertEquals(r.out, status === 0 ? "direct\n" : "", ctx);
              assertMatch(r.err, says, ctx);
            }
          } finally {
            await m.stop();
          }
        }
      },
    );

    await t.step("a reply to the wrong request id is fatal (out of sequence), 255", async () => {
      const m = fakeMaster(sshd.dir, async (p) => {
        await hello(p);
        const alive = await p.next();
        if (alive?.kind !== "AliveCheck") throw new Error(`got ${alive?.kind}`);
        await p.send({ kind: "Alive", rid: alive.rid + 5, pid: 4321 });
      });
      try {
        const r = await mux(m.path, ["x", "true"]);
        assertEquals(r.code, 255);
        assertMatch(r.err, /out of sequence reply: my id 0 theirs 5/);
      } finally {
        await m.stop();
      }
    });
  } finally {
    await sshd.stop();
  }
});
