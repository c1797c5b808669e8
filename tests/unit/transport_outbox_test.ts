// Outbox: sealed packets finishing out of order (async sealers) are written in queue order;
// small ones are joined, large ones written as they are; backpressure and idle behave.

import { assert, assertEquals } from "@std/assert";
import { Outbox } from "../../lib/ssh/transport/outbox.ts";
import type { ByteStream } from "../../lib/ssh/transport/byte_stream.ts";

function recorder(): { stream: ByteStream; writes: Uint8Array[]; gate?: Promise<void> } {
  const writes: Uint8Array[] = [];
  const rec: { stream: ByteStream; writes: Uint8Array[]; gate?: Promise<void> } = {
    writes,
    stream: {
      read: () => Promise.resolve(null),
      async write(d) {
        if (rec.gate) await rec.gate;
        writes.push(Uint8Array.from(d));
      },
      close() {},
      local: undefined,
      remote: { host: "mem", port: 0 },
    },
  };
  return rec;
}

const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));

Deno.test("outbox: async items resolving out of order are written in queue order", async () => {
  const rec = recorder();
  let written = 0;
  const box = new Outbox(rec.stream, (e) => {
    throw e;
  }, (n) => (written += n));
  for (let i = 0; i < 30; i++) {
    const item = Uint8Array.of(i);
    // Later items finish first.
    box.push(delay(30 - i).then(() => item), 1);
  }
  await box.idle(2000);
  const all = rec.writes.flatMap((w) => Array.from(w));
  assertEquals(all, Array.from({ length: 30 }, (_, i) => i));
  assertEquals(written, 30);
  // Thirty 1-byte packets were joined into far fewer writes.
  assert(rec.writes.length < 30, `${rec.writes.length} writes`);
});

Deno.test("outbox: large packets are written alone, small ones joined around them", async () => {
  const rec = recorder();
  const box = new Outbox(rec.stream, (e) => {
    throw e;
  }, () => {});
  const big = new Uint8Array(20000).fill(7);
  box.push(Uint8Array.of(1), 1);
  box.push(Uint8Array.of(2), 1);
  box.push(big, big.length);
  box.push(Uint8Array.of(3), 1);
  await box.idle(2000);
  assertEquals(rec.writes.map((w) => w.length), [2, 20000, 1]);
  assert(rec.writes[1].every((b) => b === 7));
});

Deno.test("outbox: backpressure holds callers above 4 MiB queued and releases them when drained", async () => {
  const rec = recorder();
  let open!: () => void;
  rec.gate = new Promise((r) => (open = r));
  const box = new Outbox(rec.stream, (e) => {
    throw e;
  }, () => {});
  const chunk = new Uint8Array(1 << 20);
  for (let i = 0; i < 6; i++) box.push(chunk, chunk.length);
  let released = false;
  const wait = box.backpressure().then(() => (released = true));
  await delay(20);
  assertEquals(released, false);
  open();
  await wait;
  assert(released);
  await box.idle(2000);
  assertEquals(rec.writes.length, 6);
});

Deno.test("outbox: a failing write reports the error once and releases waiters", async () => {
  const errors: Error[] = [];
  const stream: ByteStream = {
    read: () => Promise.resolve(null),
    write: () => Promise.reject(new Error("Broken pipe")),
    close() {},
    local: undefined,
    remote: { host: "mem", port: 0 },
  };
  const box = new Outbox(stream, (e) => errors.push(e), () => {});
  const chunk = new Uint8Array(1 << 20);
  for (let i = 0; i < 6; i++) box.push(chunk, chunk.length);
  await box.backpressure();
  await box.idle(1000);
  assertEquals(errors.map((e) => e.message), ["Broken pipe"]);
});
