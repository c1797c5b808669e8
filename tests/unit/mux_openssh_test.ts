// The mux codecs against the real OpenSSH: a fake master built only from lib/mux serves the
// stock `ssh` client (its requests must decode, and re-encode to the same bytes; our replies
// must be understood), and raw requests go to a stock `ssh -M` master (its replies must decode,
// its limits must match ours, proxy framing must carry a real exec). Needs OpenSSH installed:
// fails, never skips, without it.

import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import { run, type RunResult } from "../helpers/run.ts";
import { freePort, startSshd } from "../helpers/sshd.ts";
import { startStockMaster } from "../helpers/stock_master.ts";
import {
  MUX_FWD_DYNAMIC,
  MUX_FWD_LOCAL,
  MUX_FWD_REMOTE,
  MUX_MAX_PACKET,
} from "../../lib/mux/constants.ts";
import { decodeMux } from "../../lib/mux/decode.ts";
import { encodeMux } from "../../lib/mux/encode.ts";
import type { MuxHello, MuxReply, MuxRequest } from "../../lib/mux/messages.ts";
import { readMuxFrame } from "../../lib/mux/framer.ts";
import {
  REASON_PORT_NOT_FORWARDED,
  REASON_UNSUPPORTED_REQUEST,
  remoteForwardFailedReason,
} from "../../lib/mux/reasons.ts";
import { encodeProxyPacket, ProxyFramer } from "../../lib/mux/proxy_framing.ts";
import { WireReader } from "../../lib/wire/reader.ts";
import { WireWriter } from "../../lib/wire/writer.ts";

const TIMEOUT_MS = 15_000;

function withTimeout<T>(p: Promise<T>, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out: ${what}`)), TIMEOUT_MS);
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

/** Exact reads on a Deno connection: never more than asked (passed fds may follow a frame). */
function exactReader(conn: Deno.Conn) {
  return async (n: number): Promise<Uint8Array | null> => {
    const buf = new Uint8Array(n);
    let got = 0;
    while (got < n) {
      const k = await conn.read(buf.subarray(got));
      if (k === null) return buf.subarray(0, got);
      got += k;
    }
    return buf;
  };
}

/** One side of a control connection, speaking only through lib/mux. */
class MuxPeer {
  readonly read: (n: number) => Promise<Uint8Array | null>;
  constructor(readonly conn: Deno.Conn, private readonly direction: "toMaster" | "toClient") {
    this.read = exactReader(conn);
  }
  async recv(): Promise<{ msg: MuxRequest | MuxReply; body: Uint8Array } | null> {
    const body = await withTimeout(readMuxFrame(this.read), "mux frame");
    return body === null ? null : { msg: decodeMux(body, this.direction), body };
  }
  async send(msg: MuxRequest | MuxReply): Promise<void> {
    const frame = encodeMux(msg);
    for (let o = 0; o < frame.length;) o += await this.conn.write(frame.subarray(o));
  }
}

// --- a fake master (lib/mux only) serving the stock ssh client ---------------------------------

interface FakeMasterRun {
  result: RunResult;
  /** Every request received, with its exact body bytes. */
  seen: { msg: MuxRequest; body: Uint8Array }[];
}

/**
 * Runs `ssh -S ctl …` against a fake master that sends `hello`, then answers each request with
 * the messages `answer(request)` lists; "close" in that list hangs up (as a master does after
 * EXIT_MESSAGE or a failed session open).
 */
async function fakeMaster(
  hello: MuxHello,
  answer: (m: MuxRequest) => (MuxReply | "close")[],
  sshArgs: string[],
  env: Record<string, string> = {},
): Promise<FakeMasterRun> {
  const dir = Deno.makeTempDirSync({ prefix: "sshmux-mux-" });
  const ctl = `${dir}/ctl`;
  const listener = Deno.listen({ transport: "unix", path: ctl });
  const seen: FakeMasterRun["seen"] = [];
  const serve = (async () => {
    const conn = await listener.accept();
    const peer = new MuxPeer(conn, "toMaster");
    try {
      await peer.send(hello);
      for (;;) {
        const got = await peer.recv();
        if (got === null) return;
        const msg = got.msg as MuxRequest;
        seen.push({ msg, body: got.body });
        // Passed fds arrive as 1-byte messages right after these requests; reading them
        // without SCM_RIGHTS handling makes the kernel close the fds. One read per byte: recv
        // stops at each fd's message boundary, and a read shorter than its buffer makes Deno's
        // (tokio's) edge-triggered reactor assume the socket drained, so a 3-byte read hangs.
        const fds = msg.kind === "NewSession" ? 3 : msg.kind === "NewStdioFwd" ? 2 : 0;
        for (let i = 0; i < fds; i++) assertEquals([...(await peer.read(1))!], [0]);
        if (msg.kind === "Hello") continue; // ours went out first, as OpenSSH's master does
        for (const r of answer(msg)) {
          if (r === "close") return;
          await peer.send(r);
        }
      }
    } finally {
      conn.close();
    }
  })();
  // Keep a failure of the fake master from escaping before ssh has finished; reported below.
  const served = serve.then(() => null, (e: unknown) => e);
  try {
    const result = await run(
      "ssh",
      ["-F", "/dev/null", "-o", "ControlMaster=no", "-S", ctl, ...sshArgs],
      { env: { TERM: "vt100", ...env }, timeoutMs: TIMEOUT_MS },
    );
    const err = await withTimeout(served, "fake master");
    if (err !== null) {
      throw new Error(`fake master failed (ssh said: ${result.err})`, { cause: err });
    }
    return { result, seen };
  } finally {
    listener.close();
    Deno.removeSync(dir, { recursive: true });
  }
}

const hello92: MuxHello = { kind: "Hello", version: 4, extensions: [] };
const hello103: MuxHello = { kind: "Hello", version: 4, extensions: [["info", "0"]] };

Deno.test("stock ssh vs lib/mux master: a session request decodes byte-exact; exit 42 arrives", async () => {
  const { result, seen } = await fakeMaster(
    hello92,
    (m) => {
      if (m.kind === "AliveCheck") return [{ kind: "Alive", rid: m.rid, pid: 4242 }];
      if (m.kind === "NewSession") {
        return [
          { kind: "SessionOpened", rid: m.rid, sid: 7 },
          { kind: "ExitMessage", sid: 7, exitValue: 42 },
          "close",
        ];
      }
      return ["close"];
    },
    ["-o", "SendEnv=_XXX_TEST", "-o", "SetEnv=FOO=bar", "x", "echo", "hi"],
    { _XXX_TEST: "blah" },
  );
  assertEquals(result.code, 42, result.err);
  assertEquals(seen.map((s) => s.msg.kind), ["Hello", "AliveCheck", "NewSession"]);
  assertEquals(seen[0].msg, hello92);
  assertEquals(seen[1].msg, { kind: "AliveCheck", rid: 0 });
  assertEquals(seen[2].msg, {
    kind: "NewSession",
    rid: 1,
    reserved: new Uint8Array(0),
    wantTty: false,
    wantX11: false,
    wantAgent: false,
    subsystem: false,
    escapeChar: 0x7e,
    term: "vt100",
    command: "echo hi",
    env: ["_XXX_TEST=blah", "FOO=bar"],
  });
  for (const s of seen) assertEquals(encodeMux(s.msg).subarray(4), s.body, s.msg.kind);
});

Deno.test("stock ssh vs lib/mux master: -O check accepts the 10.3 hello with the info extension", async () => {
  const { result, seen } = await fakeMaster(
    hello103,
    (m) => m.kind === "AliveCheck" ? [{ kind: "Alive", rid: m.rid, pid: 4242 }] : ["close"],
    ["-O", "check", "x"],
  );
  assertEquals(result.code, 0, result.err);
  assertStringIncludes(result.err, "Master running (pid=4242)");
  assertEquals(seen.map((s) => s.msg), [hello92, { kind: "AliveCheck", rid: 0 }]);
});

Deno.test("stock ssh vs lib/mux master: -O forward -D/-R match the captures; REMOTE_PORT printed", async () => {
  const { result, seen } = await fakeMaster(
    hello92,
    (m) => {
      if (m.kind !== "OpenFwd") return ["close"];
      return m.fwdType === MUX_FWD_REMOTE && m.listenPort === 0
        ? [{ kind: "RemotePort", rid: m.rid, port: 33323 }]
        : [{ kind: "Ok", rid: m.rid }];
    },
    ["-O", "forward", "-D", "1080", "-R", "0:127.0.0.1:22", "x"],
  );
  assertEquals(result.code, 0, result.err);
  assertEquals(result.out, "33323\n");
  assertEquals(seen.slice(1).map((s) => s.msg), [
    {
      kind: "OpenFwd",
      rid: 0,
      fwdType: MUX_FWD_DYNAMIC,
      listenHost: "",
      listenPort: 1080,
      connectHost: "socks",
      connectPort: 0,
    },
    {
      kind: "OpenFwd",
      rid: 1,
      fwdType: MUX_FWD_REMOTE,
      listenHost: "",
      listenPort: 0,
      connectHost: "127.0.0.1",
      connectPort: 22,
    },
  ]);
  for (const s of seen) assertEquals(encodeMux(s.msg).subarray(4), s.body, s.msg.kind);
});

Deno.test("stock ssh vs lib/mux master: FAILURE and PERMISSION_DENIED reasons reach the user", async () => {
  const fwd = await fakeMaster(
    hello92,
    (m) =>
      m.kind === "OpenFwd" ? [{ kind: "Failure", rid: m.rid, reason: "no such luck" }] : ["close"],
    ["-O", "forward", "-L", "127.0.0.1:1:127.0.0.1:2", "x"],
  );
  assertEquals(fwd.result.code, 255);
  assertStringIncludes(fwd.result.err, "forwarding request failed: no such luck");
  const exit = await fakeMaster(
    hello92,
    (m) =>
      m.kind === "Terminate"
        ? [{ kind: "PermissionDenied", rid: m.rid, reason: "not today" }]
        : ["close"],
    ["-O", "exit", "x"],
  );
  assertEquals(exit.result.code, 255);
  assertStringIncludes(exit.result.err, "Master refused termination request: not today");
  assertEquals(exit.seen[1].msg, { kind: "Terminate", rid: 0 });
});

Deno.test("stock ssh vs lib/mux master: -W sends NEW_STDIO_FWD with a u32 port", async () => {
  const { result, seen } = await fakeMaster(
    hello92,
    (m) => {
      if (m.kind === "AliveCheck") return [{ kind: "Alive", rid: m.rid, pid: 4242 }];
      if (m.kind === "NewStdioFwd") {
        return [{ kind: "Failure", rid: m.rid, reason: "Session open refused by peer" }, "close"];
      }
      return ["close"];
    },
    ["-W", "127.0.0.1:22222", "x"],
  );
  assertEquals(result.code, 255);
  assertStringIncludes(result.err, "Stdio forwarding request failed: Session open refused by peer");
  assertEquals(seen[2].msg, {
    kind: "NewStdioFwd",
    rid: 1,
    reserved: new Uint8Array(0),
    connectHost: "127.0.0.1",
    connectPort: 22222,
  });
  assertEquals(encodeMux(seen[2].msg).subarray(4), seen[2].body);
});

// --- raw lib/mux requests against a stock OpenSSH master ----------------------------------------

/** SSH connection-protocol messages for the proxy-mode check (RFC 4254). */
const SSH_MSG_CHANNEL_OPEN = 90, SSH_MSG_CHANNEL_OPEN_CONFIRMATION = 91;
const SSH_MSG_CHANNEL_DATA = 94, SSH_MSG_CHANNEL_CLOSE = 97, SSH_MSG_CHANNEL_REQUEST = 98;

Deno.test("stock master vs lib/mux client codecs: replies, limits and proxy framing", async () => {
  const sshd = await startSshd();
  const master = await startStockMaster(sshd);
  const conns: Deno.Conn[] = [];
  const open = async () => {
    const conn = await Deno.connect({ transport: "unix", path: master.ctl });
    conns.push(conn);
    const peer = new MuxPeer(conn, "toClient");
    await peer.send(hello92);
    assertEquals((await peer.recv())?.msg, hello92, "a 9.2 master's hello has no extensions");
    return peer;
  };
  const ask = async (peer: MuxPeer, m: MuxRequest) => {
    await peer.send(m);
    return (await peer.recv())?.msg;
  };
  try {
    const p = await open();
    assertEquals(await ask(p, { kind: "AliveCheck", rid: 3 }), {
      kind: "Alive",
      rid: 3,
      pid: master.pid,
    });
    assertEquals(
      await ask(p, { kind: "Unknown", type: 0x1000000a, rid: 8, data: new Uint8Array(0) }),
      { kind: "Failure", rid: 8, reason: REASON_UNSUPPORTED_REQUEST },
    );
    // A 9.2 master predates MUX_C_EXT_INFO.
    assertEquals(await ask(p, { kind: "ExtInfoRequest", rid: 9, name: "connection" }), {
      kind: "Failure",
      rid: 9,
      reason: "unsupported request",
    });
    const fwd = {
      rid: 10,
      fwdType: MUX_FWD_LOCAL,
      listenHost: "127.0.0.1",
      listenPort: freePort(),
      connectHost: "127.0.0.1",
      connectPort: sshd.port,
    };
    assertEquals(await ask(p, { kind: "OpenFwd", ...fwd }), { kind: "Ok", rid: 10 });
    assertEquals(await ask(p, { kind: "CloseFwd", ...fwd, rid: 11 }), { kind: "Ok", rid: 11 });
    assertEquals(await ask(p, { kind: "CloseFwd", ...fwd, rid: 12 }), {
      kind: "Failure",
      rid: 12,
      reason: REASON_PORT_NOT_FORWARDED,
    });
    const remote = await ask(p, {
      kind: "OpenFwd",
      rid: 13,
      fwdType: MUX_FWD_REMOTE,
      listenHost: "127.0.0.1",
      listenPort: 0,
      connectHost: "127.0.0.1",
      connectPort: sshd.port,
    });
    assert(remote?.kind === "RemotePort" && remote.rid === 13 && remote.port > 0, `${remote}`);
    // sshd cannot listen on its own port: the server refuses, the master words it like this.
    const taken = { port: sshd.port };
    assertEquals(
      await ask(p, {
        kind: "OpenFwd",
        rid: 14,
        fwdType: MUX_FWD_REMOTE,
        listenHost: "127.0.0.1",
        listenPort: taken.port,
        connectHost: "127.0.0.1",
        connectPort: 1,
      }),
      { kind: "Failure", rid: 14, reason: remoteForwardFailedReason(taken) },
    );

    // The largest accepted body (262144) is answered; one byte more drops the connection.
    const big = await open();
    const filler = new Uint8Array(MUX_MAX_PACKET - 8);
    assertEquals(await ask(big, { kind: "Unknown", type: 0x1000000a, rid: 1, data: filler }), {
      kind: "Failure",
      rid: 1,
      reason: "unsupported request",
    });
    const over = new Uint8Array(4 + MUX_MAX_PACKET + 1);
    new DataView(over.buffer).setUint32(0, MUX_MAX_PACKET + 1);
    await big.conn.write(over.subarray(0, 4));
    assertEquals(await big.recv(), null, "oversized frame: the master hangs up");

    // A forward port OpenSSH calls malformed (what decodeMux rejects) drops the connection.
    const bad = await open();
    const frame = encodeMux({ kind: "OpenFwd", ...fwd, rid: 1 });
    new DataView(frame.buffer).setUint32(frame.length - 4, 70000);
    await bad.conn.write(frame);
    assertEquals(await bad.recv(), null, "malformed OPEN_FWD: no reply, connection closed");

    // Proxy mode: real SSH packets through encodeProxyPacket / ProxyFramer.
    const px = await open();
    assertEquals(await ask(px, { kind: "Proxy", rid: 0 }), { kind: "ProxyOk", rid: 0 });
    const send = (w: WireWriter) => px.conn.write(encodeProxyPacket(w.finish()));
    await send(
      new WireWriter().u8(SSH_MSG_CHANNEL_OPEN).string("session").u32(77).u32(1 << 21).u32(32768),
    );
    const framer = new ProxyFramer();
    const packets: Uint8Array[] = [];
    const nextPacket = async (): Promise<Uint8Array> => {
      while (packets.length === 0) {
        const buf = new Uint8Array(4096);
        const n = await withTimeout(px.conn.read(buf), "proxy packet");
        if (n === null) throw new Error("proxy connection closed");
        packets.push(...framer.push(buf.subarray(0, n)));
      }
      return packets.shift()!;
    };
    const conf = new WireReader(await nextPacket());
    assertEquals(conf.u8(), SSH_MSG_CHANNEL_OPEN_CONFIRMATION);
    assertEquals(conf.u32(), 77, "the master renumbers channels back to our id");
    const serverId = conf.u32();
    await send(
      new WireWriter().u8(SSH_MSG_CHANNEL_REQUEST).u32(serverId).string("exec").bool(true)
        .string("echo proxied"),
    );
    let output = "";
    for (;;) {
      const r = new WireReader(await nextPacket());
      const type = r.u8();
      if (type !== SSH_MSG_CHANNEL_CLOSE) assertEquals(r.u32(), 77);
      if (type === SSH_MSG_CHANNEL_DATA) output += r.text();
      if (type === SSH_MSG_CHANNEL_CLOSE) break;
    }
    assertEquals(output, "proxied\n");
    await send(new WireWriter().u8(SSH_MSG_CHANNEL_CLOSE).u32(serverId));
  } finally {
    for (const c of conns) {
      try {
        c.close();
      } catch { /* closed by the master */ }
    }
    await master.stop();
    await sshd.stop();
  }
});
