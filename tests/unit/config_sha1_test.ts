// The SHA-1 behind ControlPath's %C (lib/config/sha1.ts): FIPS 180 examples, and node:crypto as
// the oracle for every length across the padding boundaries (55/56/64 bytes and multiples).

import { assertEquals } from "@std/assert";
import { createHash } from "node:crypto";
import { sha1 } from "../../lib/config/sha1.ts";

const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
const text = (s: string) => new TextEncoder().encode(s);

Deno.test("sha1: FIPS 180 examples", () => {
  assertEquals(hex(sha1(text(""))), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
  assertEquals(hex(sha1(text("abc"))), "a9993e364706816aba3e25717850c26c9cd0d89d");
  assertEquals(
    hex(sha1(text("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"))),
    "84983e441c3bd26ebaae4aa1f95129e5e54670f1",
  );
});

Deno.test("sha1: equals node:crypto for lengths 0..300 of random bytes", () => {
  for (let n = 0; n <= 300; n++) {
    const m = crypto.getRandomValues(new Uint8Array(n));
    assertEquals(hex(sha1(m)), createHash("sha1").update(m).digest("hex"), `length ${n}`);
  }
});
