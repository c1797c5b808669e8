// The transport against a scripted fake server on 127.0.0.1: hostile or broken peers must end
// in a typed error with a clear message, the socket closed, and no hang.

import { assert, assertEquals } from "@std/assert";
import { DisconnectError, ProtocolError } from "../../lib/errors.ts";
import { connectTransport } from "../../lib/ssh/transport/mod.ts";
import { buildPacket, noneSealer } from "../../lib/ssh/transport/packet_codec.ts";
import { serverKexInit } from "../helpers/hostile.ts";
import { WireWriter } from "../../lib/wire/writer.ts";

const te = new TextEncoder();

/** Plaintext packet framing as used before the first NEWKEYS. */
const frame = (payload: Uint8Array) => buildPacket(payload, noneSealer());

/** Runs one scripted server connection; returns the transport's error and what we received. */
async function against(
  script: (conn: Deno.TcpConn) => Promise<void>,
): Promise<{ err: Error; got: Uint8Array }> {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  const got: Uint8Array[] = [];
  const server = (async () => {
    const conn = await l.accept();
    l.close();
    const reader = (async () => {
      const buf = new Uint8Array(65536);
      for (;;) {
        const n = await conn.read(buf).catch(() => null);
        if (n === null) break;
        got.push(buf.slice(0, n));
      }
    })();
    try {
      await script(conn);
    } catch { /* the client may have closed first */ }
    await reader;
    try {
      conn.close();
    } catch { /* closed */ }
  })();
  const err = await connectTransport({
    host: "127.0.0.1",
    port,
    connectTimeoutMs: 5000,
    verifyHostKey: () => Promise.resolve(),
  }).then((t) => {
    t.close();
    return new Error("unexpectedly connected");
  }, (e) => e as Error);
  await server; // returns only once the client closed its socket: proves no leak/hang
  const all = new Uint8Array(got.reduce((n, c) => n + c.length, 0));
  let off = 0;
  for (const c of got) {
    all.set(c, off);
    off += c.length;
  }
  return { err, got: all };
}

Deno.test("fake server: an absurd packet length → 'Bad packet length', DISCONNECT sent, socket closed", async () => {
  const { err, got } = await against(async (c) => {
    await c.write(te.encode("SSH-2.0-fake\r\n"));
    await c.write(Uint8Array.of(0x10, 0, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0));
  });
  assert(err instanceof ProtocolError, String(err));
  assert(err.message.includes("Bad packet length 268435456"), err.message);
  const text = new TextDecoder("latin1").decode(got);
  assert(text.startsWith("SSH-2.0-sshmux_0.1\r\n"));
  assert(text.includes("Bad packet length"), "no DISCONNECT with the reason was sent");
});

Deno.test("fake server: IGNORE before KEXINIT under strict kex → strict KEX violation", async () => {
  const { err } = await against(async (c) => {
    await c.write(te.encode("SSH-2.0-fake\r\n"));
    await c.write(frame(new WireWriter(16).u8(2).string("x").finish()));
    await c.write(frame(serverKexInit({ strict: true })));
  });
  assert(err instanceof ProtocolError, String(err));
  assert(err.message.includes("strict KEX violation"), err.message);
});

Deno.test("fake server: without strict kex an IGNORE is fine; no common cipher → negotiation error", async () => {
  const { err } = await against(async (c) => {
    await c.write(te.encode("banner line\r\nSSH-2.0-fake\r\n"));
    await c.write(frame(new WireWriter(16).u8(2).string("x").finish()));
    await c.write(frame(serverKexInit({ ciphers: ["3des-cbc"] })));
  });
  assert(err instanceof ProtocolError, String(err));
  assert(
    /^Unable to negotiate with 127\.0\.0\.1 port \d+: no matching cipher found\. Their offer: 3des-cbc$/
      .test(err.message),
    err.message,
  );
});

Deno.test("fake server: a user-auth message during the initial kex is a protocol error", async () => {
  const { err } = await against(async (c) => {
    await c.write(te.encode("SSH-2.0-fake\r\n"));
    await c.write(frame(Uint8Array.of(52)));
  });
  assert(err instanceof ProtocolError, String(err));
  assert(err.message.includes("unexpected message type 52"), err.message);
});

Deno.test("fake server: DISCONNECT from the server surfaces its reason", async () => {
  const { err } = await against(async (c) => {
    await c.write(te.encode("SSH-2.0-fake\r\n"));
    await c.write(
      frame(new WireWriter(64).u8(1).u32(12).string("Too many connections").string("").finish()),
    );
  });
  if (!(err instanceof DisconnectError)) throw err;
  assertEquals(err.reasonCode, 12);
  assert(err.message.includes(":12: Too many connections"), err.message);
});

Deno.test("fake server: close right after the version, or before it → connection closed errors", async () => {
  const a = await against(async (c) => {
    await c.write(te.encode("SSH-2.0-fake\r\n"));
    c.close();
  });
  assert(
    a.err instanceof DisconnectError && a.err.message.includes("Connection closed by"),
    String(a.err),
  );
  const b = await against((c) => {
    c.close();
    return Promise.resolve();
  });
  assert(b.err instanceof DisconnectError, String(b.err));
  assert(b.err.message.includes("kex_exchange_identification"), b.err.message);
});

Deno.test("fake server: a silent server hits ConnectTimeout during the banner exchange", async () => {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  const accepted = l.accept();
  const err = await connectTransport({
    host: "127.0.0.1",
    port,
    connectTimeoutMs: 300,
    verifyHostKey: () => Promise.resolve(),
  }).then(() => undefined, (e) => e as Error);
  assert(
    err instanceof DisconnectError &&
      /Connection to 127.0.0.1 port \d+ timed out/.test(err.message),
    String(err),
  );
  (await accepted).close();
  l.close();
});

Deno.test("fake server: random garbage after the version → only typed errors, socket closed (40 rounds)", async () => {
  let seed = 7;
  const rand = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x80000000;
  for (let round = 0; round < 40; round++) {
    const junk = new Uint8Array(16 + Math.floor(rand() * 2000)).map(() => Math.floor(rand() * 256));
    if (round % 2 === 0) {
      // Plausible framing: a small length so the decoder gets past the length check.
      junk.set([0, 0, 0, 12 + 8 * Math.floor(rand() * 4), 4 + Math.floor(rand() * 4)]);
    }
    const { err } = await against(async (c) => {
      await c.write(te.encode("SSH-2.0-fake\r\n"));
      await c.write(junk);
      c.close();
    });
    assert(
      err instanceof ProtocolError || err instanceof DisconnectError,
      `round ${round}: ${err}`,
    );
  }
});

Deno.test("ProxyCommand that exits at once, and an unknown host → ssh-style errors", async () => {
  const e1 = await connectTransport({
    host: "example",
    port: 22,
    proxyCommand: "exit 3",
    verifyHostKey: () => Promise.resolve(),
  }).then(() => undefined, (e) => e as Error);
  if (!(e1 instanceof DisconnectError)) throw new Error(`expected DisconnectError, got ${e1}`);
  assert(e1.message.includes("kex_exchange_identification"), e1.message);
  const e2 = await connectTransport({
    host: "nosuchhost.invalid",
    port: 22,
    verifyHostKey: () => Promise.resolve(),
  }).then(() => undefined, (e) => e as Error);
  assertEquals(
    e2?.message,
    "ssh: Could not resolve hostname nosuchhost.invalid: Name or service not known",
  );
});
