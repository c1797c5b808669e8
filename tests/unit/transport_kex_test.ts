// Key agreement methods against an independent server side computed here (WebCrypto, BigInt,
// @noble/post-quantum for ML-KEM), and public key parsing/verification/fingerprints.

import { assert, assertEquals, assertRejects } from "@std/assert";
import { ml_kem768 } from "@noble/post-quantum/ml-kem";
import { ProtocolError } from "../../lib/errors.ts";
import { WireReader } from "../../lib/wire/reader.ts";
import { WireWriter } from "../../lib/wire/writer.ts";
import { digest } from "../../lib/ssh/crypto/hash.ts";
import { KEX_METHODS, kexByName } from "../../lib/ssh/transport/kex/registry.ts";
import { modPow } from "../../lib/ssh/transport/kex/dh.ts";
import {
  mlkemHybridClient,
  mlkemPairFromSeed,
} from "../../lib/ssh/transport/kex/mlkem768x25519.ts";
import {
  fingerprintSha256,
  parsePublicKey,
  verifySignature,
} from "../../lib/ssh/keys/public_key.ts";
import { run } from "../helpers/run.ts";

const toHex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");

/** The server's half of an ECDH exchange: returns its public value and the expected K (mpint). */
async function ecdhServer(
  alg: { name: "X25519" } | { name: "ECDH"; namedCurve: string },
  bits: number,
  clientPublic: Uint8Array,
): Promise<{ pub: Uint8Array; k: Uint8Array }> {
  const kp = await crypto.subtle.generateKey(alg, true, ["deriveBits"]) as CryptoKeyPair;
  const peer = await crypto.subtle.importKey("raw", clientPublic as BufferSource, alg, false, []);
  const shared = new Uint8Array(
    await crypto.subtle.deriveBits({ name: alg.name, public: peer }, kp.privateKey, bits),
  );
  return {
    pub: new Uint8Array(await crypto.subtle.exportKey("raw", kp.publicKey)),
    k: new WireWriter(80).mpintBytes(shared).finish(),
  };
}

Deno.test("ECDH kex methods agree with an independent server side", async () => {
  const cases: [string, { name: "X25519" } | { name: "ECDH"; namedCurve: string }, number][] = [
    ["curve25519-sha256", { name: "X25519" }, 256],
    ["curve25519-sha256@libssh.org", { name: "X25519" }, 256],
    ["ecdh-sha2-nistp256", { name: "ECDH", namedCurve: "P-256" }, 256],
    ["ecdh-sha2-nistp384", { name: "ECDH", namedCurve: "P-384" }, 384],
    ["ecdh-sha2-nistp521", { name: "ECDH", namedCurve: "P-521" }, 528],
  ];
  for (const [name, alg, bits] of cases) {
    const c = await kexByName(name)!.start();
    const q = new WireReader(c.clientField).string();
    const s = await ecdhServer(alg, bits, q);
    assertEquals(toHex(await c.finish(s.pub)), toHex(s.k), name);
    // A wrong-length or invalid server value is a ProtocolError, not a crash.
    await assertRejects(() => c.finish(s.pub.subarray(1)), ProtocolError);
    await assertRejects(() => c.finish(new Uint8Array(s.pub.length)), ProtocolError);
  }
});

Deno.test("DH group14/16 kex agrees with a BigInt server side; f out of range is refused", async () => {
  for (
    const name of [
      "diffie-hellman-group14-sha256",
      "diffie-hellman-group16-sha512",
      "diffie-hellman-group14-sha1",
    ]
  ) {
    const c = await kexByName(name)!.start();
    const e = new WireReader(c.clientField).mpint();
    // Recover p from the method indirectly: e < p and p is the RFC 3526 prime of that size.
    const bits = name.includes("16") ? 4096 : 2048;
    assert(e > 1n && e.toString(2).length <= bits);
    const y = 0x1234567890abcdefn;
    const pHexLen = bits / 4;
    const p = BigInt(await primeFor(bits));
    assertEquals(p.toString(16).length, pHexLen);
    const f = modPow(2n, y, p);
    const fField = new WireReader(new WireWriter(600).mpint(f).finish()).string();
    const k = await c.finish(fField);
    assertEquals(new WireReader(k).mpint(), modPow(e, y, p), name);
    await assertRejects(() => c.finish(Uint8Array.of(1)), ProtocolError);
  }
});

/** The RFC 3526 prime of `bits`, from OpenSSL's named groups (an oracle independent of our table). */
async function primeFor(bits: number): Promise<string> {
  const dir = Deno.makeTempDirSync();
  try {
    const f = `${dir}/p.pem`;
    await run("openssl", [
      "genpkey",
      "-genparam",
      "-algorithm",
      "DH",
      "-pkeyopt",
      `group:modp_${bits}`,
      "-out",
      f,
    ]);
    const r = await run("openssl", ["asn1parse", "-in", f]);
    return "0x" + r.out.split("\n")[1].split(":").pop()!.trim();
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
}

Deno.test("modPow: small known values", () => {
  assertEquals(modPow(4n, 13n, 497n), 445n);
  assertEquals(modPow(2n, 0n, 7n), 1n);
});

Deno.test("mlkem768x25519: keygen matches @noble/post-quantum KAT from a seed; K = SHA256(ss_kem || ss_x25519)", async () => {
  const seed = new Uint8Array(64).map((_, i) => (i * 37 + 11) & 0xff);
  const pair = await mlkemPairFromSeed(seed);
  const c = await mlkemHybridClient(pair);
  const init = new WireReader(c.clientField).string();
  assertEquals(init.length, 1184 + 32);
  const ek = init.subarray(0, 1184);
  assertEquals(toHex(ek), toHex(ml_kem768.keygen(seed).publicKey));
  // Server side with noble: encapsulate to our key; X25519 with WebCrypto.
  const { cipherText, sharedSecret } = ml_kem768.encapsulate(ek);
  const x = await ecdhServer({ name: "X25519" }, 256, init.subarray(1184));
  const xShared = new WireReader(x.k).mpint();
  const reply = Uint8Array.of(...cipherText, ...x.pub);
  const k = await c.finish(reply);
  const xBytes = new Uint8Array(32);
  let v = xShared;
  for (let i = 31; i >= 0; i--) {
    xBytes[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  assertEquals(toHex(new WireReader(k).string()), toHex(digest("SHA-256", sharedSecret, xBytes)));
  await assertRejects(() => c.finish(reply.subarray(1)), ProtocolError);
  assert(KEX_METHODS.some((m) => m.name === "mlkem768x25519-sha256"));
});

async function keygen(
  dir: string,
  type: string,
  bits?: number,
): Promise<{ pub: string; priv: string }> {
  const p = `${dir}/k_${type}${bits ?? ""}`;
  const args = ["-q", "-t", type, "-N", "", "-f", p, ...(bits ? ["-b", `${bits}`] : [])];
  assertEquals((await run("ssh-keygen", args)).code, 0);
  return { pub: `${p}.pub`, priv: p };
}

function b64decode(s: string): Uint8Array {
  return Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
}

/** Parses an SSHSIG file (PROTOCOL.sshsig) made by ssh-keygen -Y sign. */
function parseSshsig(
  text: string,
): { sigBlob: Uint8Array; signed: Uint8Array; hashAlg: string; namespace: string } {
  const b = b64decode(text.replace(/-----[^-]+-----/g, "").replace(/\s+/g, ""));
  const r = new WireReader(b);
  r.bytes(6);
  r.u32();
  r.string();
  const namespace = r.text();
  r.string();
  const hashAlg = r.text();
  const sigBlob = r.string();
  return { sigBlob, signed: new Uint8Array(0), hashAlg, namespace };
}

Deno.test("public keys: parse ssh-keygen keys, fingerprints equal ssh-keygen -l, SSHSIG signatures verify", async () => {
  const dir = Deno.makeTempDirSync({ prefix: "sshmux-pk-" });
  try {
    const msg = new TextEncoder().encode("signed message\n");
    Deno.writeFileSync(`${dir}/msg`, msg);
    for (
      const [type, bits] of [["ed25519"], ["ecdsa", 256], ["ecdsa", 384], ["ecdsa", 521], [
        "rsa",
        2048,
      ]] as [string, number?][]
    ) {
      const k = await keygen(dir, type, bits);
      const blob = b64decode(Deno.readTextFileSync(k.pub).split(" ")[1]);
      const key = parsePublicKey(blob);
      const fp = (await run("ssh-keygen", ["-l", "-E", "sha256", "-f", k.pub])).out.split(" ")[1];
      assertEquals(fingerprintSha256(blob), fp, `${type}${bits ?? ""}`);
      assertEquals(key.bits, type === "ed25519" ? 256 : bits);
      const s = await run("ssh-keygen", ["-Y", "sign", "-n", "test", "-f", k.priv, `${dir}/msg`]);
      assertEquals(s.code, 0, s.err);
      const sig = parseSshsig(Deno.readTextFileSync(`${dir}/msg.sig`));
      Deno.removeSync(`${dir}/msg.sig`);
      // The signed data per PROTOCOL.sshsig.
      const h = digest(sig.hashAlg === "sha512" ? "SHA-512" : "SHA-256", msg);
      const signed = new WireWriter(256).raw(new TextEncoder().encode("SSHSIG")).string(
        sig.namespace,
      )
        .string("").string(sig.hashAlg).string(h).finish();
      assert(
        await verifySignature(blob, sig.sigBlob, signed),
        `${type}${bits ?? ""} good signature`,
      );
      const bad = Uint8Array.from(signed);
      bad[bad.length - 1] ^= 1;
      assertEquals(await verifySignature(blob, sig.sigBlob, bad), false);
      // An algorithm restriction that excludes the signature's algorithm refuses it.
      assertEquals(await verifySignature(blob, sig.sigBlob, signed, ["none"]), false);
    }
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("public keys: RSA signatures with a stripped leading zero still verify (left-padding)", async () => {
  const kp = await crypto.subtle.generateKey(
    {
      name: "RSASSA-PKCS1-v1_5",
      modulusLength: 1024,
      publicExponent: Uint8Array.of(1, 0, 1),
      hash: "SHA-256",
    },
    true,
    ["sign", "verify"],
  ) as CryptoKeyPair;
  const jwk = await crypto.subtle.exportKey("jwk", kp.publicKey);
  const dec = (s: string) =>
    b64decode(s.replaceAll("-", "+").replaceAll("_", "/") + "=".repeat((4 - s.length % 4) % 4));
  const blob = new WireWriter(300).string("ssh-rsa").mpintBytes(dec(jwk.e!)).mpintBytes(dec(jwk.n!))
    .finish();
  let found = false;
  for (let i = 0; i < 3000 && !found; i++) {
    const data = new TextEncoder().encode(`message ${i}`);
    const sig = new Uint8Array(await crypto.subtle.sign("RSASSA-PKCS1-v1_5", kp.privateKey, data));
    if (sig[0] !== 0) continue;
    found = true;
    const stripped = sig.subarray(1);
    const sigBlob = new WireWriter(300).string("rsa-sha2-256").string(stripped).finish();
    assert(await verifySignature(blob, sigBlob, data));
  }
  assert(found, "no signature with a leading zero byte in 3000 tries");
});

Deno.test("public keys: fuzzed and malformed blobs raise only typed errors", async () => {
  const good = new WireWriter(64).string("ssh-ed25519").string(new Uint8Array(32).fill(9)).finish();
  const ecdsa = new WireWriter(128).string("ecdsa-sha2-nistp256").string("nistp256").string(
    Uint8Array.of(4, ...new Uint8Array(64)),
  ).finish();
  let s = 12345;
  const rand = () => ((s = (s * 1103515245 + 12345) & 0x7fffffff) / 0x80000000);
  for (const base of [good, ecdsa]) {
    for (let i = 0; i < 2000; i++) {
      const b = Uint8Array.from(base);
      b[Math.floor(rand() * b.length)] = Math.floor(rand() * 256);
      const cut = rand() < 0.3 ? b.subarray(0, Math.floor(rand() * b.length)) : b;
      try {
        parsePublicKey(cut);
      } catch (e) {
        if (!(e instanceof ProtocolError)) throw e;
      }
    }
  }
  // Too-small RSA is refused.
  const tiny = new WireWriter(64).string("ssh-rsa").mpint(65537n).mpint((1n << 511n) + 1n).finish();
  let err: unknown;
  try {
    parsePublicKey(tiny);
  } catch (e) {
    err = e;
  }
  assert(err instanceof ProtocolError && /too small/.test(err.message));
  // A garbage signature over a valid (but random-point) ed25519 key is just "false".
  const sigBlob = new WireWriter(100).string("ssh-ed25519").string(new Uint8Array(64)).finish();
  assertEquals(await verifySignature(good, sigBlob, new Uint8Array(1)), false);
});
