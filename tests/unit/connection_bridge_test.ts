// Two SshConnections back to back over memory: bulk data through bridge() with flow control both
// ways, bounded buffers for an unread channel, half-close, incoming opens, global requests.

import { assert, assertEquals, assertRejects } from "@std/assert";
import {
  bridge,
  type ByteEndpoint,
  Channel,
  ChannelOpenError,
  pumpToChannel,
  SshConnection,
} from "../../lib/ssh/connection/mod.ts";
import { memoryTransportPair } from "../helpers/memory_transport.ts";

function pair(): [SshConnection, SshConnection] {
  const [a, b] = memoryTransportPair();
  return [new SshConnection(a), new SshConnection(b)];
}

function pattern(n: number, seed: number): Uint8Array {
  const b = new Uint8Array(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    b[i] = x >>> 24;
  }
  return b;
}

/** Serves `data` in odd-sized reads, collects what is written, records half-close. */
function memEndpoint(data: Uint8Array) {
  let off = 0;
  const got: Uint8Array[] = [];
  const ep = {
    got,
    writeClosed: false,
    closed: false,
    read(buf: Uint8Array) {
      const n = Math.min(buf.length, data.length - off, 50_000);
      buf.set(data.subarray(off, off + n));
      off += n;
      return Promise.resolve(n);
    },
    write(d: Uint8Array) {
      got.push(d.slice());
      return Promise.resolve();
    },
    closeWrite() {
      ep.writeClosed = true;
    },
    close() {
      ep.closed = true;
    },
  } satisfies ByteEndpoint & Record<string, unknown>;
  return ep;
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

Deno.test("bridge: 8 MiB each way through an echo peer, byte-exact, half-close", async () => {
  const [client, server] = pair();
  server.onChannelOpen("direct-tcpip", (req) => {
    const ch = req.accept({ window: 256 * 1024, maxPacket: 16 * 1024 });
    (async () => {
      for (;;) {
        const c = await ch.read();
        if (c === null) break;
        await ch.write(c);
      }
      await ch.sendEof();
      await ch.close();
    })();
  });
  const ch = await client.openChannel("direct-tcpip", new Uint8Array(0));
  const data = pattern(8 * 1024 * 1024, 7);
  const ep = memEndpoint(data);
  await bridge(ch, ep);
  assertEquals(concat(ep.got), data);
  assert(ep.writeClosed, "channel EOF → local half-close");
  assert(ep.closed);
  assertEquals(client.channelCount(), 0);
  assertEquals(server.channelCount(), 0);
  client.close();
  assertEquals(await server.closed, null);
});

Deno.test("an unread channel stops the sender: buffered bytes stay within the window", async () => {
  const [client, server] = pair();
  let serverCh: Channel | undefined;
  server.onChannelOpen("session", (req) => {
    serverCh = req.accept({ window: 64 * 1024, maxPacket: 8 * 1024 });
  });
  const ch = await client.openChannel("session", new Uint8Array(0));
  let written = false;
  const w = ch.write(new Uint8Array(1024 * 1024)).then(() => written = true);
  await new Promise((r) => setTimeout(r, 30));
  assert(!written);
  const info = server.listChannels()[0];
  assertEquals(info.queuedBytes, 64 * 1024);
  assertEquals(info.localWindow, 0);
  // Reading it all lets the write finish.
  let total = 0;
  while (total < 1024 * 1024) total += (await serverCh!.read())!.length;
  await w;
  assert(written);
  assert(server.listChannels()[0].queuedBytes <= 64 * 1024);
  client.close();
});

Deno.test("incoming open: handler accepts or rejects; unknown types refused", async () => {
  const [client, server] = pair();
  client.onChannelOpen("forwarded-tcpip", (req) => {
    if (new TextDecoder().decode(req.data) === "ok") req.accept();
    else req.reject(1, "prohibited");
  });
  const ok = await server.openChannel("forwarded-tcpip", new TextEncoder().encode("ok"));
  assertEquals(ok.type, "forwarded-tcpip");
  assertEquals(client.listChannels()[0].type, "forwarded-tcpip");
  const no = await assertRejects(
    () => server.openChannel("forwarded-tcpip", new TextEncoder().encode("no")),
    ChannelOpenError,
  );
  assertEquals([no.reasonCode, no.description], [1, "prohibited"]);
  const unk = await assertRejects(
    () => server.openChannel("x11", new Uint8Array(0)),
    ChannelOpenError,
  );
  assertEquals(unk.reasonCode, 3);
  // A handler that fails (here asynchronously) gets the open refused, not a crash.
  client.onChannelOpen("auth-agent@openssh.com", async () => {
    await Promise.resolve();
    throw new Error("agent gone");
  });
  const failed = await assertRejects(
    () => server.openChannel("auth-agent@openssh.com", new Uint8Array(0)),
    ChannelOpenError,
  );
  assertEquals(failed.reasonCode, 4);
  client.close();
});

Deno.test("global requests: replies in order (async handlers too), keepalive gets failure", async () => {
  const [client, server] = pair();
  server.onGlobalRequest("slow", async () => {
    await new Promise((r) => setTimeout(r, 20));
    return { ok: true, data: Uint8Array.of(1) };
  });
  server.onGlobalRequest("fast", () => true);
  const [a, b, c, d] = await Promise.all([
    client.globalRequest("slow", new Uint8Array(0), true),
    client.globalRequest("fast", new Uint8Array(0), true),
    client.globalRequest("keepalive@openssh.com", new Uint8Array(0), true),
    client.globalRequest("unknown", new Uint8Array(0), true),
  ]);
  assertEquals([a.ok, Array.from(a.data)], [true, [1]]);
  assertEquals([b.ok, c.ok, d.ok], [true, false, false]);
  assertEquals((await client.globalRequest("fast", new Uint8Array(0), false)).ok, true);
  client.close();
});

Deno.test("ids are reused only after close, across many open/close cycles", async () => {
  const [client, server] = pair();
  server.onChannelOpen("session", (req) => {
    const ch = req.accept();
    ch.read().then(() => ch.close(), () => {});
  });
  const seen = new Set<number>();
  const live: Channel[] = [];
  for (let i = 0; i < 30; i++) live.push(await client.openChannel("session", new Uint8Array(0)));
  for (const ch of live) {
    assert(!seen.has(ch.localId));
    seen.add(ch.localId);
  }
  await Promise.all(live.map(async (ch) => {
    await ch.sendEof();
    await ch.closed;
  }));
  assertEquals(client.channelCount(), 0);
  const again = await client.openChannel("session", new Uint8Array(0));
  assertEquals(again.localId, 0);
  client.close();
});

Deno.test("bridge: peer closes while the local read is pending → endpoint closed, bridge ends", async () => {
  const [client, server] = pair();
  let serverCh: Channel | undefined;
  server.onChannelOpen("direct-tcpip", (req) => serverCh = req.accept());
  const ch = await client.openChannel("direct-tcpip", new Uint8Array(0));
  let wakeRead: ((n: number) => void) | undefined;
  let closed = false;
  const ep: ByteEndpoint = {
    read: () => new Promise<number>((r) => wakeRead = r), // a local socket that never sends
    write: () => Promise.resolve(),
    close() {
      closed = true;
      wakeRead?.(0); // closing a socket ends its pending read
    },
  };
  const done = bridge(ch, ep);
  await serverCh!.write(new TextEncoder().encode("bye"));
  await serverCh!.close();
  await done;
  assert(closed);
  assertEquals(client.channelCount(), 0);
  client.close();
});

Deno.test("bridge: local write failure closes the channel", async () => {
  const [client, server] = pair();
  let serverCh: Channel | undefined;
  server.onChannelOpen("direct-tcpip", (req) => serverCh = req.accept());
  const ch = await client.openChannel("direct-tcpip", new Uint8Array(0));
  let wakeRead: ((n: number) => void) | undefined;
  const ep: ByteEndpoint = {
    read: () => new Promise<number>((r) => wakeRead = r),
    write: () => Promise.reject(new Error("EPIPE")),
    close: () => wakeRead?.(0),
  };
  const done = bridge(ch, ep);
  await serverCh!.write(new TextEncoder().encode("nobody reads this"));
  await serverCh!.closed; // our side sent CLOSE, the server side answered
  await done;
  assertEquals(client.channelCount(), 0);
  client.close();
});

Deno.test("pumpToChannel: small reads, some immediate and some delayed, arrive byte-exact and batched", async () => {
  const [client, server] = pair();
  let serverCh: Channel | undefined;
  server.onChannelOpen("session", (req) => serverCh = req.accept({ maxPacket: 64 * 1024 }));
  const ch = await client.openChannel("session", new Uint8Array(0));
  const data = pattern(2 * 1024 * 1024 + 123, 99);
  let off = 0;
  let seed = 5;
  const rnd = () => (seed = (seed * 1103515245 + 12345) >>> 0) >>> 8;
  let reads = 0;
  const ep: ByteEndpoint = {
    read(buf) {
      reads++;
      const n = Math.min(buf.length, data.length - off, 1 + rnd() % 9000);
      const fill = () => {
        buf.set(data.subarray(off, off + n));
        off += n;
        return n;
      };
      // A third of the reads have to "wait for I/O".
      if (rnd() % 3 === 0) return new Promise((r) => setTimeout(() => r(fill()), 0));
      return Promise.resolve(fill());
    },
    write: () => Promise.resolve(),
  };
  const pumping = pumpToChannel(ep, ch);
  const got: Uint8Array[] = [];
  for (;;) {
    const c = await serverCh!.read();
    if (c === null) break;
    got.push(c.slice());
  }
  await pumping;
  assertEquals(concat(got), data);
  assert(got.length < reads / 2, `${got.length} packets for ${reads} reads: not batched`);
  client.close();
});
