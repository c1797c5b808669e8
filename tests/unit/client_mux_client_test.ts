// MuxClient against a scripted fake master over a socketpair: hello and extensions, request-id
// sequencing, refusals, fd passing order, TERMINATE's EOF-as-success, and garbage from the
// master (only typed errors, never a hang).
import { assert, assertEquals, assertRejects } from "@std/assert";
import { pipe, RawFd, socketpair, UnixSocket } from "../../ffi/mod.ts";
import { MuxClient } from "../../lib/client/mux_client.ts";
import { MuxMasterGone } from "../../lib/client/errors.ts";
import { ProtocolError } from "../../lib/errors.ts";
import { readMuxFrame } from "../../lib/mux/framer.ts";
import { decodeMux } from "../../lib/mux/decode.ts";
import { encodeMux } from "../../lib/mux/encode.ts";
import type { MuxReply, MuxRequest } from "../../lib/mux/messages.ts";
import { MuxRequestRefused } from "../../lib/mux/errors.ts";
import { MuxProxyTransport } from "../../lib/client/proxy_transport.ts";
import { encodeProxyPacket } from "../../lib/mux/proxy_framing.ts";

/** The master's end of the pair: read requests, write replies. */
class FakeMaster {
  constructor(readonly sock: UnixSocket) {}
  async next(): Promise<MuxRequest | null> {
    const body = await readMuxFrame((n) => this.sock.readExact(n));
    return body === null ? null : decodeMux(body, "toMaster");
  }
  send(msg: MuxReply): Promise<void> {
    return this.sock.write(encodeMux(msg));
  }
  close(): void {
    this.sock.close();
  }
}

function pair(): { client: MuxClient; master: FakeMaster } {
  const [a, b] = socketpair();
  return { client: new MuxClient(new UnixSocket(a)), master: new FakeMaster(new UnixSocket(b)) };
}

async function helloed(extensions: [string, string][] = []) {
  const p = pair();
  const [, req] = await Promise.all([
    p.client.hello(),
    (async () => {
      const req = await p.master.next();
      await p.master.send({ kind: "Hello", version: 4, extensions });
      return req;
    })(),
  ]);
  assertEquals(req, { kind: "Hello", version: 4, extensions: [] });
  return p;
}

Deno.test("hello: client sends v4 without extensions, keeps the master's extensions", async () => {
  const { client, master } = await helloed([["info", "0"], ["x-unknown@example", "v"]]);
  assertEquals(client.supportsInfo, true);
  assertEquals(client.extensions.get("x-unknown@example"), "v");
  client.close();
  master.close();
  const plain = await helloed();
  assertEquals(plain.client.supportsInfo, false);
  plain.client.close();
  plain.master.close();
});

Deno.test("hello: a master speaking another version is refused with ssh's message", async () => {
  const { client, master } = pair();
  await master.send({ kind: "Hello", version: 3, extensions: [] });
  await assertRejects(
    () => client.hello(),
    ProtocolError,
    "Unsupported multiplexing protocol version 3 (expected 4)",
  );
  client.close();
  master.close();
});

Deno.test("hello: EOF or a non-hello first message fails", async () => {
  const a = pair();
  a.master.close();
  await assertRejects(() => a.client.hello(), Error);
  a.client.close();
  const b = pair();
  await b.master.send({ kind: "Ok", rid: 0 });
  await assertRejects(() => b.client.hello(), ProtocolError, "expected HELLO");
  b.client.close();
  b.master.close();
});

Deno.test("request ids start at 0 and advance only after a successful request", async () => {
  const { client, master } = await helloed();
  const fwd = { fwdType: 1, listenHost: "", listenPort: 1, connectHost: "h", connectPort: 2 };
  const script = (async () => {
    let r = await master.next();
    assertEquals(r, { kind: "AliveCheck", rid: 0 });
    await master.send({ kind: "Alive", rid: 0, pid: 4242 });
    r = await master.next();
    assertEquals(r?.kind === "OpenFwd" && r.rid, 1);
    await master.send({ kind: "Failure", rid: 1, reason: "port not forwarded" });
    r = await master.next();
    assertEquals(r?.kind === "OpenFwd" && r.rid, 1, "a refused request does not use up its id");
    await master.send({ kind: "RemotePort", rid: 1, port: 33323 });
    r = await master.next();
    assertEquals(r?.kind === "CloseFwd" && r.rid, 2);
    await master.send({ kind: "PermissionDenied", rid: 2, reason: "Permission denied" });
    r = await master.next();
    assertEquals(r, { kind: "StopListening", rid: 2 });
    await master.send({ kind: "Ok", rid: 2 });
  })();
  assertEquals(await client.aliveCheck(), 4242);
  const refused = await assertRejects(() => client.openForward(fwd), MuxRequestRefused);
  assertEquals([refused.kind, refused.reason], ["Failure", "port not forwarded"]);
  assertEquals(await client.openForward(fwd), 33323);
  const denied = await assertRejects(() => client.closeForward(fwd), MuxRequestRefused);
  assertEquals(denied.kind, "PermissionDenied");
  await client.stopListening();
  assertEquals(client.nextRequestId, 3);
  await script;
  client.close();
  master.close();
});

Deno.test("a reply to another request id is 'out of sequence'; pid 0 is a failure", async () => {
  const { client, master } = await helloed();
  const script = (async () => {
    await master.next();
    await master.send({ kind: "Alive", rid: 5, pid: 1 });
  })();
  await assertRejects(
    () => client.aliveCheck(),
    ProtocolError,
    "out of sequence reply: my id 0 theirs 5",
  );
  await script;
  client.close();
  master.close();

  const b = await helloed();
  const s2 = (async () => {
    await b.master.next();
    await b.master.send({ kind: "Alive", rid: 0, pid: 0 });
  })();
  await assertRejects(() => b.client.aliveCheck(), MuxMasterGone, "pid 0");
  await s2;
  b.client.close();
  b.master.close();
});

Deno.test("NEW_SESSION: the request, then stdin, stdout, stderr as three passed fds", async () => {
  const { client, master } = await helloed();
  const pipes = [pipe(), pipe(), pipe()];
  const script = (async () => {
    const r = await master.next();
    if (r?.kind !== "NewSession") throw new Error(`expected NewSession, got ${r?.kind}`);
    assertEquals(r.command, "echo hi");
    assertEquals(r.env, ["A=1"]);
    assertEquals([r.wantTty, r.subsystem, r.escapeChar], [false, true, 0x7e]);
    const got: RawFd[] = [];
    for (let i = 0; i < 3; i++) got.push(await master.sock.recvFd());
    // Each received fd is the write end we passed: write a marker through it.
    for (let i = 0; i < 3; i++) {
      const { FdIo } = await import("../../ffi/mod.ts");
      const io = new FdIo(got[i]);
      await io.write(new TextEncoder().encode(`fd${i}`));
      io.close();
    }
    await master.send({ kind: "SessionOpened", rid: 0, sid: 2 });
    await master.send({ kind: "ExitMessage", sid: 2, exitValue: 42 });
    master.close();
  })();
  const sid = await client.newSession({
    wantTty: false,
    wantX11: false,
    wantAgent: false,
    subsystem: true,
    escapeChar: 0x7e,
    term: "xterm",
    command: "echo hi",
    env: ["A=1"],
  }, [pipes[0][1], pipes[1][1], pipes[2][1]]);
  assertEquals(sid, 2);
  await script;
  const { FdIo } = await import("../../ffi/mod.ts");
  for (let i = 0; i < 3; i++) {
    pipes[i][1].close();
    const io = new FdIo(pipes[i][0]);
    const buf = new Uint8Array(16);
    const n = await io.read(buf);
    assertEquals(new TextDecoder().decode(buf.subarray(0, n)), `fd${i}`);
    io.close();
  }
  assertEquals(await client.read(), { kind: "ExitMessage", sid: 2, exitValue: 42 });
  assertEquals(await client.read(), null);
  client.close();
});

Deno.test("TERMINATE: EOF counts as success (OpenSSH exits before its OK is flushed)", async () => {
  const { client, master } = await helloed();
  const script = (async () => {
    assertEquals(await master.next(), { kind: "Terminate", rid: 0 });
    master.close();
  })();
  await client.terminate();
  await script;
  client.close();
});

Deno.test("EOF where a reply is due is MuxMasterGone", async () => {
  const { client, master } = await helloed();
  const script = (async () => {
    await master.next();
    master.close();
  })();
  await assertRejects(() => client.aliveCheck(), MuxMasterGone);
  await script;
  client.close();
});

Deno.test("proxy transport: framed both ways, non-connection messages dropped, EOF → null", async () => {
  const { client, master } = await helloed();
  const script = (async () => {
    assertEquals(await master.next(), { kind: "Proxy", rid: 0 });
    await master.send({ kind: "ProxyOk", rid: 0 });
    // One packet from the "server", split oddly across writes.
    const pkt = encodeProxyPacket(Uint8Array.of(94, 0, 0, 0, 1, 0, 0, 0, 2, 104, 105));
    await master.sock.write(pkt.subarray(0, 3));
    await master.sock.write(pkt.subarray(3));
    // What the client sent: only the CHANNEL_OPEN (90); the KEXINIT (20) was dropped.
    const header = await master.sock.readExact(5);
    assertEquals([...header!], [0, 0, 0, 5, 0]);
    assertEquals([...(await master.sock.readExact(4))!], [90, 7, 8, 9]);
    master.close();
  })();
  const t = new MuxProxyTransport(await client.requestProxy());
  assertEquals([...(await t.receive())!], [94, 0, 0, 0, 1, 0, 0, 0, 2, 104, 105]);
  await t.send(Uint8Array.of(20, 1, 2, 3));
  await t.send(Uint8Array.of(90, 7, 8, 9));
  await script;
  assertEquals(await t.receive(), null);
  t.close();
});

Deno.test("fuzz: garbage replies from a master give typed errors only, never a hang", async () => {
  let seed = 12345;
  const rand = () => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32;
  for (let i = 0; i < 150; i++) {
    const { client, master } = await helloed();
    const len = Math.floor(rand() * 40);
    const junk = new Uint8Array(len).map(() => Math.floor(rand() * 256));
    // Half the cases: a well-formed length prefix around random content.
    const framed = rand() < 0.5;
    const script = (async () => {
      await master.next();
      if (framed) {
        const hdr = new Uint8Array(4);
        new DataView(hdr.buffer).setUint32(0, len);
        await master.sock.write(hdr);
      }
      if (len > 0) await master.sock.write(junk);
      master.close();
    })();
    try {
      await client.aliveCheck();
    } catch (e) {
      assert(
        e instanceof ProtocolError || e instanceof MuxMasterGone || e instanceof MuxRequestRefused,
        `untyped error: ${e}`,
      );
    }
    await script;
    client.close();
  }
});

Deno.test("fuzz: garbage after MUX_S_PROXY gives typed errors or clean EOF, never a hang", async () => {
  let seed = 777;
  const rand = () => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32;
  for (let i = 0; i < 100; i++) {
    const { client, master } = await helloed();
    const script = (async () => {
      await master.next();
      await master.send({ kind: "ProxyOk", rid: 0 });
      const len = Math.floor(rand() * 24);
      const junk = new Uint8Array(len).map(() => Math.floor(rand() * 256));
      // Sometimes a plausible header (small length, padding 0) so packets do complete.
      if (rand() < 0.5 && len >= 5) junk.set([0, 0, 0, Math.min(len - 4, 16), 0]);
      if (len > 0) await master.sock.write(junk);
      master.close();
    })();
    const t = new MuxProxyTransport(await client.requestProxy());
    try {
      while ((await t.receive()) !== null) { /* drain */ }
    } catch (e) {
      assert(e instanceof ProtocolError, `untyped error: ${e}`);
    }
    await script;
    t.close();
  }
});
