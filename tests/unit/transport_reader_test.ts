// PacketReader + InputBuffer: packets sealed by each cipher and delivered in arbitrary chunk
// sizes (1 byte up to 100 KiB) come out whole, in order, with their sequence numbers; a stream
// cut mid-packet is an error, not a hang.

import { assertEquals, assertRejects } from "@std/assert";
import { DisconnectError, ProtocolError } from "../../lib/errors.ts";
import { cipherByName } from "../../lib/ssh/crypto/ciphers.ts";
import { macByName } from "../../lib/ssh/crypto/mac.ts";
import type { ByteStream } from "../../lib/ssh/transport/byte_stream.ts";
import { InputBuffer } from "../../lib/ssh/transport/input_buffer.ts";
import { buildPacket } from "../../lib/ssh/transport/packet_codec.ts";
import { PacketReader } from "../../lib/ssh/transport/packet_reader.ts";

function chunked(data: Uint8Array, sizes: () => number): ByteStream {
  let off = 0;
  return {
    read(buf) {
      if (off >= data.length) return Promise.resolve(null);
      const n = Math.min(buf.length, sizes(), data.length - off);
      buf.set(data.subarray(off, off + n));
      off += n;
      return Promise.resolve(n);
    },
    write: () => Promise.resolve(),
    close() {},
    local: undefined,
    remote: { host: "mem", port: 0 },
  };
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

const CASES: [string, string | undefined][] = [
  ["chacha20-poly1305@openssh.com", undefined],
  ["aes128-gcm@openssh.com", undefined],
  ["aes256-ctr", "hmac-sha2-512"],
  ["aes128-ctr", "hmac-sha2-256-etm@openssh.com"],
];

Deno.test("packet reader: every chunking delivers all packets in order (sync and pipelined openers)", async () => {
  let seed = 99;
  const rand = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x80000000;
  for (const [cName, mName] of CASES) {
    for (
      const sizes of [
        () => 1,
        () => 1 + Math.floor(rand() * 100),
        () => 1 + Math.floor(rand() * 100000),
      ]
    ) {
      const c = cipherByName(cName)!, m = mName ? macByName(mName) : undefined;
      const key = new Uint8Array(c.keyLength).fill(3), iv = new Uint8Array(c.ivLength).fill(4);
      const mk = m ? new Uint8Array(m.keyLength).fill(5) : undefined;
      const sealer = c.sealer(key, iv, m, mk);
      const payloads: Uint8Array[] = [];
      const wires: Uint8Array[] = [];
      const count = sizes() === 1 && cName.includes("gcm") ? 20 : 60;
      for (let i = 0; i < count; i++) {
        const p = new Uint8Array(1 + ((i * 7919) % 40000)).fill(i & 0xff);
        p[0] = 94;
        payloads.push(p);
        wires.push(await sealer.seal(i, buildPacket(p, sealer)));
      }
      const reader = new PacketReader(new InputBuffer(chunked(concat(wires), sizes)), "mem");
      reader.setOpener(c.opener(key, iv, m, mk), false);
      for (let i = 0; i < count; i++) {
        const got = await reader.next(true);
        if (!got) throw new Error(`${cName}: stream ended at packet ${i}`);
        assertEquals(got.seq, i);
        assertEquals(got.payload.length, payloads[i].length, `${cName} packet ${i}`);
        assertEquals(got.payload[got.payload.length - 1], payloads[i][payloads[i].length - 1]);
      }
      assertEquals(await reader.next(true), null);
    }
  }
});

Deno.test("packet reader: a stream cut inside a packet → DisconnectError; a corrupt one → ProtocolError", async () => {
  const c = cipherByName("chacha20-poly1305@openssh.com")!;
  const key = new Uint8Array(64).fill(1);
  const wire = await c.sealer(key, new Uint8Array(0)).seal(
    0,
    buildPacket(Uint8Array.of(94, 1, 2, 3), c.sealer(key, new Uint8Array(0))),
  );
  const cut = new PacketReader(
    new InputBuffer(chunked(wire.subarray(0, wire.length - 3), () => 7)),
    "h port 1",
  );
  cut.setOpener(c.opener(key, new Uint8Array(0)), false);
  await assertRejects(() => cut.next(true), DisconnectError, "Connection closed by h port 1");
  const bad = Uint8Array.from(wire);
  bad[bad.length - 1] ^= 1;
  const corrupt = new PacketReader(new InputBuffer(chunked(bad, () => 1000)), "h");
  corrupt.setOpener(c.opener(key, new Uint8Array(0)), false);
  await assertRejects(() => corrupt.next(true), ProtocolError, "Corrupted MAC on input.");
});
