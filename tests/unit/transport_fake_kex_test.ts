// The transport against a scripted SSH server written here from our own primitives (X25519,
// Ed25519 host key, chacha20-poly1305): it completes a real key exchange and then misbehaves
// on purpose — bad host key signature, wrong key type, changed host key on rekey — or exercises
// paths sshd does not (UNIMPLEMENTED replies, DEBUG, server rekey with queued data, EXT_INFO).

import { assert, assertEquals } from "@std/assert";
import { DisconnectError, ProtocolError } from "../../lib/errors.ts";
import { WireReader } from "../../lib/wire/reader.ts";
import { WireWriter } from "../../lib/wire/writer.ts";
import { cipherByName } from "../../lib/ssh/crypto/ciphers.ts";
import type { PacketSealer } from "../../lib/ssh/crypto/cipher.ts";
import { connectTransport, type SshTransport } from "../../lib/ssh/transport/mod.ts";
import type { ByteStream } from "../../lib/ssh/transport/byte_stream.ts";
import { InputBuffer } from "../../lib/ssh/transport/input_buffer.ts";
import { PacketReader } from "../../lib/ssh/transport/packet_reader.ts";
import { buildPacket, noneSealer } from "../../lib/ssh/transport/packet_codec.ts";
import { encodeKexInit, parseKexInit } from "../../lib/ssh/transport/kexinit.ts";
import { deriveKey, exchangeHash } from "../../lib/ssh/transport/key_exchange.ts";
import { digest } from "../../lib/ssh/crypto/hash.ts";
import { ml_kem768 } from "@noble/post-quantum/ml-kem";

const te = new TextEncoder();
const CHACHA = cipherByName("chacha20-poly1305@openssh.com")!;

function tcpStream(c: Deno.TcpConn): ByteStream {
  return {
    read: (b) => c.read(b).catch(() => null),
    async write(d) {
      let o = 0;
      while (o < d.length) o += await c.write(d.subarray(o));
    },
    close() {
      try {
        c.close();
      } catch { /* closed */ }
    },
    local: undefined,
    remote: { host: "fake", port: 0 },
  };
}

interface HostKey {
  blob: Uint8Array;
  sign(data: Uint8Array): Promise<Uint8Array>;
}

async function ed25519HostKey(): Promise<HostKey> {
  const kp = await crypto.subtle.generateKey("Ed25519", true, ["sign", "verify"]) as CryptoKeyPair;
  const pub = new Uint8Array(await crypto.subtle.exportKey("raw", kp.publicKey));
  return {
    blob: new WireWriter(64).string("ssh-ed25519").string(pub).finish(),
    async sign(data) {
      const sig = new Uint8Array(
        await crypto.subtle.sign("Ed25519", kp.privateKey, data as BufferSource),
      );
      return new WireWriter(96).string("ssh-ed25519").string(sig).finish();
    },
  };
}

interface ServerOptions {
  strict?: boolean;
  /** Offer only mlkem768x25519-sha256 (server side with @noble/post-quantum). */
  mlkem?: boolean;
  /** Send first_kex_packet_follows with a wrong guess, then a bogus guessed kex packet. */
  wrongGuess?: boolean;
  corruptSignature?: boolean;
}

/** One server-side connection: packet I/O plus a server-side key exchange. */
class FakeServer {
  private sealer: PacketSealer = noneSealer();
  private seqOut = 0;
  private readonly reader: PacketReader;
  private readonly stream: ByteStream;
  clientVersion = "";
  sessionId: Uint8Array | undefined;
  readonly serverVersion = "SSH-2.0-FakeServer_1.0";

  constructor(
    conn: Deno.TcpConn,
    private readonly hostKey: HostKey,
    private readonly opts: ServerOptions,
  ) {
    this.stream = tcpStream(conn);
    const input = new InputBuffer(this.stream);
    this.reader = new PacketReader(input, "fake client");
    this.input = input;
  }
  private readonly input: InputBuffer;

  async start(): Promise<void> {
    await this.stream.write(te.encode(`${this.serverVersion}\r\n`));
    const line = await this.input.readLine(255);
    this.clientVersion = new TextDecoder().decode(line!);
  }

  async send(payload: Uint8Array): Promise<void> {
    const seq = this.seqOut;
    this.seqOut = (seq + 1) >>> 0;
    await this.stream.write(await this.sealer.seal(seq, buildPacket(payload, this.sealer)));
  }

  async recv(): Promise<Uint8Array> {
    const p = await this.reader.next(false);
    if (!p) throw new Error("client closed");
    return p.payload;
  }

  /** Receives until a payload of `type`, returning the skipped ones too. */
  async recvType(type: number): Promise<{ msg: Uint8Array; skipped: Uint8Array[] }> {
    const skipped: Uint8Array[] = [];
    for (;;) {
      const p = await this.recv();
      if (p[0] === type) return { msg: p, skipped };
      skipped.push(p);
    }
  }

  /** A full server-side kex; `clientKexInit` when the client's KEXINIT was already read. */
  async kex(clientKexInit?: Uint8Array, hostKey = this.hostKey): Promise<Uint8Array[]> {
    const first = this.sessionId === undefined;
    const ours = encodeKexInit({
      kex: [
        ...(this.opts.wrongGuess ? ["ecdh-sha2-nistp256"] : []),
        this.opts.mlkem ? "mlkem768x25519-sha256" : "curve25519-sha256",
        ...(first && this.opts.strict ? ["kex-strict-s-v00@openssh.com"] : []),
      ],
      hostKey: ["ssh-ed25519"],
      cipherCS: [CHACHA.name],
      cipherSC: [CHACHA.name],
      macCS: ["hmac-sha2-256"],
      macSC: ["hmac-sha2-256"],
      compCS: ["none"],
      compSC: ["none"],
      langCS: [],
      langSC: [],
      firstKexPacketFollows: !!this.opts.wrongGuess,
    });
    await this.send(ours);
    // The guessed packet for the method we will not agree on: the client must drop it.
    if (this.opts.wrongGuess) await this.send(Uint8Array.of(31, 0, 0, 0, 0));
    let skipped: Uint8Array[] = [];
    if (!clientKexInit) {
      const r = await this.recvType(20);
      clientKexInit = r.msg;
      skipped = r.skipped;
    }
    const ci = parseKexInit(clientKexInit);
    assert(ci.kex.includes("curve25519-sha256"));
    const init = await this.recvType(30);
    skipped.push(...init.skipped);
    const clientBlob = new WireReader(init.msg.subarray(1)).string();
    // Hybrid: the client blob is ML-KEM-768 ek || X25519 public; plain: just X25519.
    const qc = this.opts.mlkem ? clientBlob.subarray(1184) : clientBlob;
    const kp = await crypto.subtle.generateKey({ name: "X25519" }, true, [
      "deriveBits",
    ]) as CryptoKeyPair;
    const qs = new Uint8Array(await crypto.subtle.exportKey("raw", kp.publicKey));
    const peer = await crypto.subtle.importKey(
      "raw",
      qc as BufferSource,
      { name: "X25519" },
      false,
      [],
    );
    const shared = new Uint8Array(
      await crypto.subtle.deriveBits({ name: "X25519", public: peer }, kp.privateKey, 256),
    );
    let k = new WireWriter(40).mpintBytes(shared).finish();
    let serverField = qs;
    if (this.opts.mlkem) {
      const { cipherText, sharedSecret } = ml_kem768.encapsulate(clientBlob.subarray(0, 1184));
      k = new WireWriter(40).string(digest("SHA-256", sharedSecret, shared)).finish();
      serverField = Uint8Array.of(...cipherText, ...qs);
    }
    const h = exchangeHash("SHA-256", {
      clientVersion: this.clientVersion,
      serverVersion: this.serverVersion,
      clientKexInit,
      serverKexInit: ours,
      hostKey: hostKey.blob,
      clientField: new WireWriter(clientBlob.length + 4).string(clientBlob).finish(),
      serverField,
      sharedSecret: k,
    });
    this.sessionId ??= h;
    const sig = await hostKey.sign(h);
    if (this.opts.corruptSignature) sig[sig.length - 1] ^= 1;
    await this.send(
      new WireWriter(256).u8(31).string(hostKey.blob).string(serverField).string(sig).finish(),
    );
    await this.send(Uint8Array.of(21));
    const key = (l: string, n: number) => deriveKey("SHA-256", k, h, l, this.sessionId!, n);
    this.sealer = CHACHA.sealer(key("D", 64), new Uint8Array(0));
    if (this.opts.strict) this.seqOut = 0;
    const nk = await this.recvType(21);
    skipped.push(...nk.skipped);
    this.reader.setOpener(CHACHA.opener(key("C", 64), new Uint8Array(0)), !!this.opts.strict);
    return skipped;
  }

  close(): void {
    this.stream.close();
  }
}

/** Narrows `e` to `cls` or fails the test with what it was instead. */
function expectError<T extends Error>(e: unknown, cls: new (...a: never[]) => T): T {
  if (!(e instanceof cls)) throw new Error(`expected ${cls.name}, got ${e}`);
  return e;
}

async function withServer(
  opts: ServerOptions,
  script: (s: FakeServer) => Promise<void>,
  client: (t: SshTransport) => Promise<void>,
): Promise<{ clientErr?: Error; serverErr?: Error }> {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  const hostKey = await ed25519HostKey();
  let serverErr: Error | undefined;
  const server = (async () => {
    const conn = await l.accept();
    l.close();
    const s = new FakeServer(conn, hostKey, opts);
    try {
      await s.start();
      await script(s);
    } catch (e) {
      serverErr = e as Error;
    } finally {
      s.close();
    }
  })();
  let clientErr: Error | undefined;
  try {
    const t = await connectTransport({
      host: "127.0.0.1",
      port,
      verifyHostKey: () => Promise.resolve(),
    });
    try {
      await client(t);
    } finally {
      t.close();
    }
  } catch (e) {
    clientErr = e as Error;
  }
  await server;
  return { clientErr, serverErr };
}

Deno.test("fake kex: a corrupted host key signature → 'incorrect signature', connection refused", async () => {
  const r = await withServer({ corruptSignature: true }, async (s) => {
    await s.kex();
  }, () => Promise.resolve());
  const e = expectError(r.clientErr, ProtocolError);
  assert(e.message.includes("incorrect signature"), e.message);
});

Deno.test("fake kex: strict kex with sequence reset; UNIMPLEMENTED for unknown types; DEBUG; EXT_INFO", async () => {
  let unimplementedSeq = -1;
  const r = await withServer({ strict: true }, async (s) => {
    await s.kex();
    // After NEWKEYS under strict kex, this is server packet #0.
    await s.send(
      new WireWriter(64).u8(7).u32(1).string("server-sig-algs").string("ssh-ed25519,rsa-sha2-256")
        .finish(),
    );
    await s.send(new WireWriter(64).u8(4).bool(false).string("hello").string("").finish()); // #1
    await s.send(Uint8Array.of(9, 1, 2, 3)); // #2: unknown transport type
    await s.send(new WireWriter(32).u8(6).string("ssh-userauth").finish());
    const { msg } = await s.recvType(3);
    unimplementedSeq = new WireReader(msg.subarray(1)).u32();
    await s.recvType(1); // the client's DISCONNECT
  }, async (t) => {
    assert(t.strictKex);
    const p = await t.receive();
    assertEquals(p?.[0], 6);
    assertEquals(t.serverSigAlgs, ["ssh-ed25519", "rsa-sha2-256"]);
    // Give the UNIMPLEMENTED time to go out before disconnecting.
    await t.disconnect(11, "bye");
  });
  assertEquals(r.clientErr, undefined);
  assertEquals(r.serverErr, undefined);
  assertEquals(unimplementedSeq, 2);
});

Deno.test("fake kex: server-initiated rekey while the client sends; nothing lost or reordered", async () => {
  const received: number[] = [];
  const r = await withServer({ strict: true }, async (s) => {
    await s.kex();
    // Read a few client packets, then rekey in the middle of the client's stream.
    for (let i = 0; i < 5; i++) received.push(new WireReader((await s.recv()).subarray(1)).u32());
    const skipped = await s.kex();
    for (const p of skipped) received.push(new WireReader(p.subarray(1)).u32());
    while (received.length < 200) received.push(new WireReader((await s.recv()).subarray(1)).u32());
    await s.send(new WireWriter(32).u8(6).string("done").finish());
    await s.recvType(1);
  }, async (t) => {
    // Spread the sends out so some are queued while the rekey is in progress.
    for (let i = 0; i < 200; i++) {
      await t.send(new WireWriter(16).u8(94).u32(i).finish());
      if (i % 4 === 0) await new Promise((res) => setTimeout(res, 1));
    }
    const p = await t.receive();
    assertEquals(p?.[0], 6);
    assertEquals(t.stats.rekeys, 1);
    await t.disconnect(11, "bye");
  });
  assertEquals(r.serverErr, undefined);
  assertEquals(r.clientErr, undefined);
  assertEquals(received, Array.from({ length: 200 }, (_, i) => i));
});

Deno.test("fake kex: a different host key on rekey is refused", async () => {
  const other = await ed25519HostKey();
  const r = await withServer({ strict: true }, async (s) => {
    await s.kex();
    await s.kex(undefined, other);
    await s.recvType(1);
  }, async (t) => {
    await t.receive();
  });
  const e = expectError(r.clientErr, ProtocolError);
  assert(e.message.includes("host key changed"), e.message);
});

Deno.test("fake kex: client rekey() answered by the server; then a server DISCONNECT ends receive()", async () => {
  const r = await withServer({}, async (s) => {
    await s.kex();
    const { msg } = await s.recvType(20);
    await s.kex(msg);
    await s.send(new WireWriter(64).u8(1).u32(11).string("closing now").string("").finish());
  }, async (t) => {
    t.rekey();
    let err: unknown;
    try {
      await t.receive();
    } catch (e) {
      err = e;
    }
    const d = expectError(err, DisconnectError);
    assert(d.message.endsWith(":11: closing now"), d.message);
    assertEquals(t.stats.rekeys, 1);
  });
  assertEquals(r.serverErr, undefined);
  assertEquals(r.clientErr, undefined);
});

Deno.test("fake kex: a server that stops reading makes send() wait (bounded queue), close() releases it", async () => {
  let release!: () => void;
  const stopped = new Promise<void>((r) => (release = r));
  let blockedAfter = -1;
  const r = await withServer({ strict: true }, async (s) => {
    await s.kex();
    await stopped; // never reads again until the client is done
  }, async (t) => {
    const chunk = new WireWriter(32 * 1024 + 16).u8(94).u32(0).string(new Uint8Array(32 * 1024))
      .finish();
    let pending: Promise<unknown> = Promise.resolve();
    for (let i = 0; i < 2000; i++) {
      pending = t.send(chunk);
      const ok = await Promise.race([
        pending.then(() => true),
        new Promise<boolean>((res) => setTimeout(() => res(false), 300)),
      ]);
      if (!ok) {
        blockedAfter = i;
        break;
      }
    }
    t.close();
    const settled = await Promise.race([
      pending.then(() => true, () => true),
      new Promise<boolean>((res) => setTimeout(() => res(false), 1000)),
    ]);
    assert(settled, "close() did not release the waiting send()");
    release();
  });
  assertEquals(r.clientErr, undefined);
  // Socket buffers absorb some megabytes; the transport's own queue is capped at 4 MiB.
  assert(blockedAfter > 0 && blockedAfter < 1000, `send() never blocked (${blockedAfter})`);
});

Deno.test("fake kex: mlkem768x25519-sha256 end to end against a @noble/post-quantum server side", async () => {
  const r = await withServer({ strict: true, mlkem: true }, async (s) => {
    await s.kex();
    await s.send(new WireWriter(32).u8(6).string("ssh-userauth").finish());
    await s.recvType(1);
  }, async (t) => {
    assertEquals(t.algorithms.kex, "mlkem768x25519-sha256");
    assertEquals((await t.receive())?.[0], 6);
    await t.disconnect(11, "bye");
  });
  assertEquals(r.clientErr, undefined);
  assertEquals(r.serverErr, undefined);
  assertEquals(r.clientErr, undefined);
});

Deno.test("fake kex: a wrong first_kex_packet_follows guess is discarded (RFC 4253 §7)", async () => {
  const r = await withServer({ wrongGuess: true }, async (s) => {
    await s.kex();
    await s.send(new WireWriter(32).u8(6).string("ssh-userauth").finish());
    await s.recvType(1);
  }, async (t) => {
    assertEquals(t.algorithms.kex, "curve25519-sha256");
    assertEquals((await t.receive())?.[0], 6);
    await t.disconnect(11, "bye");
  });
  assertEquals(r.clientErr, undefined);
  assertEquals(r.serverErr, undefined);
});

Deno.test("fake kex: the read timeout (ServerAlive × Count) ends a wait for a silent server, not idle time", async () => {
  const r = await withServer({}, async (s) => {
    await s.kex();
    await s.recv().catch(() => {}); // silent until the client leaves
  }, async (t) => {
    t.setReadTimeout(300);
    // Nobody waiting (ssh at a password prompt): no timeout however long.
    await new Promise((res) => setTimeout(res, 700));
    const start = Date.now();
    let err: unknown;
    try {
      await t.receive();
    } catch (e) {
      err = e;
    }
    const d = expectError(err, DisconnectError);
    assert(/^Connection to 127\.0\.0\.1 port \d+ timed out$/.test(d.message), d.message);
    const waited = Date.now() - start;
    assert(waited >= 250 && waited < 5000, `waited ${waited} ms`);
  });
  assertEquals(r.clientErr, undefined);
});
