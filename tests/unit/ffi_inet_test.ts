// TCP from a bound source address (ffi/tcp_connect.ts), its sockaddr encoding (ffi/sockaddr.ts)
// for both ABI tables, getaddrinfo (ffi/inet_resolve.ts), and that no failure path leaks an fd.
import { assert, assertEquals, assertRejects, assertThrows } from "@std/assert";
import { darwinAbi, linuxAbi } from "../../ffi/abi/mod.ts";
import { abi } from "../../ffi/abi/mod.ts";
import {
  connectTcpFrom,
  type InetAddress,
  ResolveError,
  resolveInet,
  SysError,
} from "../../ffi/inet.ts";
import { libc } from "../../ffi/libc.ts";
import { reactorIdle } from "../../ffi/reactor.ts";
import {
  decodeSockaddr,
  encodeSockaddr,
  formatIPv6,
  parseIPv4,
  parseIPv6,
} from "../../ffi/sockaddr.ts";

const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");

Deno.test("sockaddr: IPv4 and IPv6 bytes in the Linux and macOS layouts", () => {
  const v4: InetAddress = { family: "inet", host: "127.0.0.2", port: 22 };
  // family 2 (LE u16), port 22 big-endian, 127.0.0.2, 8 zero bytes
  assertEquals(hex(encodeSockaddr(linuxAbi, v4)), "02000016" + "7f000002" + "00".repeat(8));
  // sin_len 16, family 2 (one byte each)
  assertEquals(hex(encodeSockaddr(darwinAbi, v4)), "10020016" + "7f000002" + "00".repeat(8));
  const v6: InetAddress = { family: "inet6", host: "fe80::1", port: 2222, scopeId: 3 };
  assertEquals(
    hex(encodeSockaddr(linuxAbi, v6)),
    "0a0008ae" + "00000000" + "fe80" + "00".repeat(13) + "01" + "03000000",
  );
  assertEquals(
    hex(encodeSockaddr(darwinAbi, v6)),
    "1c1e08ae" + "00000000" + "fe80" + "00".repeat(13) + "01" + "03000000",
  );
  for (const a of [linuxAbi, darwinAbi]) {
    assertEquals(decodeSockaddr(a, encodeSockaddr(a, v4)), v4);
    assertEquals(decodeSockaddr(a, encodeSockaddr(a, v6)), v6);
  }
});

Deno.test("sockaddr: IPv6 text forms parse and print as inet_ntop does", () => {
  const cases: [string, string][] = [
    ["::", "::"],
    ["::1", "::1"],
    ["2001:DB8:0:0:1:0:0:1", "2001:db8::1:0:0:1"],
    ["2001:db8:0:0:0:0:2:1", "2001:db8::2:1"],
    ["1:0:0:2:0:0:0:3", "1:0:0:2::3"],
    ["1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8"],
    ["1:0:3:4:5:6:7:8", "1:0:3:4:5:6:7:8"],
    ["::ffff:192.0.2.1", "::ffff:192.0.2.1"],
    ["64:ff9b::10.0.0.1", "64:ff9b::a00:1"],
  ];
  for (const [text, canonical] of cases) assertEquals(formatIPv6(parseIPv6(text)), canonical, text);
  assertEquals(Array.from(parseIPv4("10.0.255.7")), [10, 0, 255, 7]);
});

Deno.test("sockaddr: malformed addresses and ports are refused before any fd exists", () => {
  const bad4 = [
    "",
    "1.2.3",
    "1.2.3.4.5",
    "256.1.1.1",
    "1.2.3.-4",
    "1..2.3",
    " 1.2.3.4",
    "0x1.2.3.4",
  ];
  for (const s of bad4) assertThrows(() => parseIPv4(s), TypeError, undefined, s);
  const bad6 = [
    "",
    ":",
    ":::",
    "1:2:3:4:5:6:7",
    "1:2:3:4:5:6:7:8:9",
    "1::2::3",
    "12345::",
    "g::1",
    "1:2:3:4:5:6:7::8",
    "1.2.3.4::",
    "::1.2.3",
    "fe80::1%eth0",
    "[::1]",
  ];
  for (const s of bad6) assertThrows(() => parseIPv6(s), TypeError, undefined, s);
  const enc = (a: InetAddress) => () => encodeSockaddr(linuxAbi, a);
  assertThrows(enc({ family: "inet", host: "::1", port: 1 }), TypeError);
  assertThrows(enc({ family: "inet6", host: "127.0.0.1", port: 1 }), TypeError);
  assertThrows(enc({ family: "inet", host: "127.0.0.1", port: 65536 }), RangeError);
  assertThrows(enc({ family: "inet", host: "127.0.0.1", port: -1 }), RangeError);
  assertThrows(enc({ family: "inet", host: "127.0.0.1", port: 1, scopeId: 2 }), TypeError);
  // decode: a length shorter than the family's struct, an unknown family, a length past the buffer
  const sa = encodeSockaddr(linuxAbi, { family: "inet6", host: "::1", port: 1 });
  assertThrows(() => decodeSockaddr(linuxAbi, sa, 16), RangeError);
  assertThrows(() => decodeSockaddr(linuxAbi, sa, 40), RangeError);
  assertThrows(() => decodeSockaddr(linuxAbi, new Uint8Array(16)), TypeError);
  assertThrows(() => decodeSockaddr(linuxAbi, new Uint8Array(1), 1), TypeError);
});

Deno.test("getaddrinfo: /etc/hosts names, inet_aton forms, family and passive hints, errors", async () => {
  assertEquals(await resolveInet("localhost", { family: "inet" }), [
    { family: "inet", host: "127.0.0.1", port: 0 },
  ]);
  assertEquals(await resolveInet("2130706434", { passive: true }), [
    { family: "inet", host: "127.0.0.2", port: 0 },
  ]);
  const e = await assertRejects(() => resolveInet("::1", { family: "inet" }), ResolveError);
  assertEquals(e.message, "Address family for hostname not supported");
  const n = await assertRejects(() => resolveInet("no-such-host.invalid"), ResolveError);
  assertEquals(n.message, "Name or service not known");
});

/** This process's open fds (Linux). */
function openFds(): number {
  return [...Deno.readDirSync("/proc/self/fd")].length;
}

/** A TCP listener on 127.0.0.1 with a backlog of 0: one pending connection fills it. */
function tinyListener(): { port: number; close(): void } {
  const lib = libc();
  const fd = lib.socket(abi.inet.AF_INET, abi.const.SOCK_STREAM | abi.const.SOCK_CLOEXEC, 0);
  assert(fd >= 0);
  const sa = encodeSockaddr(abi, { family: "inet", host: "127.0.0.1", port: 0 });
  assertEquals(lib.bind(fd, sa, sa.length), 0);
  assertEquals(lib.listen(fd, 0), 0);
  const buf = new Uint8Array(128);
  const len = new Uint32Array([128]);
  assertEquals(lib.getsockname(fd, buf, len), 0);
  return { port: decodeSockaddr(abi, buf, len[0]).port, close: () => lib.close(fd) };
}

Deno.test("connectTcpFrom: leaves from the bound address; failures close their socket", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  const remote: InetAddress = { family: "inet", host: "127.0.0.1", port };
  const from = (host: string): InetAddress => ({ family: "inet", host, port: 0 });
  const tiny = tinyListener();
  try {
    const accepted = listener.accept();
    const c = await connectTcpFrom({ remote, bind: from("127.0.0.2") });
    const peer = await accepted;
    assertEquals((peer.remoteAddr as Deno.NetAddr).hostname, "127.0.0.2");
    assertEquals(c.local.host, "127.0.0.2");
    assertEquals(c.local.port, (peer.remoteAddr as Deno.NetAddr).port);
    await c.io.write(new TextEncoder().encode("ping"));
    const got = new Uint8Array(4);
    assertEquals(await peer.read(got), 4);
    peer.close();
    assertEquals(await c.io.read(new Uint8Array(8)), 0, "end of stream");
    c.io.close();

    // Each failure is repeated ROUNDS times, and the fds of the whole process (other test
    // files run in it at the same time) may grow by fewer than that: a path that leaked its
    // socket would leave ROUNDS behind.
    const ROUNDS = 10;
    const before = openFds();
    const op = async (o: Parameters<typeof connectTcpFrom>[0]) =>
      (await assertRejects(() => connectTcpFrom(o), SysError)).code;
    const held = await connectTcpFrom({
      remote: { ...remote, port: tiny.port },
      bind: from("127.0.0.2"),
    });
    for (let i = 0; i < ROUNDS; i++) {
      // not on this machine, refused (nothing listens on the sshd-free port 1), timed out
      assertEquals(await op({ remote, bind: from("10.255.255.7") }), "EADDRNOTAVAIL");
      assertEquals(
        await op({ remote: { ...remote, port: 1 }, bind: from("127.0.0.2") }),
        "ECONNREFUSED",
      );
      const timedOut = {
        remote: { ...remote, port: tiny.port },
        bind: from("127.0.0.3"),
        timeoutMs: 50,
      };
      assertEquals(await op(timedOut), "ETIMEDOUT");
      // bad text and mixed families throw before a socket exists
      await assertRejects(() => connectTcpFrom({ remote, bind: from("127.0.0.256") }), TypeError);
      await assertRejects(
        () => connectTcpFrom({ remote, bind: { family: "inet6", host: "::1", port: 0 } }),
        TypeError,
      );
    }
    held.io.close();
    const grown = openFds() - before;
    assert(grown < ROUNDS, `${grown} more fds after ${ROUNDS} rounds of failed connects`);
  } finally {
    tiny.close();
    listener.close();
    await reactorIdle();
  }
});

Deno.test("abi: addrinfo and sockaddr_in/in6 fields fit, aligned, in both tables", () => {
  for (const a of [linuxAbi, darwinAbi]) {
    const A = a.inet.addrinfo;
    const fields: [number, number][] = [
      [A.flags, 4],
      [A.family, 4],
      [A.socktype, 4],
      [A.protocol, 4],
      [A.addrlen, 4],
      [A.addr, 8],
      [A.next, 8],
    ];
    const taken = new Set<number>();
    for (const [off, w] of fields) {
      assertEquals(off % w, 0, `${a.os} addrinfo field at ${off} misaligned`);
      assert(off + w <= A.size, `${a.os} addrinfo field at ${off} past its size`);
      for (let i = off; i < off + w; i++) {
        assert(!taken.has(i), `${a.os} addrinfo fields overlap at ${i}`);
        taken.add(i);
      }
    }
    for (const L of [a.inet.sockaddrIn, a.inet.sockaddrIn6]) {
      assertEquals(L.portOffset % 2, 0);
      assert(L.addrOffset + (L === a.inet.sockaddrIn ? 4 : 16) <= L.size);
    }
  }
});
