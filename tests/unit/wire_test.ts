import { assertEquals, assertThrows } from "@std/assert";
import { WireReader } from "../../lib/wire/reader.ts";
import { WireWriter } from "../../lib/wire/writer.ts";
import { DecodeError } from "../../lib/errors.ts";

Deno.test("wire: u8/u32/u64/string/name-list round trip", () => {
  const w = new WireWriter(4);
  w.u8(7).u32(0xdeadbeef).u64(1n << 40n).string("hello").nameList(["a", "b,c"]).bool(true);
  const r = new WireReader(w.finish());
  assertEquals(r.u8(), 7);
  assertEquals(r.u32(), 0xdeadbeef);
  assertEquals(r.u64(), 1n << 40n);
  assertEquals(r.text(), "hello");
  assertEquals(r.nameList(), ["a", "b", "c"]);
  assertEquals(r.bool(), true);
  r.expectEnd();
});

Deno.test("wire: mpint encodings match RFC 4251 examples", () => {
  const cases: [bigint, number[]][] = [
    [0n, [0, 0, 0, 0]],
    [0x9a378f9b2e332a7n, [0, 0, 0, 8, 0x09, 0xa3, 0x78, 0xf9, 0xb2, 0xe3, 0x32, 0xa7]],
    [0x80n, [0, 0, 0, 2, 0x00, 0x80]],
    [-0x1234n, [0, 0, 0, 2, 0xed, 0xcc]],
    [-0xdeadbeefn, [0, 0, 0, 5, 0xff, 0x21, 0x52, 0x41, 0x11]],
  ];
  for (const [v, bytes] of cases) {
    const enc = new WireWriter().mpint(v).finish();
    assertEquals([...enc], bytes, `encode ${v}`);
    assertEquals(new WireReader(enc).mpint(), v, `decode ${v}`);
  }
  assertEquals([...new WireWriter().mpintBytes(Uint8Array.of(0, 0x80, 1)).finish()], [
    0,
    0,
    0,
    3,
    0,
    0x80,
    1,
  ]);
});

Deno.test("wire: truncated and oversized lengths throw DecodeError, never read out of bounds", () => {
  assertThrows(() => new WireReader(Uint8Array.of(0, 0, 1)).u32(), DecodeError);
  assertThrows(
    () => new WireReader(Uint8Array.of(0xff, 0xff, 0xff, 0xff, 1)).string(),
    DecodeError,
  );
  assertThrows(() => new WireReader(Uint8Array.of(0, 0, 0, 2, 0x61, 0)).cstring(), DecodeError);
  assertThrows(() => new WireReader(Uint8Array.of(0, 0, 0, 0, 9)).expectEnd(), DecodeError);
  // Random input: only DecodeError, for every prefix.
  for (let i = 0; i < 2000; i++) {
    const buf = crypto.getRandomValues(new Uint8Array(i % 24));
    const r = new WireReader(buf);
    try {
      r.string();
      r.mpint();
      r.nameList();
    } catch (e) {
      if (!(e instanceof DecodeError)) throw e;
    }
  }
});

Deno.test("wire: framed() prefixes the body length", () => {
  const f = new WireWriter().u32(1).u32(4).framed();
  assertEquals([...f], [0, 0, 0, 8, 0, 0, 0, 1, 0, 0, 0, 4]);
});
