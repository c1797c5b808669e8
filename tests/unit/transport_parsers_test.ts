// Transport codecs and parsers: KEXINIT, kex reply, EXT_INFO, version lines, packet framing,
// algorithm lists and negotiation — including fuzz loops that may only raise typed errors.

import { assert, assertEquals, assertRejects, assertThrows } from "@std/assert";
import { ProtocolError } from "../../lib/errors.ts";
import { WireWriter } from "../../lib/wire/writer.ts";
import {
  AlgorithmListError,
  DEFAULTS,
  negotiate,
  preferHostKeyTypes,
  resolveAlgorithms,
} from "../../lib/ssh/transport/algorithms.ts";
import {
  chooseAlgorithms,
  encodeKexInit,
  type KexInit,
  parseKexInit,
} from "../../lib/ssh/transport/kexinit.ts";
import { parseExtInfo } from "../../lib/ssh/transport/ext_info.ts";
import {
  encodeDisconnect,
  encodeUnimplemented,
  parseDebug,
  parseDisconnect,
  parseUnimplemented,
} from "../../lib/ssh/transport/transport_messages.ts";
import { deriveKey, parseKexReply } from "../../lib/ssh/transport/key_exchange.ts";
import { InputBuffer } from "../../lib/ssh/transport/input_buffer.ts";
import { readServerVersion } from "../../lib/ssh/transport/version.ts";
import type { ByteStream } from "../../lib/ssh/transport/byte_stream.ts";
import {
  buildPacket,
  checkPacketLength,
  noneOpener,
  noneSealer,
  payloadOf,
} from "../../lib/ssh/transport/packet_codec.ts";
import { cipherByName } from "../../lib/ssh/crypto/ciphers.ts";
import { digest } from "../../lib/ssh/crypto/hash.ts";
import { keyTypeForAlgorithm } from "../../lib/ssh/keys/public_key.ts";

/** Deterministic PRNG so fuzz failures reproduce. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function mutate(base: Uint8Array, rand: () => number): Uint8Array {
  const b = Uint8Array.from(base);
  const kind = Math.floor(rand() * 3);
  if (kind === 0) {
    for (let i = 0; i < 1 + rand() * 4; i++) {
      b[Math.floor(rand() * b.length)] = Math.floor(rand() * 256);
    }
    return b;
  }
  if (kind === 1) return b.subarray(0, Math.floor(rand() * b.length));
  const extra = new Uint8Array(Math.floor(rand() * 64)).map(() => Math.floor(rand() * 256));
  return Uint8Array.of(...b, ...extra);
}

/** Runs `fn` on mutated inputs; anything but a ProtocolError (incl. DecodeError) fails. */
function fuzz(base: Uint8Array, fn: (b: Uint8Array) => unknown, rounds = 3000): void {
  const rand = prng(base.length * 7919 + rounds);
  for (let i = 0; i < rounds; i++) {
    const input = mutate(base, rand);
    try {
      fn(input);
    } catch (e) {
      if (!(e instanceof ProtocolError)) throw new Error(`untyped error on round ${i}: ${e}`);
    }
  }
}

const sampleInit: KexInit = {
  cookie: new Uint8Array(16).fill(7),
  kex: ["curve25519-sha256", "kex-strict-s-v00@openssh.com"],
  hostKey: ["ssh-ed25519", "rsa-sha2-512"],
  cipherCS: ["aes128-ctr", "chacha20-poly1305@openssh.com"],
  cipherSC: ["aes128-ctr"],
  macCS: ["hmac-sha2-256"],
  macSC: ["hmac-sha2-256"],
  compCS: ["none"],
  compSC: ["none"],
  langCS: [],
  langSC: [],
  firstKexPacketFollows: false,
};

Deno.test("KEXINIT: encode/parse round trip", () => {
  const p = parseKexInit(encodeKexInit(sampleInit));
  assertEquals(p.kex, sampleInit.kex);
  assertEquals(p.cipherCS, sampleInit.cipherCS);
  assertEquals(p.langSC, []);
  assertEquals(Array.from(p.cookie), Array.from(sampleInit.cookie));
});

Deno.test("KEXINIT: fuzzed messages raise only typed errors", () => {
  fuzz(encodeKexInit(sampleInit), parseKexInit);
});

Deno.test("negotiation: RFC 4253 §7.1 client order; AEAD skips MACs; ssh's error text", () => {
  const ours = { ...sampleInit, kex: ["ecdh-sha2-nistp256", "curve25519-sha256", "ext-info-c"] };
  const theirs = {
    ...sampleInit,
    cipherCS: ["aes128-ctr", "chacha20-poly1305@openssh.com"],
    cipherSC: ["aes128-ctr"],
  };
  ours.cipherCS = ["chacha20-poly1305@openssh.com", "aes128-ctr"];
  ours.cipherSC = ["aes128-ctr"];
  const n = chooseAlgorithms(ours, theirs, (c) => cipherByName(c)?.aead ?? false, "h port 22");
  assertEquals(n.kex, "curve25519-sha256");
  assertEquals(n.cipherCS, "chacha20-poly1305@openssh.com");
  assertEquals(n.macCS, "");
  assertEquals(n.macSC, "hmac-sha2-256");
  const err = assertThrows(
    () => chooseAlgorithms({ ...ours, hostKey: ["ssh-rsa"] }, theirs, () => false, "h port 22"),
    ProtocolError,
  );
  assertEquals(
    err.message,
    "Unable to negotiate with h port 22: no matching host key type found. Their offer: ssh-ed25519,rsa-sha2-512",
  );
  assertEquals(negotiate(["a", "b"], ["b", "a"]), "a");
  assertEquals(negotiate(["a"], ["b"]), undefined);
});

Deno.test("algorithm lists: +append, -remove, ^prepend, wildcards, replace, errors", () => {
  assertEquals(resolveAlgorithms("ciphers"), [...DEFAULTS.ciphers]);
  assertEquals(resolveAlgorithms("ciphers", "aes128-ctr,aes256-ctr"), ["aes128-ctr", "aes256-ctr"]);
  assertEquals(resolveAlgorithms("ciphers", "aes*-gcm@openssh.com"), [
    "aes128-gcm@openssh.com",
    "aes256-gcm@openssh.com",
  ]);
  assertEquals(resolveAlgorithms("ciphers", "-aes*")[0], "chacha20-poly1305@openssh.com");
  assertEquals(resolveAlgorithms("ciphers", "-aes*").length, 1);
  assertEquals(resolveAlgorithms("ciphers", "^aes256-ctr")[0], "aes256-ctr");
  assertEquals(resolveAlgorithms("ciphers", "^aes256-ctr").length, DEFAULTS.ciphers.length);
  const kex = resolveAlgorithms("kex", "+diffie-hellman-group14-sha1");
  assertEquals(kex[kex.length - 1], "diffie-hellman-group14-sha1");
  assert(!resolveAlgorithms("kex").includes("diffie-hellman-group14-sha1"));
  assertEquals(resolveAlgorithms("macs", "-*sha1*").some((m) => m.includes("sha1")), false);
  assertEquals(resolveAlgorithms("hostkey", "rsa-sha2-?12"), ["rsa-sha2-512"]);
  assert(!resolveAlgorithms("hostkey").includes("ssh-rsa"));
  assertEquals(resolveAlgorithms("hostkey", "+ssh-rsa").pop(), "ssh-rsa");
  assertThrows(
    () => resolveAlgorithms("ciphers", "3des-cbc"),
    AlgorithmListError,
    "Bad SSH2 Ciphers spec",
  );
  assertThrows(() => resolveAlgorithms("ciphers", "-*"), AlgorithmListError);
  assertThrows(() => resolveAlgorithms("macs", "nomatch*"), AlgorithmListError);
});

Deno.test("kex reply and EXT_INFO: parse, and fuzzed input raises only typed errors", () => {
  const reply = new WireWriter(256).u8(31).string(new Uint8Array(51)).string(new Uint8Array(32))
    .string(new Uint8Array(83)).finish();
  const r = parseKexReply(reply);
  assertEquals([r.hostKey.length, r.serverField.length, r.signature.length], [51, 32, 83]);
  fuzz(reply, parseKexReply);
  const ext = new WireWriter(256).u8(7).u32(2).string("server-sig-algs").string(
    "ssh-ed25519,rsa-sha2-512",
  )
    .string("publickey-hostbound@openssh.com").string("0").finish();
  const e = parseExtInfo(ext);
  assertEquals(e.serverSigAlgs, ["ssh-ed25519", "rsa-sha2-512"]);
  assertEquals(e.extensions.size, 2);
  fuzz(ext, parseExtInfo);
  assertThrows(() => parseExtInfo(new WireWriter(8).u8(7).u32(100000).finish()), ProtocolError);
});

Deno.test("key derivation: K1 = H(K||H||X||sid), extended with H(K||H||K1)", () => {
  const k = new WireWriter(40).mpintBytes(new Uint8Array(32).fill(0x99)).finish();
  const h = new Uint8Array(32).fill(1), sid = new Uint8Array(32).fill(2);
  const out = deriveKey("SHA-256", k, h, "C", sid, 64);
  const k1 = digest("SHA-256", k, h, Uint8Array.of(0x43), sid);
  const k2 = digest("SHA-256", k, h, k1);
  assertEquals(Array.from(out), [...k1, ...k2]);
  assertEquals(deriveKey("SHA-512", k, h, "A", sid, 12).length, 12);
});

function memoryStream(chunks: Uint8Array[]): ByteStream {
  return {
    read(buf) {
      const c = chunks.shift();
      if (!c) return Promise.resolve(null);
      const n = Math.min(buf.length, c.length);
      buf.set(c.subarray(0, n));
      if (n < c.length) chunks.unshift(c.subarray(n));
      return Promise.resolve(n);
    },
    write: () => Promise.resolve(),
    close() {},
    local: undefined,
    remote: { host: "mem", port: 0 },
  };
}
const te = new TextEncoder();

Deno.test("version exchange: pre-banner lines, CR LF or LF, bytes after the line stay buffered", async () => {
  const input = new InputBuffer(
    memoryStream([
      te.encode("hello\r\nworld\nSSH-2.0-OpenSSH_9.2 Debian\r\n\x00\x00"),
      te.encode("x"),
    ]),
  );
  assertEquals(await readServerVersion(input, "h port 1"), "SSH-2.0-OpenSSH_9.2 Debian");
  assertEquals(input.available, 2);
  const old = new InputBuffer(memoryStream([te.encode("SSH-1.5-old\r\n")]));
  await assertRejects(
    () => readServerVersion(old, "h port 1"),
    ProtocolError,
    "Protocol major versions differ",
  );
  const longBanner = new InputBuffer(
    memoryStream([te.encode("x".repeat(1000) + "\r\nSSH-2.0-ok\r\n")]),
  );
  assertEquals(await readServerVersion(longBanner, "h port 1"), "SSH-2.0-ok");
  // ssh 9.2's rules: lines up to 8 KiB (the identification too), 1024 lines before it, no NUL
  // and nothing but CRs after a CR; each failure is "banner exchange: ...: invalid format".
  const huge = new InputBuffer(memoryStream([te.encode("x".repeat(9000) + "\r\n")]));
  await assertRejects(() => readServerVersion(huge, "h port 1"), ProtocolError, "invalid format");
  const long = new InputBuffer(memoryStream([te.encode("SSH-2.0-" + "x".repeat(300) + "\r\n")]));
  assertEquals((await readServerVersion(long, "h port 1")).length, 308);
  const many = new InputBuffer(memoryStream([te.encode("junk\n".repeat(1100))]));
  await assertRejects(
    () => readServerVersion(many, "h port 1"),
    ProtocolError,
    "banner exchange: Connection to h port 1: invalid format",
  );
  for (
    const bad of ["SSH-2.0-a\x00b\r\n", "SSH-2.0-a\rb\r\n", "pre\x00\nSSH-2.0-x\r\n", "SSH-2.0\r\n"]
  ) {
    const input = new InputBuffer(memoryStream([te.encode(bad)]));
    await assertRejects(
      () => readServerVersion(input, "h port 1"),
      ProtocolError,
      "invalid format",
    );
  }
  const crs = new InputBuffer(memoryStream([te.encode("SSH-2.0-a\x1bb\r\r\n")]));
  assertEquals(await readServerVersion(crs, "h port 1"), "SSH-2.0-a\x1bb");
  const none = new InputBuffer(memoryStream([]));
  await assertRejects(
    () => readServerVersion(none, "h port 1"),
    Error,
    "Connection closed by remote host",
  );
});

Deno.test("packet framing: length caps and padding checks are typed errors; fuzzed packets too", () => {
  const op = noneOpener();
  assertThrows(() => checkPacketLength(0x7fffffff, op), ProtocolError, "Bad packet length");
  assertThrows(() => checkPacketLength(3, op), ProtocolError, "Bad packet length");
  assertThrows(() => checkPacketLength(13, op), ProtocolError, "padding error");
  assertThrows(() => payloadOf(Uint8Array.of(200, 1, 2)), ProtocolError);
  assertThrows(() => payloadOf(Uint8Array.of(4, 0, 0, 0, 0)), ProtocolError);
  const good = buildPacket(Uint8Array.of(94, 1, 2, 3), noneSealer());
  fuzz(good, (b) => {
    const o = noneOpener();
    if (b.length < o.headLength) return;
    const total = checkPacketLength(o.packetLength(0, b), o);
    if (b.length < total) return;
    payloadOf(o.open(0, b.subarray(0, total)) as Uint8Array);
  }, 5000);
  // Random garbage under a real cipher: only ProtocolErrors (bad length or bad MAC).
  const spec = cipherByName("chacha20-poly1305@openssh.com")!;
  const rand = prng(42);
  for (let i = 0; i < 2000; i++) {
    const o = spec.opener(new Uint8Array(64).fill(i & 0xff), new Uint8Array(0));
    const b = new Uint8Array(64).map(() => Math.floor(rand() * 256));
    try {
      const total = checkPacketLength(o.packetLength(i, b), o);
      if (total <= b.length) payloadOf(o.open(i, b.subarray(0, total)) as Uint8Array);
    } catch (e) {
      if (!(e instanceof ProtocolError)) throw e;
    }
  }
});

Deno.test("DISCONNECT/DEBUG/UNIMPLEMENTED: round trip, peer text capped, fuzz → typed errors", () => {
  const d = encodeDisconnect(2, "bad \x1b[31mthing");
  // Kept raw (capped); the logger escapes it when printed (vis_test.ts).
  assertEquals(parseDisconnect(d), { code: 2, description: "bad \x1b[31mthing" });
  fuzz(d, parseDisconnect);
  const dbg = new WireWriter(64).u8(4).bool(true).string("x".repeat(1000)).string("").finish();
  assertEquals(parseDebug(dbg).message.length, 256);
  fuzz(dbg, parseDebug);
  assertEquals(parseUnimplemented(encodeUnimplemented(0xfffffffe)), 0xfffffffe);
  fuzz(encodeUnimplemented(7), parseUnimplemented);
});

Deno.test("host key algorithm order: key types known for the host go first (order_hostkeyalgs)", () => {
  const algs = resolveAlgorithms("hostkey");
  const ordered = preferHostKeyTypes(algs, ["ssh-rsa"], keyTypeForAlgorithm);
  assertEquals(ordered.slice(0, 2), ["rsa-sha2-512", "rsa-sha2-256"]);
  assertEquals(ordered.length, algs.length);
  assertEquals(preferHostKeyTypes(algs, [], keyTypeForAlgorithm), algs);
});
