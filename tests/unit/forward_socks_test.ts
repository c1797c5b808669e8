// SOCKS4/4a/5 request parsing (complete, byte-by-byte, malformed, fuzzed) and the server
// handshake over an in-memory stream (replies, pipelined data, EOF, timeout, size cap).
import { assert, assertEquals, assertRejects, assertThrows } from "@std/assert";
import { formatIPv6 as formatIpv6 } from "../../ffi/sockaddr.ts";
import {
  MAX_SOCKS_REQUEST,
  parseSocks4Request,
  parseSocks5Greeting,
  parseSocks5Request,
  socks5Reply,
  SocksError,
} from "../../lib/ssh/forward/socks_parse.ts";
import { type ChunkStream, socksHandshake } from "../../lib/ssh/forward/socks_server.ts";

const enc = new TextEncoder();
const cat = (...parts: (number[] | Uint8Array | string)[]) =>
  new Uint8Array(
    parts.flatMap((p) => typeof p === "string" ? [...enc.encode(p)] : [...p]),
  );

const socks4 = cat([4, 1, 0x1f, 0x90, 10, 0, 0, 7], "bob", [0]);
const socks4a = cat([4, 1, 0, 80, 0, 0, 0, 9], "", [0], "example.org", [0]);
const socks5Domain = cat([5, 1, 0, 3, 11], "example.org", [0x01, 0xbb]);
const socks5V4 = cat([5, 1, 0, 1, 192, 168, 1, 2, 0, 22]);
const socks5V6 = cat([5, 1, 0, 4, 0x20, 0x01, 0x0d, 0xb8, ...new Array(11).fill(0), 1, 0, 80]);

Deno.test("socks4: CONNECT with user id parses; every strict prefix needs more", () => {
  const r = parseSocks4Request(socks4)!;
  assertEquals([r.version, r.host, r.port, r.addressType, r.consumed], [
    4,
    "10.0.0.7",
    8080,
    "ipv4",
    socks4.length,
  ]);
  for (let i = 0; i < socks4.length; i++) {
    assertEquals(parseSocks4Request(socks4.subarray(0, i)), null);
  }
});

Deno.test("socks4a: 0.0.0.x means a host name follows the user id", () => {
  const r = parseSocks4Request(socks4a)!;
  assertEquals([r.host, r.port, r.addressType, r.consumed], [
    "example.org",
    80,
    "domain",
    socks4a.length,
  ]);
  for (let i = 0; i < socks4a.length; i++) {
    assertEquals(parseSocks4Request(socks4a.subarray(0, i)), null);
  }
  // Trailing pipelined data is not consumed.
  assertEquals(parseSocks4Request(cat(socks4a, "GET /"))!.consumed, socks4a.length);
});

Deno.test("socks4: malformed requests throw SocksError (with a reject reply for BIND)", () => {
  assertThrows(() => parseSocks4Request(cat([5])), SocksError);
  const bind = assertThrows(
    () => parseSocks4Request(cat([4, 2, 0, 80, 1, 2, 3, 4, 0])),
    SocksError,
  );
  assertEquals(bind.reply, Uint8Array.of(0, 0x5b, 0, 0, 0, 0, 0, 0));
  // User id without NUL past its cap.
  assertThrows(
    () => parseSocks4Request(cat([4, 1, 0, 80, 1, 2, 3, 4], "u".repeat(256))),
    SocksError,
  );
  assertEquals(parseSocks4Request(cat([4, 1, 0, 80, 1, 2, 3, 4], "u".repeat(255))), null);
  // 4a host name past its cap, empty, or with control characters.
  assertThrows(
    () => parseSocks4Request(cat([4, 1, 0, 80, 0, 0, 0, 1], [0], "h".repeat(256))),
    SocksError,
  );
  assertThrows(() => parseSocks4Request(cat([4, 1, 0, 80, 0, 0, 0, 1], [0, 0])), SocksError);
  assertThrows(
    () => parseSocks4Request(cat([4, 1, 0, 80, 0, 0, 0, 1], [0], "a\nb", [0])),
    SocksError,
  );
});

Deno.test("socks5: greeting and requests for IPv4, domain and IPv6 targets", () => {
  assertEquals(parseSocks5Greeting(cat([5, 2, 0, 2])), { methods: [0, 2], consumed: 4 });
  assertEquals(parseSocks5Greeting(cat([5, 2, 0])), null);
  assertEquals(parseSocks5Greeting(cat([5])), null);
  const d = parseSocks5Request(socks5Domain)!;
  assertEquals([d.host, d.port, d.addressType, d.consumed], [
    "example.org",
    443,
    "domain",
    socks5Domain.length,
  ]);
  const v4 = parseSocks5Request(socks5V4)!;
  assertEquals([v4.host, v4.port, v4.addressType], ["192.168.1.2", 22, "ipv4"]);
  const v6 = parseSocks5Request(socks5V6)!;
  assertEquals([v6.host, v6.port, v6.addressType], ["2001:db8::1", 80, "ipv6"]);
  for (const msg of [socks5Domain, socks5V4, socks5V6]) {
    for (let i = 0; i < msg.length; i++) assertEquals(parseSocks5Request(msg.subarray(0, i)), null);
  }
});

Deno.test("socks5: malformed greeting/request throws, unsupported ones carry the reply", () => {
  assertThrows(() => parseSocks5Greeting(cat([4, 1, 0])), SocksError);
  assertThrows(() => parseSocks5Greeting(cat([5, 0])), SocksError);
  assertThrows(() => parseSocks5Request(cat([5, 1, 1, 1, 1, 2, 3, 4, 0, 1])), SocksError); // RSV
  assertThrows(() => parseSocks5Request(cat([5, 1, 0, 3, 0, 0, 80])), SocksError); // empty name
  const atyp = assertThrows(() => parseSocks5Request(cat([5, 1, 0, 9, 1, 2])), SocksError);
  assertEquals(atyp.reply, socks5Reply(0x08));
  const cmd = assertThrows(
    () => parseSocks5Request(cat([5, 2, 0, 1, 1, 2, 3, 4, 0, 1])),
    SocksError,
  );
  assertEquals(cmd.reply, socks5Reply(0x07));
  // UDP ASSOCIATE still incomplete: no reply before the whole request is in.
  assertEquals(parseSocks5Request(cat([5, 3, 0, 1, 1, 2])), null);
});

Deno.test("formatIpv6: RFC 5952 compression", () => {
  const b = (groups: number[]) => new Uint8Array(groups.flatMap((g) => [g >> 8, g & 0xff]));
  assertEquals(formatIpv6(b([0, 0, 0, 0, 0, 0, 0, 1])), "::1");
  assertEquals(formatIpv6(b([0, 0, 0, 0, 0, 0, 0, 0])), "::");
  assertEquals(formatIpv6(b([0xfe80, 0, 0, 0, 1, 0, 0, 2])), "fe80::1:0:0:2");
  assertEquals(formatIpv6(b([1, 0, 2, 0, 3, 0, 4, 0])), "1:0:2:0:3:0:4:0");
  assertEquals(formatIpv6(b([1, 2, 3, 4, 5, 6, 0, 0])), "1:2:3:4:5:6::");
});

Deno.test("socks parsers: fuzzed input only ever yields null, a result or SocksError", () => {
  let seed = 12345;
  const rnd = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
  const seeds = [socks4, socks4a, socks5Domain, socks5V4, socks5V6, cat([5, 1, 0])];
  for (let i = 0; i < 20000; i++) {
    let buf: Uint8Array;
    if (i % 2 === 0) {
      buf = seeds[i % seeds.length].slice();
      const flips = 1 + Math.floor(rnd() * 4);
      for (let f = 0; f < flips; f++) buf[Math.floor(rnd() * buf.length)] = Math.floor(rnd() * 256);
      buf = buf.subarray(0, Math.floor(rnd() * (buf.length + 1)));
    } else {
      buf = new Uint8Array(Math.floor(rnd() * 600)).map(() => Math.floor(rnd() * 256));
    }
    for (const parse of [parseSocks4Request, parseSocks5Greeting, parseSocks5Request]) {
      try {
        const r = parse(buf);
        if (r) assert(r.consumed <= buf.length && r.consumed <= MAX_SOCKS_REQUEST);
      } catch (e) {
        if (!(e instanceof SocksError)) throw e;
      }
    }
  }
});

/** A scripted client: chunks to deliver, and everything the server wrote. */
function stream(chunks: Uint8Array[], opts: { hangAtEnd?: boolean } = {}) {
  const written: number[] = [];
  const io: ChunkStream = {
    readChunk() {
      const c = chunks.shift();
      if (c) return Promise.resolve(c);
      return opts.hangAtEnd ? new Promise(() => {}) : Promise.resolve(null);
    },
    write(d) {
      written.push(...d);
      return Promise.resolve();
    },
  };
  return { io, written };
}

Deno.test("handshake: SOCKS5 byte by byte, method reply, success reply, pipelined leftover", async () => {
  const all = cat([5, 1, 0], socks5Domain, "hello");
  const { io, written } = stream([...all].map((b) => Uint8Array.of(b)));
  // The leftover arrives in later chunks only when read; here all bytes come one at a time, so
  // the handshake stops right after the request and the leftover is empty.
  const hs = await socksHandshake(io);
  assertEquals([hs.request.host, hs.request.port, hs.request.version], ["example.org", 443, 5]);
  assertEquals(written, [5, 0]);
  await hs.succeed();
  assertEquals(written.slice(2), [...socks5Reply(0)]);
  assertEquals(hs.leftover.length, 0);

  const two = stream([cat([5, 1, 0], socks5V4, "abc")]);
  const hs2 = await socksHandshake(two.io);
  assertEquals(new TextDecoder().decode(hs2.leftover), "abc");
  await hs2.fail("refused");
  assertEquals(two.written.slice(2), [...socks5Reply(0x05)]);
});

Deno.test("handshake: SOCKS4a success and failure replies", async () => {
  const ok = stream([socks4a]);
  const hs = await socksHandshake(ok.io);
  assertEquals(hs.request.host, "example.org");
  await hs.succeed();
  assertEquals(ok.written, [0, 0x5a, 0, 0, 0, 0, 0, 0]);
  const bad = stream([socks4]);
  await (await socksHandshake(bad.io)).fail("unreachable");
  assertEquals(bad.written, [0, 0x5b, 0, 0, 0, 0, 0, 0]);
});

Deno.test("handshake: no acceptable method gets 0xff; unknown version, EOF and BIND fail", async () => {
  const noAuth = stream([cat([5, 1, 2])]);
  await assertRejects(() => socksHandshake(noAuth.io), SocksError, "no acceptable");
  assertEquals(noAuth.written, [5, 0xff]);
  await assertRejects(() => socksHandshake(stream([cat([0x47, 0x45])]).io), SocksError);
  await assertRejects(() => socksHandshake(stream([cat([5, 1])]).io), SocksError, "closed");
  const bind = stream([cat([5, 1, 0, 5, 2, 0, 1, 1, 2, 3, 4, 0, 1])]);
  await assertRejects(() => socksHandshake(bind.io), SocksError, "command 2");
  assertEquals(bind.written, [5, 0, ...socks5Reply(0x07)]);
});

Deno.test("handshake: a silent client times out", async () => {
  const { io } = stream([cat([5, 1, 0])], { hangAtEnd: true });
  await assertRejects(() => socksHandshake(io, { timeoutMs: 50 }), SocksError, "timed out");
});

Deno.test("handshake: fuzzed chunk streams end in a request or SocksError, never hang", async () => {
  let seed = 99;
  const rnd = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
  for (let i = 0; i < 500; i++) {
    const base = [socks4, socks4a, cat([5, 1, 0], socks5V6), cat([5, 1, 0], socks5Domain)][i % 4]
      .slice();
    for (let f = 0; f < 3; f++) base[Math.floor(rnd() * base.length)] = Math.floor(rnd() * 256);
    const chunks: Uint8Array[] = [];
    for (let off = 0; off < base.length;) {
      const n = 1 + Math.floor(rnd() * 8);
      chunks.push(base.subarray(off, off + n));
      off += n;
    }
    try {
      const hs = await socksHandshake(stream(chunks).io, { timeoutMs: 1000 });
      assert(hs.request.port >= 0 && hs.request.port <= 0xffff);
    } catch (e) {
      if (!(e instanceof SocksError)) throw e;
    }
  }
});
