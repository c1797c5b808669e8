// Forwarding wire encodings: round trips, exact bytes, truncation and fuzzing (DecodeError only).
import { assertEquals, assertThrows } from "@std/assert";
import { DecodeError } from "../../lib/errors.ts";
import {
  decodeAllocatedPort,
  decodeDirectStreamlocal,
  decodeDirectTcpip,
  decodeForwardedStreamlocal,
  decodeForwardedTcpip,
  decodeStreamlocalForward,
  decodeTcpipForward,
  encodeDirectStreamlocal,
  encodeDirectTcpip,
  encodeForwardedStreamlocal,
  encodeForwardedTcpip,
  encodeStreamlocalForward,
  encodeTcpipForward,
} from "../../lib/ssh/forward/messages.ts";
import { remoteBindHost } from "../../lib/ssh/forward/remote.ts";
import { localBindAddresses } from "../../lib/ssh/forward/bind.ts";

const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");

Deno.test("direct-tcpip and tcpip-forward encode as RFC 4254 §7 says", () => {
  assertEquals(
    hex(encodeDirectTcpip("h", 0x1234, "1.2.3.4", 80)),
    "0000000168" + "00001234" + "00000007312e322e332e34" + "00000050",
  );
  assertEquals(hex(encodeTcpipForward("", 0)), "00000000" + "00000000");
  assertEquals(hex(encodeDirectStreamlocal("/s")), "000000022f73" + "00000000" + "00000000");
  assertEquals(hex(encodeStreamlocalForward("/s")), "000000022f73");
});

Deno.test("round trips", () => {
  assertEquals(decodeDirectTcpip(encodeDirectTcpip("example.org", 443, "::1", 5)), {
    host: "example.org",
    port: 443,
    originIp: "::1",
    originPort: 5,
  });
  const fwd = {
    listenAddress: "localhost",
    listenPort: 2222,
    originatorAddress: "10.0.0.1",
    originatorPort: 9,
  };
  assertEquals(decodeForwardedTcpip(encodeForwardedTcpip(fwd)), fwd);
  assertEquals(decodeForwardedStreamlocal(encodeForwardedStreamlocal("/tmp/x")), {
    path: "/tmp/x",
  });
  // Without the reserved string (older peers) it still decodes.
  assertEquals(decodeForwardedStreamlocal(encodeStreamlocalForward("/tmp/x")), { path: "/tmp/x" });
  assertEquals(decodeDirectStreamlocal(encodeDirectStreamlocal("/p")), { path: "/p" });
  assertEquals(decodeTcpipForward(encodeTcpipForward("*", 0)), { address: "*", port: 0 });
  assertEquals(decodeStreamlocalForward(encodeStreamlocalForward("/q")), { path: "/q" });
  assertEquals(decodeAllocatedPort(Uint8Array.of(0, 0, 0xc3, 0x50)), 50000);
});

Deno.test("bad ports, trailing bytes, NULs and truncation are DecodeErrors", () => {
  assertThrows(() => decodeAllocatedPort(Uint8Array.of(0, 1, 0, 0)), DecodeError);
  assertThrows(() => decodeAllocatedPort(Uint8Array.of(0, 1)), DecodeError);
  const ok = encodeForwardedTcpip({
    listenAddress: "a",
    listenPort: 1,
    originatorAddress: "b",
    originatorPort: 2,
  });
  for (let i = 0; i < ok.length; i++) {
    assertThrows(() => decodeForwardedTcpip(ok.subarray(0, i)), DecodeError);
  }
  const trailing = new Uint8Array([...ok, 0]);
  assertThrows(() => decodeForwardedTcpip(trailing), DecodeError);
  const nul = encodeForwardedTcpip({
    listenAddress: "a\0b",
    listenPort: 1,
    originatorAddress: "b",
    originatorPort: 2,
  });
  assertThrows(() => decodeForwardedTcpip(nul), DecodeError);
  const bigPort = encodeForwardedTcpip({
    listenAddress: "a",
    listenPort: 70000,
    originatorAddress: "b",
    originatorPort: 2,
  });
  assertThrows(() => decodeForwardedTcpip(bigPort), DecodeError);
  const longName = encodeForwardedStreamlocal("x".repeat(2000));
  assertThrows(() => decodeForwardedStreamlocal(longName), DecodeError);
});

Deno.test("fuzzed forwarded-* payloads only throw DecodeError", () => {
  let seed = 7;
  const rnd = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
  const base = encodeForwardedTcpip({
    listenAddress: "localhost",
    listenPort: 80,
    originatorAddress: "127.0.0.1",
    originatorPort: 3,
  });
  for (let i = 0; i < 5000; i++) {
    const b = base.slice();
    for (let f = 0; f < 3; f++) b[Math.floor(rnd() * b.length)] = Math.floor(rnd() * 256);
    for (const d of [decodeForwardedTcpip, decodeForwardedStreamlocal, decodeDirectTcpip]) {
      try {
        d(b.subarray(0, Math.floor(rnd() * (b.length + 1))));
      } catch (e) {
        if (!(e instanceof DecodeError)) throw e;
      }
    }
  }
});

Deno.test("bind address rules follow ssh (client side)", () => {
  assertEquals(localBindAddresses(undefined, false), ["::1", "127.0.0.1"]);
  assertEquals(localBindAddresses(undefined, true), ["::", "0.0.0.0"]);
  assertEquals(localBindAddresses("", false), ["::", "0.0.0.0"]);
  assertEquals(localBindAddresses("*", false), ["::", "0.0.0.0"]);
  assertEquals(localBindAddresses("localhost", true), ["::1", "127.0.0.1"]);
  assertEquals(localBindAddresses("10.1.2.3", false), ["10.1.2.3"]);
  assertEquals(remoteBindHost(undefined), "localhost");
  assertEquals(remoteBindHost(""), "");
  assertEquals(remoteBindHost("*"), "");
  assertEquals(remoteBindHost("0.0.0.0"), "0.0.0.0");
});
