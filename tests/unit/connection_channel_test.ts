// Channel state machine over an in-memory transport, against a scripted peer: windows, packet
// splitting, EOF/CLOSE orders, requests, id reuse, malformed messages.

import { assert, assertEquals, assertRejects } from "@std/assert";
import {
  Channel,
  ChannelClosedError,
  ChannelOpenError,
  ConnectionLostError,
  encodeChannelReply,
  encodeChannelRequest,
  encodeClose,
  encodeData,
  encodeEof,
  encodeExtendedData,
  encodeOpenFailure,
  encodeWindowAdjust,
  SshConnection,
} from "../../lib/ssh/connection/mod.ts";
import { ScriptedPeer } from "../helpers/scripted_peer.ts";
import { ProtocolError } from "../../lib/errors.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();
const EMPTY = new Uint8Array(0);

async function setup(window = 2 * 1024 * 1024, maxPacket = 32768, opts = {}) {
  const peer = new ScriptedPeer();
  const conn = new SshConnection(peer.local);
  const opening = conn.openChannel("session", EMPTY, opts);
  const { localId, remoteId, open } = await peer.acceptOpen(window, maxPacket);
  const ch = await opening;
  return { peer, conn, ch, localId, remoteId, open };
}

async function collect(read: () => Promise<Uint8Array | null>): Promise<string> {
  let s = "";
  for (;;) {
    const c = await read();
    if (c === null) return s;
    s += dec.decode(c);
  }
}

Deno.test("open sends our window/max packet and takes the peer's ids", async () => {
  const { conn, ch, localId, remoteId, open } = await setup();
  assertEquals(open.type, "session");
  assertEquals(open.window, 2 * 1024 * 1024);
  assertEquals(open.maxPacket, 32768);
  assertEquals(ch.localId, localId);
  assertEquals(ch.remoteId, remoteId);
  assertEquals(conn.channelCount(), 1);
  assertEquals(conn.listChannels()[0].type, "session");
  conn.close();
});

Deno.test("open failure rejects with ChannelOpenError and frees the id", async () => {
  const peer = new ScriptedPeer();
  const conn = new SshConnection(peer.local);
  const p = conn.openChannel("direct-tcpip", EMPTY);
  const open = await peer.expect("channel-open");
  await peer.send(encodeOpenFailure(open.sender, 2, "Connection refused"));
  const e = await assertRejects(() => p, ChannelOpenError);
  assertEquals(e.reasonCode, 2);
  assertEquals(e.description, "Connection refused");
  const p2 = conn.openChannel("session", EMPTY);
  const open2 = await peer.expect("channel-open");
  assertEquals(open2.sender, open.sender, "a refused open's id is free again");
  conn.close();
  await assertRejects(() => p2, ConnectionLostError);
});

Deno.test("write is split by the peer's max packet", async () => {
  const { peer, conn, ch, remoteId } = await setup(1 << 20, 1000);
  const data = new Uint8Array(2500).map((_, i) => i & 0xff);
  await ch.write(data);
  const sizes: number[] = [];
  const got: number[] = [];
  for (let i = 0; i < 3; i++) {
    const m = await peer.expect("data");
    assertEquals(m.recipient, remoteId);
    sizes.push(m.data.length);
    got.push(...m.data);
  }
  assertEquals(sizes, [1000, 1000, 500]);
  assertEquals(new Uint8Array(got), data);
  conn.close();
});

Deno.test("write waits for window and resumes on WINDOW_ADJUST", async () => {
  const { peer, conn, ch, localId } = await setup(100, 64);
  let done = false;
  const w = ch.write(new Uint8Array(250)).then(() => done = true);
  assertEquals((await peer.expect("data")).data.length, 64);
  assertEquals((await peer.expect("data")).data.length, 36);
  await new Promise((r) => setTimeout(r, 20));
  assert(!done, "write must block on an exhausted window");
  await peer.send(encodeWindowAdjust(localId, 120));
  assertEquals((await peer.expect("data")).data.length, 64);
  assertEquals((await peer.expect("data")).data.length, 56);
  assert(!done);
  await peer.send(encodeWindowAdjust(localId, 1000));
  assertEquals((await peer.expect("data")).data.length, 30);
  await w;
  assert(done);
  conn.close();
});

Deno.test("window re-opened only as the consumer reads, batched at half", async () => {
  const window = 4096;
  const { peer, conn, ch, localId } = await setup(1 << 20, 32768, { window, maxPacket: 1024 });
  for (let i = 0; i < 4; i++) await peer.send(encodeData(localId, new Uint8Array(1024)));
  // Nothing read: no adjust may be sent. Prove it by a request round trip.
  await peer.send(encodeChannelRequest(localId, "ping", true, EMPTY));
  assertEquals((await peer.next()).kind, "channel-failure");
  assertEquals((await ch.read())!.length, 1024);
  await peer.send(encodeChannelRequest(localId, "ping", true, EMPTY));
  assertEquals((await peer.next()).kind, "channel-failure", "no adjust after a quarter");
  assertEquals((await ch.read())!.length, 1024);
  const adj = await peer.expect("window-adjust");
  assertEquals(adj.bytes, 2048);
  // Window exceeded grossly: the peer ignored flow control → connection ends.
  await peer.send(encodeData(localId, new Uint8Array(2048 + 2048 + 1000)));
  const err = await conn.closed;
  assert(err instanceof ProtocolError, `got ${err}`);
  assert(err?.message.includes("window"));
});

Deno.test("extended data goes to readExtended, stdout and stderr kept apart", async () => {
  const { peer, conn, ch, localId } = await setup();
  await peer.send(encodeData(localId, enc.encode("out1 ")));
  await peer.send(encodeExtendedData(localId, 1, enc.encode("err1 ")));
  await peer.send(encodeExtendedData(localId, 7, enc.encode("unknown stream")));
  await peer.send(encodeData(localId, enc.encode("out2")));
  await peer.send(encodeExtendedData(localId, 1, enc.encode("err2")));
  await peer.send(encodeEof(localId));
  const [out, err] = await Promise.all([
    collect(() => ch.read()),
    collect(() => ch.readExtended()),
  ]);
  assertEquals(out, "out1 out2");
  assertEquals(err, "err1 err2");
  conn.close();
});

Deno.test("EOF then CLOSE: data stays readable, CLOSE answered once, id reused after", async () => {
  const { peer, conn, ch, localId, remoteId } = await setup();
  await peer.send(encodeData(localId, enc.encode("hello")));
  await peer.send(encodeEof(localId));
  await peer.send(encodeClose(localId));
  const c = await peer.expect("close");
  assertEquals(c.recipient, remoteId);
  await ch.closed;
  assertEquals(await collect(() => ch.read()), "hello");
  await assertRejects(() => ch.write(enc.encode("x")), ChannelClosedError);
  assertEquals(conn.channelCount(), 0);
  await ch.close(); // idempotent: no second CLOSE
  const p = conn.openChannel("session", EMPTY);
  const open = await peer.expect("channel-open");
  assertEquals(open.sender, localId, "id reused only after both CLOSEs");
  conn.close();
  await assertRejects(() => p);
});

Deno.test("CLOSE before EOF ends reads; our close() first waits for the peer's CLOSE", async () => {
  const { peer, conn, ch, localId } = await setup();
  await peer.send(encodeData(localId, enc.encode("abc")));
  await peer.send(encodeClose(localId));
  await peer.expect("close");
  assertEquals(await collect(() => ch.read()), "abc");

  const p2 = conn.openChannel("session", EMPTY);
  const second = await peer.acceptOpen();
  const ch2 = await p2;
  assert(second.localId !== localId || conn.channelCount() === 1);
  let closed = false;
  const closing = ch2.close().then(() => closed = true);
  await peer.expect("close");
  await new Promise((r) => setTimeout(r, 10));
  assert(!closed, "not released until the peer's CLOSE");
  assertEquals(conn.channelCount(), 1);
  // Data in flight after our CLOSE is tolerated and dropped.
  await peer.send(encodeData(second.localId, enc.encode("late")));
  await peer.send(encodeClose(second.localId));
  await closing;
  assertEquals(conn.channelCount(), 0);
  conn.close();
  assertEquals(await conn.closed, null);
});

Deno.test("data after EOF is a protocol error that ends the connection", async () => {
  const { peer, conn, ch, localId } = await setup();
  await peer.send(encodeEof(localId));
  await peer.send(encodeData(localId, enc.encode("x")));
  const err = await conn.closed;
  assert(err instanceof ProtocolError);
  assert(err?.message.includes("after EOF"));
  await ch.closed;
  assertEquals(await ch.read(), null, "the channel had reached EOF cleanly");
});

Deno.test("sendEof follows queued writes; write after EOF fails", async () => {
  const { peer, conn, ch } = await setup(1 << 20, 4);
  const w = ch.write(enc.encode("12345678"));
  const e = ch.sendEof();
  assertEquals((await peer.expect("data")).data.length, 4);
  assertEquals((await peer.expect("data")).data.length, 4);
  await peer.expect("eof");
  await w;
  await e;
  await assertRejects(() => ch.write(enc.encode("x")), ChannelClosedError);
  conn.close();
});

Deno.test("requests: replies matched in order; exit-status delivered to onRequest", async () => {
  const seen: string[] = [];
  const { peer, conn, ch, localId } = await setup(1 << 20, 32768, {
    onRequest: (name: string, data: Uint8Array) => {
      if (name === "exit-status") {
        seen.push(`${name}:${new DataView(data.buffer, data.byteOffset).getUint32(0)}`);
      }
      return true;
    },
  });
  const r1 = ch.request("pty-req", EMPTY, true);
  const r2 = ch.request("shell", EMPTY, true);
  const r3 = ch.request("window-change", EMPTY, false);
  await peer.expect("channel-request");
  await peer.expect("channel-request");
  const wc = await peer.expect("channel-request");
  assertEquals([wc.name, wc.wantReply], ["window-change", false]);
  await peer.send(encodeChannelReply(localId, false));
  await peer.send(encodeChannelReply(localId, true));
  assertEquals(await Promise.all([r1, r2, r3]), [false, true, true]);
  await peer.send(encodeChannelRequest(localId, "exit-status", false, Uint8Array.of(0, 0, 0, 44)));
  await peer.send(encodeChannelRequest(localId, "keepalive@openssh.com", true, EMPTY));
  // The handler returned true for the keepalive, so it gets success.
  assertEquals((await peer.next()).kind, "channel-success");
  assertEquals(seen[0], "exit-status:44");
  // A reply nobody asked for is a protocol error.
  await peer.send(encodeChannelReply(localId, true));
  assert((await conn.closed) instanceof ProtocolError);
});

Deno.test("eow@openssh.com stops writes", async () => {
  const { peer, conn, ch, localId } = await setup();
  await peer.send(encodeChannelRequest(localId, "eow@openssh.com", false, EMPTY));
  await peer.send(encodeChannelRequest(localId, "sync", true, EMPTY));
  await peer.expect("channel-failure");
  assert(ch.writeClosed);
  await assertRejects(() => ch.write(enc.encode("x")), ChannelClosedError);
  conn.close();
});

Deno.test("connection loss fails reads, writes and pending opens", async () => {
  const { peer, conn, ch } = await setup(0, 32768);
  const w = ch.write(enc.encode("blocked on window"));
  const r = ch.read();
  const o = conn.openChannel("session", EMPTY);
  await peer.expect("channel-open");
  peer.close();
  assertEquals(await conn.closed, null);
  await assertRejects(() => w, ConnectionLostError);
  await assertRejects(() => r, ConnectionLostError);
  await assertRejects(() => o, ConnectionLostError);
  await ch.closed;
  await assertRejects(() => conn.openChannel("session", EMPTY), ConnectionLostError);
});

Deno.test("messages for unknown or unconfirmed channels are protocol errors", async () => {
  for (const bad of [encodeData(7, enc.encode("x")), encodeEof(3), encodeWindowAdjust(9, 1)]) {
    const peer = new ScriptedPeer();
    const conn = new SshConnection(peer.local);
    await peer.send(bad);
    const err = await conn.closed;
    assert(err instanceof ProtocolError, `${err}`);
  }
  const peer = new ScriptedPeer();
  const conn = new SshConnection(peer.local);
  const p = conn.openChannel("session", EMPTY);
  const open = await peer.expect("channel-open");
  await peer.send(encodeData(open.sender, enc.encode("too early")));
  assert((await conn.closed) instanceof ProtocolError);
  await assertRejects(() => p, ConnectionLostError);
});

Deno.test("window adjust overflow ends the connection", async () => {
  const { peer, conn, localId } = await setup(0xfffffff0);
  await peer.send(encodeWindowAdjust(localId, 0x100));
  assert((await conn.closed) instanceof ProtocolError);
});

Deno.test("tens of channels at once, each with its own data", async () => {
  const peer = new ScriptedPeer();
  const conn = new SshConnection(peer.local);
  const n = 40;
  const opens: Promise<Channel>[] = [];
  for (let i = 0; i < n; i++) opens.push(conn.openChannel("session", EMPTY));
  const ids: number[] = [];
  for (let i = 0; i < n; i++) ids.push((await peer.acceptOpen()).localId);
  const chans = await Promise.all(opens);
  assertEquals(new Set(ids).size, n);
  for (const id of ids) {
    await peer.send(encodeData(id, enc.encode(`ch${id}`)));
    await peer.send(encodeEof(id));
  }
  for (const ch of chans) assertEquals(await collect(() => ch.read()), `ch${ch.localId}`);
  assertEquals(conn.channelCount(), n);
  conn.close();
});
