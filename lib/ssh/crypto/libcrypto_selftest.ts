// Known-answer tests run once per algorithm family before libcrypto is trusted with it
// (crypto_backend.ts): a library that loads but computes something else (a broken build, a
// provider that refuses an algorithm, an ABI we misdeclared) must fall back, not corrupt a
// session. Each test goes through the same wrappers the transport uses.
//
// Vectors: RFC 8439 §2.3.2 (ChaCha20 block) and §2.5.2 (Poly1305); NIST SP 800-38A F.5.1/3/5
// (AES-CTR); RFC 4231 / RFC 2202 test case 2 (HMAC, its first 4 data bytes passed as the SSH
// sequence number). The SSH-shaped GCM and chacha20-poly1305@openssh.com packets were computed
// with node:crypto and with our fallback implementation (itself checked against sshd).

import {
  LibcryptoGcm,
  LibcryptoHmac,
  LibcryptoPoly1305,
  LibcryptoStream,
} from "../../../ffi/crypto.ts";
import { LibcryptoChaChaPolySealer } from "./chacha20_poly1305_libcrypto.ts";

export type CryptoFamily = "aes-gcm" | "chacha20-poly1305" | "aes-ctr" | "hmac";

function unhex(s: string): Uint8Array {
  const out = new Uint8Array(s.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(s.slice(2 * i, 2 * i + 2), 16);
  return out;
}
function hex(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
}
const seq = (n: number, from = 0) => Uint8Array.from({ length: n }, (_, i) => from + i);

function check(what: string, got: Uint8Array, want: string): void {
  if (hex(got) !== want) throw new Error(`${what} mismatch`);
}

function gcm(): void {
  const key = seq(16), iv = seq(12, 0x10);
  const wire = new Uint8Array(4 + 32 + 16);
  wire.set([0, 0, 0, 32]);
  wire.set(seq(32, 0x40), 4);
  const s = new LibcryptoGcm(key, iv, true), o = new LibcryptoGcm(key, iv, false);
  try {
    s.sealInPlace(wire, 36);
    check(
      "AES-128-GCM",
      wire.subarray(4),
      "846f41ec4b0af0a85f9417be8b6aa5716aed26d462a13de8dd92734a3b584ff2" +
        "2a24837c476dc861239d4dd7919bc419",
    );
    const plain = new Uint8Array(32);
    if (!o.open(wire, plain)) throw new Error("AES-128-GCM open failed");
    check("AES-128-GCM open", plain, hex(seq(32, 0x40)));
    wire[51] ^= 1; // the next packet's nonce, and a bad tag: must be refused
    if (o.open(wire, plain)) throw new Error("AES-128-GCM accepted a bad tag");
  } finally {
    s.free();
    o.free();
  }
}

function chacha(): void {
  const block = new Uint8Array(64);
  const c = new LibcryptoStream("chacha20", seq(32), unhex("01000000000000090000004a00000000"));
  const p = new LibcryptoPoly1305();
  const sealer = new LibcryptoChaChaPolySealer(seq(64));
  try {
    c.xor(block, block);
    check("ChaCha20", block.subarray(0, 16), "10f1e7e4d13b5915500fdd1fa32071c4");
    const tag = new Uint8Array(16);
    const msg = new TextEncoder().encode("Cryptographic Forum Research Group");
    p.tag(unhex("85d6be7857556d337f4452fe42d506a80103808afb0db2fd4abff6af4149f51b"), msg, tag);
    check("Poly1305", tag, "a8061dc1305136c6c22b8baf0c0127a9");
    const packet = new Uint8Array(32);
    packet.set([0, 0, 0, 28]);
    packet.set(seq(28, 0x44), 4);
    check(
      "chacha20-poly1305@openssh.com",
      sealer.seal(7, packet),
      "a39afcb66c03530406ca60152020f5bf87de817f60e7666126ba67d81c374580" +
        "243446d5ca036dce418a2c2213f998a3",
    );
  } finally {
    c.free();
    p.free();
    sealer.dispose();
  }
}

function ctr(): void {
  const cases = [
    ["aes-128-ctr", "2b7e151628aed2a6abf7158809cf4f3c", "874d6191b620e3261bef6864990db6ce"],
    [
      "aes-192-ctr",
      "8e73b0f7da0e6452c810f32b809079e562f8ead2522c6b7b",
      "1abc932417521ca24f2b0459fe7e6e0b",
    ],
    [
      "aes-256-ctr",
      "603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4",
      "601ec313775789a5b7a7f504bbf3d228",
    ],
  ] as const;
  for (const [alg, key, want] of cases) {
    const s = new LibcryptoStream(alg, unhex(key), unhex("f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff"));
    try {
      // Two calls: the keystream must run on across them as SSH's does across packets.
      const data = unhex("6bc1bee22e409f96e93d7e117393172a");
      s.xor(data.subarray(0, 5), data.subarray(0, 5));
      s.xor(data.subarray(5), data.subarray(5));
      check(alg, data, want);
    } finally {
      s.free();
    }
  }
}

function hmac(): void {
  const cases = [
    ["sha1", "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79"],
    ["sha256", "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"],
    [
      "sha512",
      "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea2505549758bf75c05a994a6d034f" +
      "65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737",
    ],
  ] as const;
  const data = new TextEncoder().encode(" do ya want for nothing?");
  for (const [hash, want] of cases) {
    const h = new LibcryptoHmac(hash, new TextEncoder().encode("Jefe"));
    try {
      const out = new Uint8Array(h.length);
      for (let i = 0; i < 2; i++) { // twice: the kept key schedule must restart cleanly
        h.mac(0x77686174, data, out); // "what"
        check(`HMAC-${hash}`, out, want);
      }
    } finally {
      h.free();
    }
  }
}

const TESTS: Record<CryptoFamily, () => void> = {
  "aes-gcm": gcm,
  "chacha20-poly1305": chacha,
  "aes-ctr": ctr,
  "hmac": hmac,
};

/** Runs `family`'s known-answer tests on libcrypto; returns why they failed, or undefined. */
export function libcryptoSelfTest(family: CryptoFamily): string | undefined {
  try {
    TESTS[family]();
    return undefined;
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
}
