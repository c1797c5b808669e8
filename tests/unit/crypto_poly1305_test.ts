// Poly1305 (lib/ssh/crypto/poly1305.ts, the WASM build of poly1305.wat) against the RFC 8439
// vectors and @noble/ciphers' poly1305 as an independent oracle. The WASM code has two paths:
// scalar (messages under 256 bytes, and the last <4 blocks of longer ones) and SIMD (4 blocks
// per step in four lanes, recombined with r^4..r^1 in the last step); the lengths and
// messages here are chosen to hit both, their hand-over, and the carry extremes.

import { assertEquals, assertNotEquals, assertThrows } from "@std/assert";
import { poly1305 } from "@noble/ciphers/poly1305";
import { poly1305Tag } from "../../lib/ssh/crypto/poly1305.ts";

const hex = (s: string) =>
  Uint8Array.from(s.replace(/\s+/g, "").match(/../g) ?? [], (h) => parseInt(h, 16));
const toHex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
const rnd = (n: number) => {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i += 65536) crypto.getRandomValues(b.subarray(i, i + 65536));
  return b;
};
const ascii = (s: string) => new TextEncoder().encode(s);

/** Asserts our tag equals @noble's for this key and message. */
function same(key: Uint8Array, msg: Uint8Array, what: string): void {
  assertEquals(toHex(poly1305Tag(key, msg)), toHex(poly1305(msg, key)), what);
}

// The key with r all ones before clamping and s = 2^128 - 1 (the tag addition carries out).
const ONES = new Uint8Array(32).fill(0xff);
// r = 0: every tag is s.
const R_ZERO = Uint8Array.of(...new Uint8Array(16), ...rnd(16));
// r = 0x0ffffffc0ffffffc0ffffffc0fffffff (the largest clamped r), s = 0.
const R_MAX_S_ZERO = Uint8Array.of(...new Uint8Array(16).fill(0xff), ...new Uint8Array(16));

// Lengths around the 16-byte blocks, the 64-byte SIMD step, the 256-byte SIMD threshold,
// and the packet sizes sshmux sends (32 KiB channel data, 256 KiB maximum packet).
const BOUNDARY_LENGTHS = [
  15,
  16,
  17,
  31,
  32,
  33,
  47,
  48,
  49,
  63,
  64,
  65,
  127,
  128,
  129,
  191,
  192,
  193,
  239,
  240,
  241,
  255,
  256,
  257,
  271,
  272,
  303,
  304,
  319,
  320,
  321,
  ...Array.from({ length: 18 }, (_, i) => 32768 + i),
  32768 - 1,
  32768 - 15,
  32768 - 16,
  32768 - 17,
  32768 + 48,
  32768 + 64,
  262144 - 1,
  262144,
  262144 + 17,
];

Deno.test("poly1305: RFC 8439 §2.5.2 vector", () => {
  const key = hex("85d6be7857556d337f4452fe42d506a80103808afb0db2fd4abff6af4149f51b");
  const msg = ascii("Cryptographic Forum Research Group");
  assertEquals(toHex(poly1305Tag(key, msg)), "a8061dc1305136c6c22b8baf0c0127a9");
});

Deno.test("poly1305: RFC 8439 Appendix A.3 vectors #1-#11", () => {
  const ietf = "Any submission to the IETF intended by the Contributor for publication as all " +
    "or part of an IETF Internet-Draft or RFC and any statement made within the context of " +
    'an IETF activity is considered an "IETF Contribution". Such statements include oral ' +
    "statements in IETF sessions, as well as written and electronic communications made at " +
    "any time or place, which are addressed to";
  const jabberwocky = "'Twas brillig, and the slithy toves\nDid gyre and gimble in the wabe:\n" +
    "All mimsy were the borogoves,\nAnd the mome raths outgrabe.";
  const ff16 = "ff".repeat(16), zero16 = "00".repeat(16);
  const r10 = "01000000000000000400000000000000";
  const m10 = "e33594d7505e43b900000000000000003394d7505e4379cd0100000000000000" + zero16;
  const vectors: [number, string, Uint8Array, string][] = [
    [1, "00".repeat(32), new Uint8Array(64), zero16],
    [
      2,
      zero16 + "36e5f6b5c5e06070f0efca96227a863e",
      ascii(ietf),
      "36e5f6b5c5e06070f0efca96227a863e",
    ],
    [
      3,
      "36e5f6b5c5e06070f0efca96227a863e" + zero16,
      ascii(ietf),
      "f3477e7cd95417af89a6b8794c310cf0",
    ],
    [
      4,
      "1c9240a5eb55d38af333888604f6b5f0473917c1402b80099dca5cbc207075c0",
      ascii(jabberwocky),
      "4541669a7eaaee61e708dc7cbcc5eb62",
    ],
    // #5: a partially reduced h that is not yet fully reduced
    [5, "02" + "00".repeat(31), hex(ff16), "03" + "00".repeat(15)],
    // #6: h + s overflows 2^128
    [6, "02" + "00".repeat(15) + ff16, hex("02" + "00".repeat(15)), "03" + "00".repeat(15)],
    // #7: an all-ones data limb receiving a carry from below
    [
      7,
      "01" + "00".repeat(31),
      hex(ff16 + "f0" + "ff".repeat(15) + "11" + "00".repeat(15)),
      "05" + "00".repeat(15),
    ],
    // #8: the polynomial part ends at exactly p
    [8, "01" + "00".repeat(31), hex(ff16 + "fb" + "fe".repeat(15) + "01".repeat(16)), zero16],
    // #9: the polynomial part ends at p - 1
    [9, "02" + "00".repeat(31), hex("fd" + "ff".repeat(15)), "fa" + "ff".repeat(15)],
    // #10, #11: the 5*H+L reduction yields 131-bit intermediate / final results
    [10, r10 + zero16, hex(m10 + "01" + "00".repeat(15)), "14000000000000005500000000000000"],
    [11, r10 + zero16, hex(m10), "13000000000000000000000000000000"],
  ];
  assertEquals(vectors[1][2].length, 375); // the RFC's text, typed right
  for (const [n, key, msg, tag] of vectors) {
    assertEquals(toHex(poly1305Tag(hex(key), msg)), tag, `A.3 #${n}`);
    assertEquals(toHex(poly1305(msg, hex(key))), tag, `A.3 #${n} (oracle)`);
  }
});

Deno.test("poly1305: equals @noble for every length 0..600 under random and edge keys", () => {
  const keys = [rnd(32), rnd(32), ONES, R_ZERO, R_MAX_S_ZERO];
  for (const [k, key] of keys.entries()) {
    for (let len = 0; len <= 600; len++) {
      same(key, rnd(len), `key ${k} len ${len} random`);
      same(key, new Uint8Array(len).fill(0xff), `key ${k} len ${len} all 0xff`);
    }
  }
  for (let i = 0; i < 1500; i++) {
    const k = rnd(32), msg = rnd(Math.floor(Math.random() * 4096));
    // Bias some runs of bytes to their maximum to exercise the carries.
    if (i % 3 === 0) msg.fill(0xff, 0, Math.floor(Math.random() * msg.length));
    same(k, msg, `random #${i} len ${msg.length}`);
  }
});

Deno.test("poly1305: lengths around the SIMD step and packet-size boundaries", () => {
  const keys = [rnd(32), ONES, R_MAX_S_ZERO];
  for (const [k, key] of keys.entries()) {
    for (const len of BOUNDARY_LENGTHS) {
      same(key, rnd(len), `key ${k} len ${len} random`);
      same(key, new Uint8Array(len).fill(0xff), `key ${k} len ${len} all 0xff`);
    }
  }
});

Deno.test("poly1305: each block is weighted by its own power of r (lane recombination)", () => {
  // A single non-zero block at position i among zero blocks: a lane multiplied by the wrong
  // power, or lanes summed in the wrong order, changes the tag for some i.
  const key = rnd(32);
  for (const blocks of [16, 17, 18, 19, 20, 33]) {
    for (let i = 0; i < blocks; i++) {
      const msg = new Uint8Array(blocks * 16 + (blocks % 2) * 5);
      msg.set(rnd(16), i * 16);
      same(key, msg, `${blocks} blocks, block ${i} set`);
    }
  }
  // Swapping two blocks in different lanes must change the tag (r is not 0 or 1 here).
  const msg = rnd(512), swapped = Uint8Array.from(msg);
  swapped.set(msg.subarray(16, 32), 32);
  swapped.set(msg.subarray(32, 48), 16);
  assertNotEquals(toHex(poly1305Tag(key, msg)), toHex(poly1305Tag(key, swapped)));
});

Deno.test("poly1305: final reduction when the four SIMD lanes add up to limbs past 2^26", () => {
  // r = 1 makes h the plain sum of the blocks; these near-all-ones messages (found by a
  // search against a build that carried only once after the lane sum and packed limbs with
  // OR) leave limb 0 at or above 2^26 after the first carry pass. Each must match @noble.
  const key = hex("01" + "00".repeat(31));
  const messages = [
    [
      "00000000000000000000000000000000feffffffffffffffffffffffffffffff",
      "ffffffffffffffffffffffffffffffb1faffffffffffffffffffffffffffffff",
      "feffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff26",
      "f8fffffffffffffffffffffffffffffffeffffffffffffffffffffffffffffff",
      "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
      "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
      "ffffffffffffffffffffffffffffff72ffffffffffffffffffffffffffffffff",
      "ffffffffffffffffffffffffffffff13feffffffffffffffffffffffffffffff",
    ].join(""),
    [
      "fafffffffffffffffffffffffffffffffeffffffffffffffffffffffffffffff",
      "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
      "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
      "07ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
      "fff9ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
      "ffffffffffffffffffffffffffffffff71ffffffffffffffffffffffffffffff",
      "04ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
      "ffffffffffffffffffffffffffffffff72ffffffffffffffffffffffffffffff",
      "ff",
    ].join(""),
    [
      "fffffffffffffffffffffffffffffffffbffffffffffffffffffffffffffffff",
      "feffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff9c",
      "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
      "f9ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff2d",
      "fffffffffffffffffffffffffffffffbffffffffffffffffffffffffffffffd4",
      "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff02",
      "ffffffffffffffffffffffffffffffe5ffffffffffffffffffffffffffffffff",
      "f9ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffac",
    ].join(""),
  ];
  for (const [i, m] of messages.entries()) same(key, hex(m), `message ${i}`);
  // The same shapes under the other small r values and the largest clamped r.
  for (const r0 of [2, 4, 5]) {
    const k = Uint8Array.of(r0, ...new Uint8Array(31));
    for (const [i, m] of messages.entries()) same(k, hex(m), `r=${r0} message ${i}`);
  }
  for (const [i, m] of messages.entries()) same(R_MAX_S_ZERO, hex(m), `r max message ${i}`);
});

Deno.test("poly1305: memory growth, then shorter messages see no stale bytes", () => {
  const key = rnd(32);
  same(key, rnd(1024 * 1024 + 17), "1 MiB + 17 (grows the WASM memory)");
  // After long messages the scratch past a short message's end holds old bytes; the padded
  // final block must not pick them up.
  for (let len = 700; len >= 0; len -= 7) same(key, rnd(len), `descending len ${len}`);
  const sub = rnd(4096).subarray(13, 13 + 1000); // a view at an odd offset of a bigger buffer
  same(key, sub, "subarray view");
});

Deno.test("poly1305: the key must be 32 bytes", () => {
  assertThrows(() => poly1305Tag(new Uint8Array(31), new Uint8Array(16)), Error, "32-byte key");
  assertThrows(() => poly1305Tag(new Uint8Array(33), new Uint8Array(16)), Error, "32-byte key");
});

Deno.test("poly1305: tags are fresh copies and the message is left untouched", () => {
  const key = rnd(32), m1 = rnd(1000), m2 = rnd(33);
  const m1Before = Uint8Array.from(m1);
  const t1 = poly1305Tag(key, m1);
  const t1Before = toHex(t1);
  poly1305Tag(key, m2); // reuses the WASM memory the first tag was computed in
  assertEquals(toHex(t1), t1Before);
  assertEquals(toHex(m1), toHex(m1Before)); // the 0x01 pad goes to WASM scratch, not here
  assertEquals(t1.length, 16);
  assertEquals(t1.buffer.byteLength, 16); // not a view into the WASM memory
});
