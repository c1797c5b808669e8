// The opt-in libcrypto AES-GCM (SSHMUX_CRYPTO=libcrypto) against our WebCrypto AES-GCM, which
// is checked against node:crypto and sshd elsewhere: byte-identical wire output for the same
// keys and sequence (IV counter carry included), either side opens the other's packets, any
// flipped bit is a "Corrupted MAC", out-of-range lengths never reach C, and the backend switch
// falls back to WebCrypto when libcrypto cannot be loaded. The CI machine has libcrypto
// (OpenSSH depends on it), so a missing library fails here rather than skipping.

import { assert, assertEquals, assertThrows } from "@std/assert";
import { LibcryptoGcm, libcryptoUnavailable } from "../../ffi/crypto.ts";
import { ProtocolError } from "../../lib/errors.ts";
import { GcmOpener, GcmSealer } from "../../lib/ssh/crypto/aes_gcm.ts";
import { LibcryptoGcmOpener, LibcryptoGcmSealer } from "../../lib/ssh/crypto/aes_gcm_libcrypto.ts";
import {
  cryptoBackend,
  type CryptoMode,
  cryptoModeFrom,
  setCryptoModeForTests,
} from "../../lib/ssh/crypto/crypto_backend.ts";
import { allocPayload, buildPacket } from "../../lib/ssh/transport/packet_codec.ts";
import { loadNodeCrypto } from "../../lib/ssh/crypto/node_crypto.ts";

// The fallback ciphers built directly here call node:crypto, which the key exchange loads.
await loadNodeCrypto();

function rnd(n: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i += 65536) crypto.getRandomValues(b.subarray(i, i + 65536));
  return b;
}

/** Wire bytes of our WebCrypto sealer, joined. */
async function webSeal(s: GcmSealer, seq: number, packet: Uint8Array): Promise<Uint8Array> {
  return await s.seal(seq, packet);
}

Deno.test("libcrypto is loadable on this machine", () => {
  assertEquals(libcryptoUnavailable(), undefined);
});

for (const keyLen of [16, 32]) {
  Deno.test(`libcrypto AES-${keyLen * 8}-GCM: same wire bytes as WebCrypto, opens both ways, counter carry`, async () => {
    const key = rnd(keyLen);
    // The last IV bytes near 0xff..: the invocation counter carries within the first packets.
    const iv = Uint8Array.of(1, 2, 3, 4, 0, 0, 0, 0, 0, 0, 0xff, 0xfe);
    const ours = new LibcryptoGcmSealer(key, iv);
    const web = new GcmSealer(key, iv);
    const webOpen = new GcmOpener(key, iv);
    const ourOpen = new LibcryptoGcmOpener(key, iv);
    const sizes = [0, 1, 15, 16, 17, 100, 1000, 2048, 4095, 32768, 65536, 200_000];
    for (let seq = 0; seq < sizes.length; seq++) {
      const payload = rnd(sizes[seq]);
      const packet = buildPacket(payload, ours);
      const copy = Uint8Array.from(packet);
      const a = ours.seal(seq, packet);
      const b = await webSeal(web, seq, copy);
      assertEquals(a, b, `packet ${seq} (${sizes[seq]} bytes)`);
      // Either opener takes either sealer's bytes (both advanced in step).
      const p1 = ourOpen.open(seq, Uint8Array.from(b));
      const p2 = await webOpen.open(seq, Uint8Array.from(a));
      assertEquals(p1, p2);
      assertEquals(p1.subarray(1, 1 + payload.length), payload);
    }
  });
}

Deno.test("libcrypto GCM: sealed in place when the packet has tail room, else copied", () => {
  const key = rnd(16), iv = rnd(12);
  const s = new LibcryptoGcmSealer(key, iv);
  const roomy = allocPayload(1000);
  roomy.set(rnd(1000));
  const p1 = buildPacket(roomy, s);
  const w1 = s.seal(0, p1);
  assert(w1.buffer === p1.buffer && w1.byteOffset === p1.byteOffset, "in place");
  const tight = new Uint8Array(4 + 1008).fill(7);
  tight.set([0, 0, 0x03, 0xf0], 0);
  const w2 = s.seal(1, tight);
  assert(w2.buffer !== tight.buffer, "copied when there is no room for the tag");
  assertEquals(w2.length, tight.length + 16);
});

Deno.test("libcrypto GCM: every flipped bit is a Corrupted MAC; the next packet still opens", () => {
  const key = rnd(32), iv = rnd(12);
  const wires: Uint8Array[] = [];
  const s = new LibcryptoGcmSealer(key, iv);
  for (let seq = 0; seq < 40; seq++) wires.push(s.seal(seq, buildPacket(rnd(64), s)).slice());
  // A fresh opener per tamper (its counter at packet 0) proves each rejection on its own:
  // length (the AAD), ciphertext and tag bits alike.
  let tried = 0;
  for (let bit = 0; bit < wires[0].length * 8; bit += 7) {
    const o = new LibcryptoGcmOpener(key, iv);
    const bad = Uint8Array.from(wires[0]);
    bad[bit >> 3] ^= 1 << (bit & 7);
    assertThrows(() => o.open(0, bad), ProtocolError, "Corrupted MAC on input.");
    tried++;
  }
  assert(tried > 100);
  const o = new LibcryptoGcmOpener(key, iv);
  for (let i = 0; i < wires.length; i++) {
    assertEquals(o.open(i, wires[i]).length, wires[i].length - 20);
  }
});

Deno.test("libcrypto GCM: lengths are checked before any C call; free() is idempotent", () => {
  const g = new LibcryptoGcm(rnd(16), rnd(12), true);
  assertThrows(() => g.sealInPlace(new Uint8Array(20), 8), RangeError); // no room for the tag
  assertThrows(() => g.sealInPlace(new Uint8Array(40), 2), RangeError); // inside the AAD
  const d = new LibcryptoGcm(rnd(16), rnd(12), false);
  assertThrows(() => d.open(new Uint8Array(10), new Uint8Array(0)), RangeError); // shorter than a tag
  assertThrows(() => d.open(new Uint8Array(40), new Uint8Array(5)), RangeError); // wrong out size
  assertThrows(() => new LibcryptoGcm(rnd(24), rnd(12), true), Error, "16 or 32");
  assertThrows(() => new LibcryptoGcm(rnd(16), rnd(8), true), Error, "12-byte IV");
  g.free();
  g.free();
  assertThrows(() => g.sealInPlace(new Uint8Array(40), 20), Error, "freed");
  d.free();
});

// A library that cannot be loaded is covered by the interop test (a process of its own, since
// the library is loaded once per process).
Deno.test("SSHMUX_CRYPTO picks the AES-GCM backend; an unknown value is an error line and the default", () => {
  // The mode is set through the test hook, not the environment: test files run in parallel
  // share it, and another file's setting would race with ours.
  try {
    const pick = (m: CryptoMode | undefined) => {
      setCryptoModeForTests(m ?? "auto");
      return cryptoBackend("aes-gcm");
    };
    assertEquals(pick(undefined), "libcrypto");
    assertEquals(pick("webcrypto"), "webcrypto");
    assertEquals(pick("libcrypto"), "libcrypto");
    assertEquals(cryptoModeFrom(undefined), { mode: "auto" });
    assertEquals(cryptoModeFrom(""), { mode: "auto" });
    assertEquals(cryptoModeFrom("webcrypto"), { mode: "webcrypto" });
    const unknown = cryptoModeFrom("openssl");
    assertEquals(unknown.mode, "auto");
    assert(unknown.error?.includes(`unknown value "openssl"`), unknown.error);
  } finally {
    setCryptoModeForTests(undefined);
  }
});
