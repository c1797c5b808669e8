// The two backends side by side (crypto_backend.ts): for every cipher × MAC, libcrypto and the
// WebCrypto/node/WASM fallback seal the same packets to the same wire bytes (random sizes,
// sealed in place or copied), each opens the other's packets, and a flipped bit anywhere in a
// packet is "Corrupted MAC on input." on both (a flipped length bit may instead be a length
// error, as in ssh). The self-tests pass here and a failing one falls back with a note.
// The machine running the tests has libcrypto (OpenSSH links it): missing fails, not skips.

import { assert, assertEquals, assertNotEquals } from "@std/assert";
import { libcryptoCandidates } from "../../ffi/crypto.ts";
import { ProtocolError, SizeLimitError } from "../../lib/errors.ts";
import { captureLog, getLogLevel, LogLevel, setLogLevel } from "../../lib/log.ts";
import type { PacketOpener, PacketSealer } from "../../lib/ssh/crypto/cipher.ts";
import { CIPHERS } from "../../lib/ssh/crypto/ciphers.ts";
import {
  type CryptoBackend,
  cryptoBackend,
  resetCryptoBackend,
  setCryptoModeForTests,
  setSelfTestForTests,
} from "../../lib/ssh/crypto/crypto_backend.ts";
import { libcryptoSelfTest } from "../../lib/ssh/crypto/libcrypto_selftest.ts";
import { MACS, type MacSpec } from "../../lib/ssh/crypto/mac.ts";
import { buildPacket, checkPacketLength, payloadOf } from "../../lib/ssh/transport/packet_codec.ts";
import { loadNodeCrypto } from "../../lib/ssh/crypto/node_crypto.ts";

// The fallback ciphers built directly here call node:crypto, which the key exchange loads.
await loadNodeCrypto();

const rnd = (n: number) => {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i += 65536) crypto.getRandomValues(b.subarray(i, i + 65536));
  return b;
};

/**
 * Runs `fn` with `backend` chosen (as SSHMUX_CRYPTO would choose it; the variable itself is
 * left alone: test files running in parallel share the environment).
 */
function withBackend<T>(backend: CryptoBackend, fn: () => T): T {
  setCryptoModeForTests(backend);
  try {
    return fn();
  } finally {
    setCryptoModeForTests(undefined);
  }
}

interface Side {
  sealer: PacketSealer;
  opener: PacketOpener;
}
interface Pair {
  name: string;
  lib: Side;
  web: Side;
  dispose(): void;
}

/** Both backends' sealer and opener for every cipher × MAC, under the same keys. */
function pairs(): Pair[] {
  const out: Pair[] = [];
  for (const c of CIPHERS) {
    const macs: (MacSpec | undefined)[] = c.aead ? [undefined] : [...MACS];
    for (const m of macs) {
      const key = rnd(c.keyLength), iv = rnd(c.ivLength), mk = m ? rnd(m.keyLength) : undefined;
      const side = (b: CryptoBackend): Side =>
        withBackend(
          b,
          () => ({ sealer: c.sealer(key, iv, m, mk), opener: c.opener(key, iv, m, mk) }),
        );
      const lib = side("libcrypto"), web = side("webcrypto");
      out.push({
        name: `${c.name} ${m?.name ?? ""}`,
        lib,
        web,
        dispose() {
          for (const s of [lib, web]) {
            s.sealer.dispose?.();
            s.opener.dispose?.();
          }
        },
      });
    }
  }
  return out;
}

/** Feeds one sealed packet to an opener the way the transport's reader does. */
async function openWire(op: PacketOpener, seq: number, wire: Uint8Array): Promise<Uint8Array> {
  const len = op.packetLength(seq, wire.subarray(0, op.headLength));
  const total = checkPacketLength(len, op);
  assertEquals(total, wire.length);
  return payloadOf(await op.open(seq, wire));
}

Deno.test("libcrypto and fallback: same wire bytes for every cipher × MAC; each opens the other's", async () => {
  const sizes = [0, 1, 7, 15, 16, 17, 63, 64, 65, 1000, 2047, 2048, 4096, 32768, 35000];
  for (const p of pairs()) {
    assertEquals(p.lib.sealer.backend, "libcrypto", p.name);
    assertEquals(p.lib.opener.backend, "libcrypto", p.name);
    assertNotEquals(p.web.sealer.backend, "libcrypto", p.name);
    // Only the libcrypto side is decrypted from a packet of its own; the fallback opens copies.
    for (let seq = 0; seq < 40; seq++) {
      const size = seq < sizes.length ? sizes[seq] : Math.floor(Math.random() * 40000);
      const payload = Uint8Array.of(94, ...rnd(size));
      const packet = buildPacket(payload, p.lib.sealer); // random padding: one packet for both
      const copy = Uint8Array.from(packet);
      // The libcrypto sealer may seal in place: give it the packet with its tail room on
      // even sequence numbers and a tight copy on odd ones.
      const forLib = seq % 2 === 0 ? packet : Uint8Array.from(packet);
      const a = Uint8Array.from(await p.lib.sealer.seal(seq, forLib));
      const b = Uint8Array.from(await p.web.sealer.seal(seq, copy));
      assertEquals(a, b, `${p.name}: packet ${seq} (${size} bytes)`);
      assertEquals(
        await openWire(p.lib.opener, seq, b),
        payload,
        `${p.name} #${seq} lib opens web`,
      );
      assertEquals(
        await openWire(p.web.opener, seq, a),
        payload,
        `${p.name} #${seq} web opens lib`,
      );
    }
    p.dispose();
  }
});

/**
 * What the reader does with a tampered packet: a length it rejects, or the packet cut at the
 * (possibly changed) length and opened. Returns the error.
 */
async function tamperError(op: PacketOpener, seq: number, wire: Uint8Array): Promise<unknown> {
  try {
    const len = op.packetLength(seq, wire.subarray(0, op.headLength));
    const total = checkPacketLength(len, op);
    let cut = wire.subarray(0, total);
    if (total > wire.length) {
      cut = new Uint8Array(total);
      cut.set(wire);
    }
    await op.open(seq, cut);
  } catch (e) {
    return e;
  }
  return undefined;
}

Deno.test("libcrypto and fallback: a flipped bit anywhere is Corrupted MAC (or a length error)", async () => {
  for (const backend of ["libcrypto", "webcrypto"] as const) {
    for (const c of CIPHERS) {
      const macs: (MacSpec | undefined)[] = c.aead ? [undefined] : [...MACS];
      for (const m of macs) {
        const name = `${backend} ${c.name} ${m?.name ?? ""}`;
        const key = rnd(c.keyLength), iv = rnd(c.ivLength), mk = m ? rnd(m.keyLength) : undefined;
        const sealer = withBackend(backend, () => c.sealer(key, iv, m, mk));
        const wire = Uint8Array.from(await sealer.seal(0, buildPacket(rnd(90), sealer)));
        sealer.dispose?.();
        const headBytes = c.aead || m?.etm ? 4 : c.blockSize;
        let corrupted = 0;
        for (let bit = 0; bit < wire.length * 8; bit += 5) {
          // A fresh opener per flip: each rejection stands on its own (stream ciphers move on).
          const op = withBackend(backend, () => c.opener(key, iv, m, mk));
          const bad = Uint8Array.from(wire);
          bad[bit >> 3] ^= 1 << (bit & 7);
          const err = await tamperError(op, 0, bad);
          op.dispose?.();
          const inLength = bit >> 3 < headBytes && bit >> 3 < 4;
          if (inLength && (err instanceof SizeLimitError || err instanceof ProtocolError)) continue;
          assert(err instanceof ProtocolError, `${name} bit ${bit}: ${err}`);
          assertEquals((err as Error).message, "Corrupted MAC on input.", `${name} bit ${bit}`);
          corrupted++;
        }
        assert(corrupted > wire.length, `${name}: ${corrupted}`);
      }
    }
  }
});

Deno.test("libcrypto self-tests pass for every family; the default backend is libcrypto", () => {
  for (const f of ["aes-gcm", "chacha20-poly1305", "aes-ctr", "hmac"] as const) {
    assertEquals(libcryptoSelfTest(f), undefined, f);
    resetCryptoBackend();
    assertEquals(withBackend("libcrypto", () => cryptoBackend(f)), "libcrypto");
    assertEquals(withBackend("webcrypto", () => cryptoBackend(f)), "webcrypto");
  }
});

Deno.test("a family whose self-test fails falls back alone, with a verbose note", () => {
  const lines: string[] = [];
  const restore = captureLog(lines);
  const level = getLogLevel();
  setLogLevel(LogLevel.VERBOSE);
  try {
    const spec = CIPHERS.find((c) => c.name === "chacha20-poly1305@openssh.com")!;
    const s = withBackend("libcrypto", () => {
      setSelfTestForTests((f) => f === "chacha20-poly1305" ? "ChaCha20 mismatch" : undefined);
      return [
        cryptoBackend("chacha20-poly1305"),
        cryptoBackend("aes-gcm"),
        spec.sealer(rnd(64), new Uint8Array(0)),
      ] as const;
    });
    assertEquals(s[0], "webcrypto");
    assertEquals(s[1], "libcrypto");
    assertNotEquals(s[2].backend, "libcrypto");
    assert(
      lines.some((l) => l.includes("chacha20-poly1305 failed its self-test (ChaCha20 mismatch)")),
      lines.join(""),
    );
  } finally {
    restore();
    setLogLevel(level);
    setSelfTestForTests(undefined);
  }
});

Deno.test("libcrypto search list: OpenSSL 3 sonames and paths per OS; the override alone", () => {
  const linux = libcryptoCandidates("linux");
  assertEquals(linux[0], "libcrypto.so.3"); // the loader's own search first
  assert(linux.includes("/usr/lib/libcrypto.so.3"), "Alpine (musl) path");
  assert(linux.includes("/lib/libcrypto.so.3"), "older Alpine path");
  assert(linux.includes("/usr/lib64/libcrypto.so.3"), "RHEL-like path");
  assert(linux.every((n) => n.endsWith("libcrypto.so.3")), "OpenSSL 3 only, never 1.1");
  const mac = libcryptoCandidates("darwin");
  assert(mac.includes("/opt/homebrew/opt/openssl@3/lib/libcrypto.3.dylib"), "Homebrew arm64");
  assert(mac.includes("/usr/local/opt/openssl@3/lib/libcrypto.3.dylib"), "Homebrew x86_64");
  assert(mac.every((n) => n.startsWith("/") && n.endsWith("libcrypto.3.dylib")), mac.join());
  assertEquals(libcryptoCandidates("linux", "/x/libcrypto.so"), ["/x/libcrypto.so"]);
  assertEquals(libcryptoCandidates("darwin", "/y.dylib"), ["/y.dylib"]);
});
