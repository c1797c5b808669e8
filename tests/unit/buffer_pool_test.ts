// The received-plaintext pool (lib/ssh/buffer_pool.ts): buffers handed back are reused for the
// next packet of the same size class, a second hand-back cannot put one buffer in the pool twice
// (two packets would then share it), and views of other buffers are ignored.

import { assert, assertEquals, assertNotStrictEquals, assertStrictEquals } from "@std/assert";
import { releasePlain, takePlain } from "../../lib/ssh/buffer_pool.ts";

Deno.test("buffer pool: reuse after hand-back, by size class; exact view lengths", () => {
  const a = takePlain(32777);
  assertEquals(a.length, 32777);
  assertEquals(a.byteOffset, 0);
  releasePlain(a.subarray(9, 100)); // any view of it hands the buffer back
  const b = takePlain(32780); // same 4 KiB size class
  assertStrictEquals(b.buffer, a.buffer);
  assertEquals(b.length, 32780);
  const c = takePlain(32780); // the pool is empty again: a new buffer
  assertNotStrictEquals(c.buffer, b.buffer);
  const small = takePlain(10);
  releasePlain(small);
  assertNotStrictEquals(takePlain(32780).buffer, small.buffer, "other size class");
});

Deno.test("buffer pool: a double hand-back and foreign views cannot alias two packets", () => {
  const a = takePlain(5000);
  releasePlain(a);
  releasePlain(a); // ignored: not lent any more
  releasePlain(new Uint8Array(5000)); // not from the pool: ignored
  const x = takePlain(5000), y = takePlain(5000);
  assertStrictEquals(x.buffer, a.buffer);
  assert(y.buffer !== x.buffer, "the same buffer handed out twice");
});
