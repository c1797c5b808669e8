// Ciphers and MACs against published vectors and independent oracles (@noble/ciphers,
// node:crypto one-shot), and sealer → opener round trips with tamper detection. Poly1305 on
// its own: crypto_poly1305_test.ts.

import { assert, assertEquals, assertThrows } from "@std/assert";
import { assertRejects } from "@std/assert";
import { chacha20orig } from "@noble/ciphers/chacha";
import { poly1305 } from "@noble/ciphers/poly1305";
import { createCipheriv, createHmac } from "node:crypto";
import { ProtocolError } from "../../lib/errors.ts";
import { cipherByName, CIPHERS } from "../../lib/ssh/crypto/ciphers.ts";
import { incrementGcmIv } from "../../lib/ssh/crypto/aes_gcm.ts";
import { CtrCounter } from "../../lib/ssh/crypto/aes_ctr_etm.ts";
import { computeMac, macByName, MACS } from "../../lib/ssh/crypto/mac.ts";
import { buildPacket, checkPacketLength, payloadOf } from "../../lib/ssh/transport/packet_codec.ts";
import type { PacketOpener, PacketSealer } from "../../lib/ssh/crypto/cipher.ts";
import { loadNodeCrypto } from "../../lib/ssh/crypto/node_crypto.ts";

// The fallback ciphers built directly here call node:crypto, which the key exchange loads.
await loadNodeCrypto();

const hex = (s: string) => Uint8Array.from(s.match(/../g)!.map((h) => parseInt(h, 16)));
const toHex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
const rnd = (n: number) => {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i += 65536) crypto.getRandomValues(b.subarray(i, i + 65536));
  return b;
};
const nodeBytes = (b: { buffer: ArrayBufferLike; byteOffset: number; byteLength: number }) =>
  new Uint8Array(b.buffer, b.byteOffset, b.byteLength);

Deno.test("chacha20-poly1305@openssh.com: seal matches a pure @noble construction", async () => {
  const key = rnd(64);
  const spec = cipherByName("chacha20-poly1305@openssh.com")!;
  const sealer = spec.sealer(key, new Uint8Array(0));
  for (const seq of [0, 1, 255, 256, 65536, 0xffffffff]) {
    for (const size of [0, 1, 100, 32768]) {
      const packet = buildPacket(Uint8Array.of(94, ...rnd(size)), sealer);
      const wire = await sealer.seal(seq, Uint8Array.from(packet));
      const nonce = new Uint8Array(8);
      new DataView(nonce.buffer).setUint32(4, seq);
      const kMain = key.subarray(0, 32), kHdr = key.subarray(32);
      const encLen = chacha20orig(kHdr, nonce, packet.subarray(0, 4));
      const polyKey = chacha20orig(kMain, nonce, new Uint8Array(32));
      // Block 1 onwards: skip the first 64 keystream bytes.
      const body = chacha20orig(
        kMain,
        nonce,
        Uint8Array.of(...new Uint8Array(64), ...packet.subarray(4)),
      )
        .subarray(64);
      const tag = poly1305(Uint8Array.of(...encLen, ...body), polyKey);
      assertEquals(toHex(wire), toHex(Uint8Array.of(...encLen, ...body, ...tag)), `seq ${seq}`);
    }
  }
});

Deno.test("aes-gcm@openssh.com: seal matches node:crypto and the IV carries over 300+ packets", async () => {
  for (const bits of [128, 256]) {
    const key = rnd(bits / 8);
    // Invocation counter starts just below a carry into the second-lowest byte and the top.
    const iv = hex("0102030400ffffffffffff00");
    const sealer = cipherByName(`aes${bits}-gcm@openssh.com`)!.sealer(key, iv);
    const oracleIv = Uint8Array.from(iv);
    for (let i = 0; i < 300; i++) {
      const packet = buildPacket(Uint8Array.of(94, ...rnd(i % 50)), sealer);
      const wire = await sealer.seal(i, Uint8Array.from(packet));
      const c = createCipheriv(`aes-${bits}-gcm` as "aes-128-gcm", key, oracleIv);
      c.setAAD(packet.subarray(0, 4));
      const ct = nodeBytes(c.update(packet.subarray(4)));
      c.final();
      const expect = Uint8Array.of(...packet.subarray(0, 4), ...ct, ...nodeBytes(c.getAuthTag()));
      assertEquals(toHex(wire), toHex(expect), `aes${bits} packet ${i}`);
      // Oracle IV: explicit 64-bit big-endian increment of bytes 4..12.
      const dv = new DataView(oracleIv.buffer);
      dv.setBigUint64(4, (dv.getBigUint64(4) + 1n) & 0xffffffffffffffffn);
    }
  }
});

Deno.test("incrementGcmIv: carries across bytes and wraps the 64-bit counter, fixed part untouched", () => {
  const iv = hex("aabbccdd00000000000000ff");
  incrementGcmIv(iv);
  assertEquals(toHex(iv), "aabbccdd0000000000000100");
  const top = hex("aabbccddffffffffffffffff");
  incrementGcmIv(top);
  assertEquals(toHex(top), "aabbccdd0000000000000000");
});

Deno.test("aes-ctr: NIST SP 800-38A F.5.1 vector and a keystream continuous across packets", async () => {
  const key = hex("2b7e151628aed2a6abf7158809cf4f3c");
  const iv = hex("f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff");
  const spec = cipherByName("aes128-ctr")!;
  const mac = macByName("hmac-sha2-256-etm@openssh.com")!;
  const sealer = spec.sealer(key, iv, mac, rnd(32));
  // The first packet's plaintext is chosen so its encrypted part is the NIST plaintext.
  const pt = hex("6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51");
  const packet = Uint8Array.of(0, 0, 0, 32, ...pt);
  const wire = await sealer.seal(0, packet);
  assertEquals(
    toHex(wire.subarray(4, 36)),
    "874d6191b620e3261bef6864990db6ce9806f66b7970fdff8617187bb9fffdff",
  );
  // Counter wrap: IV all ones, then a second packet continues the same stream.
  const ones = new Uint8Array(16).fill(0xff);
  const s2 = spec.sealer(key, ones, mac, rnd(32));
  const p1 = buildPacket(Uint8Array.of(94, ...rnd(40)), s2);
  const p2 = buildPacket(Uint8Array.of(94, ...rnd(70)), s2);
  const w1 = await s2.seal(0, Uint8Array.from(p1));
  const w2 = await s2.seal(1, Uint8Array.from(p2));
  const oracle = nodeBytes(
    createCipheriv("aes-128-ctr", key, ones).update(
      Uint8Array.of(...p1.subarray(4), ...p2.subarray(4)),
    ),
  );
  assertEquals(
    toHex(Uint8Array.of(...w1.subarray(4, p1.length), ...w2.subarray(4, p2.length))),
    toHex(oracle),
  );
});

Deno.test("hmac: RFC 4231 / RFC 2202 test case 1 via node:crypto oracle, and seq prefix", () => {
  const key = new Uint8Array(20).fill(0x0b);
  const data = new TextEncoder().encode("Hi There");
  const expected: Record<string, string> = {
    "SHA-256": "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
    "SHA-1": "b617318655057264e28bc0b6fb378c8ef146be00",
  };
  for (const [hash, want] of Object.entries(expected)) {
    const nodeName = hash === "SHA-1" ? "sha1" : "sha256";
    assertEquals(toHex(nodeBytes(createHmac(nodeName, key).update(data).digest())), want);
  }
  const m = macByName("hmac-sha2-512")!;
  const k = rnd(64);
  const got = computeMac(m, k, 0x01020304, data);
  const want = nodeBytes(
    createHmac("sha512", k).update(Uint8Array.of(1, 2, 3, 4, ...data)).digest(),
  );
  assertEquals(toHex(got), toHex(want));
});

/** Feeds sealed packets to an opener the way the transport does. */
async function openWire(op: PacketOpener, seq: number, wire: Uint8Array): Promise<Uint8Array> {
  const len = op.packetLength(seq, wire.subarray(0, op.headLength));
  const total = checkPacketLength(len, op);
  assertEquals(total, wire.length);
  return payloadOf(await op.open(seq, wire));
}

function pairs(): { name: string; sealer: PacketSealer; opener: PacketOpener }[] {
  const out = [];
  for (const c of CIPHERS) {
    const macs = c.aead ? [undefined] : MACS;
    for (const m of macs) {
      const key = rnd(c.keyLength), iv = rnd(c.ivLength), mk = m ? rnd(m.keyLength) : undefined;
      out.push({
        name: `${c.name} ${m?.name ?? ""}`,
        sealer: c.sealer(key, iv, m, mk),
        opener: c.opener(key, iv, m, mk),
      });
    }
  }
  return out;
}

Deno.test("every cipher × MAC: 50 packets round-trip in order; padding and alignment hold", async () => {
  for (const { name, sealer, opener } of pairs()) {
    for (let seq = 0; seq < 50; seq++) {
      const payload = Uint8Array.of(94, ...rnd((seq * 977) % 3000));
      const packet = buildPacket(payload, sealer);
      const pad = packet[4];
      assert(pad >= 4 && pad < 4 + Math.max(8, sealer.blockSize), `${name}: padding ${pad}`);
      const wire = await sealer.seal(seq, packet);
      assertEquals(toHex(await openWire(opener, seq, wire)), toHex(payload), `${name} #${seq}`);
    }
  }
});

Deno.test("every cipher × MAC: a flipped bit anywhere in a packet is a ProtocolError", async () => {
  for (const { name, sealer, opener } of pairs()) {
    const payload = Uint8Array.of(94, ...rnd(200));
    const wire = await sealer.seal(7, buildPacket(payload, sealer));
    // Flip a bit in the body (after the first 16 bytes so the length stays plausible).
    wire[20] ^= 0x10;
    let err: unknown;
    try {
      await openWire(opener, 7, wire);
    } catch (e) {
      err = e;
    }
    assert(err instanceof ProtocolError, `${name}: ${err}`);
  }
});

Deno.test("chacha20-poly1305: opening with the wrong sequence number fails", async () => {
  const spec = cipherByName("chacha20-poly1305@openssh.com")!;
  const key = rnd(64);
  const wire = await spec.sealer(key, new Uint8Array(0)).seal(
    3,
    buildPacket(Uint8Array.of(94, 1), spec.sealer(key, new Uint8Array(0))),
  );
  const op = spec.opener(key, new Uint8Array(0));
  op.packetLength(4, wire);
  assertThrows(() => op.open(4, wire), ProtocolError);
});

Deno.test("aes-gcm opener: a truncated tag rejects with ProtocolError", async () => {
  const spec = cipherByName("aes128-gcm@openssh.com")!;
  const key = rnd(16), iv = rnd(12);
  const wire = await spec.sealer(key, iv).seal(
    0,
    buildPacket(Uint8Array.of(94, 1, 2), spec.sealer(key, iv)),
  );
  await assertRejects(
    async () => await spec.opener(key, iv).open(0, wire.subarray(0, wire.length - 1)),
    ProtocolError,
  );
});

Deno.test("CtrCounter: matches 128-bit BigInt arithmetic, with carries and the 2^128 wrap", () => {
  const toBig = (b: Uint8Array) => BigInt("0x" + toHex(b));
  const ivs = [
    new Uint8Array(16).fill(0xff),
    hex("000000000000000000000000ffffff00"),
    rnd(16),
    rnd(16),
  ];
  for (const iv of ivs) {
    const c = new CtrCounter(iv);
    let ref = toBig(iv);
    for (const bytes of [16, 4096, 16 * 255, 16 * 257, 262144, 16]) {
      assertEquals(toBig(c.take(bytes)), ref);
      ref = (ref + BigInt(bytes / 16)) % (1n << 128n);
    }
    assertEquals(toBig(c.take(16)), ref);
  }
});
