// Private key loading and signing, checked against OpenSSH itself: keys made by ssh-keygen, and
// every signature verified both by the transport's verifier and by `ssh-keygen -Y check-novalidate`.

import { assert, assertEquals, assertRejects } from "@std/assert";
import {
  IncorrectPassphraseError,
  KeyFormatError,
  PassphraseRequiredError,
} from "../../lib/ssh/keys/key_errors.ts";
import {
  inspectPrivateKey,
  loadPrivateKey,
  parsePublicKeyLine,
  readKeyFile,
} from "../../lib/ssh/keys/private_key.ts";
import type { Signer } from "../../lib/ssh/keys/signer.ts";
import { verifySignature } from "../../lib/ssh/keys/public_key.ts";
import { parseOpensshKey } from "../../lib/ssh/keys/openssh_key_v1.ts";
import { WireWriter } from "../../lib/wire/writer.ts";
import { run } from "../helpers/run.ts";

const dir = Deno.makeTempDirSync({ prefix: "sshmux-keys-" });
const msg = new TextEncoder().encode("sshmux signs this\n");

async function keygen(name: string, args: string[]): Promise<string> {
  const path = `${dir}/${name}`;
  const r = await run("ssh-keygen", ["-q", "-C", `c-${name}`, "-f", path, ...args]);
  if (r.code !== 0) throw new Error(`ssh-keygen ${args.join(" ")}: ${r.err}`);
  return path;
}

async function sha512(b: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest("SHA-512", b as BufferSource));
}

/** Wraps our signature in OpenSSH's SSHSIG format (PROTOCOL.sshsig) and asks ssh-keygen to check it. */
async function checkWithSshKeygen(s: Signer, alg: string, pubPath: string): Promise<void> {
  const ns = "sshmux-test";
  const magic = new TextEncoder().encode("SSHSIG");
  const toSign = new WireWriter().raw(magic).string(ns).string("").string("sha512")
    .string(await sha512(msg)).finish();
  const sig = await s.sign(alg, toSign);
  const blob = new WireWriter().raw(magic).u32(1).string(s.publicKeyBlob).string(ns).string("")
    .string("sha512").string(sig).finish();
  const b64 = btoa(String.fromCharCode(...blob)).replace(/(.{70})/g, "$1\n");
  const sigPath = `${pubPath}.${alg}.sig`;
  Deno.writeTextFileSync(
    sigPath,
    `-----BEGIN SSH SIGNATURE-----\n${b64}\n-----END SSH SIGNATURE-----\n`,
  );
  const r = await run("ssh-keygen", ["-Y", "check-novalidate", "-n", ns, "-s", sigPath], {
    stdin: msg,
  });
  assertEquals(r.code, 0, `ssh-keygen rejected our ${alg} signature: ${r.out}${r.err}`);
  assert(r.out.includes("Good"), r.out);
}

async function signAndVerify(s: Signer, pubPath: string, keygenCheck = true): Promise<void> {
  const pub = parsePublicKeyLine(Deno.readTextFileSync(`${pubPath}`));
  assertEquals(s.publicKeyBlob, pub.blob, "public key blob differs from the .pub file");
  assertEquals(s.keyType, pub.keyType);
  for (const alg of s.algorithms) {
    const sig = await s.sign(alg, msg);
    assert(await verifySignature(s.publicKeyBlob, sig, msg), `${alg} signature does not verify`);
    const other = new Uint8Array(msg);
    other[0] ^= 1;
    assert(!(await verifySignature(s.publicKeyBlob, sig, other)), `${alg} verifies wrong data`);
    if (keygenCheck && alg !== "ssh-rsa") await checkWithSshKeygen(s, alg, pubPath);
  }
}

const TYPES: [string, string[]][] = [
  ["ed25519", ["-t", "ed25519"]],
  ["ecdsa256", ["-t", "ecdsa", "-b", "256"]],
  ["ecdsa384", ["-t", "ecdsa", "-b", "384"]],
  ["ecdsa521", ["-t", "ecdsa", "-b", "521"]],
  ["rsa3072", ["-t", "rsa", "-b", "3072"]],
];

for (const [name, args] of TYPES) {
  Deno.test(`keys: unencrypted ${name} loads, signs, ssh-keygen verifies`, async () => {
    const path = await keygen(name, [...args, "-N", ""]);
    const text = await readKeyFile(path);
    const info = inspectPrivateKey(text);
    assertEquals(info.encrypted, false);
    const s = await loadPrivateKey(text, undefined, path);
    assertEquals(info.publicKeyBlob, s.publicKeyBlob);
    assertEquals(s.comment, `c-${name}`);
    assertEquals(s.source, path);
    if (name === "rsa3072") assertEquals(s.algorithms, ["rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"]);
    await signAndVerify(s, `${path}.pub`);
  });
}

const ENCRYPTED: [string, string[]][] = [
  ["ed25519 aes256-ctr (default)", ["-t", "ed25519"]],
  ["ecdsa256 aes256-gcm", ["-t", "ecdsa", "-Z", "aes256-gcm@openssh.com", "-a", "2"]],
  ["ecdsa384 aes128-ctr", ["-t", "ecdsa", "-b", "384", "-Z", "aes128-ctr", "-a", "2"]],
  ["rsa2048 aes256-cbc", ["-t", "rsa", "-b", "2048", "-Z", "aes256-cbc", "-a", "2"]],
  ["ecdsa521 chacha20-poly1305", [
    "-t",
    "ecdsa",
    "-b",
    "521",
    "-Z",
    "chacha20-poly1305@openssh.com",
    "-a",
    "2",
  ]],
];

for (const [label, args] of ENCRYPTED) {
  Deno.test(`keys: encrypted ${label}: right, wrong and missing passphrase`, async () => {
    const path = await keygen(label.replace(/\W+/g, "_"), [...args, "-N", "pass phrase"]);
    const text = await readKeyFile(path);
    const info = inspectPrivateKey(text);
    assertEquals(info.encrypted, true);
    const pub = parsePublicKeyLine(Deno.readTextFileSync(`${path}.pub`));
    // The public half is readable without the passphrase (for a PK_OK query first).
    assertEquals(info.publicKeyBlob, pub.blob);
    await assertRejects(() => loadPrivateKey(text), PassphraseRequiredError);
    await assertRejects(
      () => loadPrivateKey(text, "wrong"),
      IncorrectPassphraseError,
      "incorrect passphrase supplied to decrypt private key",
    );
    const s = await loadPrivateKey(text, "pass phrase", path);
    await signAndVerify(s, `${path}.pub`, false);
  });
}

Deno.test("keys: PEM (PKCS#1 RSA, SEC1 EC) and PKCS#8 keys load and sign", async () => {
  for (
    const [name, args] of [
      ["pem_rsa", ["-t", "rsa", "-b", "2048", "-m", "PEM"]],
      ["pem_ec", ["-t", "ecdsa", "-m", "PEM"]],
      ["p8_rsa", ["-t", "rsa", "-b", "2048", "-m", "PKCS8"]],
      ["p8_ec", ["-t", "ecdsa", "-b", "384", "-m", "PKCS8"]],
    ] as [string, string[]][]
  ) {
    const path = await keygen(name, [...args, "-N", ""]);
    const text = await readKeyFile(path);
    assert(!text.includes("OPENSSH"), `${name} should be PEM`);
    const s = await loadPrivateKey(text, undefined, path);
    await signAndVerify(s, `${path}.pub`, name === "pem_ec");
  }
});

Deno.test("keys: PKCS#8 ed25519 (openssl) loads and self-verifies", async () => {
  const path = `${dir}/ossl_ed25519`;
  const r = await run("openssl", ["genpkey", "-algorithm", "ed25519", "-out", path]);
  assertEquals(r.code, 0, r.err);
  const s = await loadPrivateKey(Deno.readTextFileSync(path));
  assertEquals(s.keyType, "ssh-ed25519");
  const sig = await s.sign("ssh-ed25519", msg);
  assert(await verifySignature(s.publicKeyBlob, sig, msg));
});

Deno.test("keys: a signer refuses algorithms of other key types", async () => {
  const path = await keygen("other_alg", ["-t", "ed25519", "-N", ""]);
  const s = await loadPrivateKey(Deno.readTextFileSync(path));
  await assertRejects(() => s.sign("rsa-sha2-512", msg));
});

Deno.test("keys: encrypted PEM (traditional AES/3DES, PKCS#8 PBES2) with right/wrong/no passphrase", async () => {
  const cases: [string, string[]][] = [
    ["pemenc_rsa", ["-t", "rsa", "-b", "2048", "-m", "PEM"]],
    ["pemenc_ec", ["-t", "ecdsa", "-m", "PEM"]],
    ["p8enc_rsa", ["-t", "rsa", "-b", "2048", "-m", "PKCS8"]],
    ["p8enc_ec", ["-t", "ecdsa", "-b", "384", "-m", "PKCS8"]],
  ];
  const paths: string[] = [];
  for (const [name, args] of cases) paths.push(await keygen(name, [...args, "-N", "pem pass"]));
  // openssl's traditional 3DES encryption, with the public key taken out by ssh-keygen.
  const des = `${dir}/pemenc_des`;
  const o = await run("openssl", [
    "genrsa",
    "-traditional",
    "-des3",
    "-passout",
    "pass:pem pass",
    "-out",
    des,
    "2048",
  ]);
  assertEquals(o.code, 0, o.err);
  Deno.chmodSync(des, 0o600);
  const y = await run("ssh-keygen", ["-y", "-P", "pem pass", "-f", des]);
  assertEquals(y.code, 0, y.err);
  Deno.writeTextFileSync(`${des}.pub`, y.out);
  paths.push(des);
  for (const path of paths) {
    const text = await readKeyFile(path);
    assert(text.includes("ENCRYPTED"), `${path} should be encrypted PEM`);
    assertEquals(inspectPrivateKey(text).encrypted, true);
    await assertRejects(() => loadPrivateKey(text), PassphraseRequiredError);
    await assertRejects(() => loadPrivateKey(text, "wrong pass"), IncorrectPassphraseError);
    const s = await loadPrivateKey(text, "pem pass", path);
    await signAndVerify(s, `${path}.pub`, false);
  }
});

Deno.test("keys: .pub lines: good, mismatched type, garbage", () => {
  const good = parsePublicKeyLine(
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB5Nv1NN0cRwDoxRk8QPvufWzqmBVa0j6nUWSSUvY6Fd me@host x",
  );
  assertEquals(good.keyType, "ssh-ed25519");
  assertEquals(good.comment, "me@host x");
  for (
    const bad of [
      "",
      "ssh-ed25519",
      "ssh-rsa AAAAC3NzaC1lZDI1NTE5AAAAIB5Nv1NN0cRwDoxRk8QPvufWzqmBVa0j6nUWSSUvY6Fd",
      "ssh-ed25519 !!!notbase64",
      "ssh-ed25519 AAAA",
    ]
  ) {
    let threw = false;
    try {
      parsePublicKeyLine(bad);
    } catch (e) {
      threw = e instanceof KeyFormatError;
    }
    assert(threw, `expected KeyFormatError for ${JSON.stringify(bad)}`);
  }
});

function armor(raw: Uint8Array): string {
  const b64 = btoa(String.fromCharCode(...raw)).replace(/(.{70})/g, "$1\n");
  return `-----BEGIN OPENSSH PRIVATE KEY-----\n${b64}\n-----END OPENSSH PRIVATE KEY-----\n`;
}

function dearmor(text: string): Uint8Array {
  const b64 = text.split("\n").filter((l) => !l.startsWith("-----")).join("");
  return Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
}

/** Only typed errors (or success) are acceptable for damaged input; anything else fails. */
async function expectTypedOutcome(text: string, passphrase?: string): Promise<void> {
  try {
    await loadPrivateKey(text, passphrase);
  } catch (e) {
    if (!(e instanceof KeyFormatError)) throw new Error(`untyped error: ${e}`, { cause: e });
  }
}

Deno.test("keys: fuzz: truncated, bit-flipped and random key files give typed errors", async () => {
  const plain = dearmor(
    Deno.readTextFileSync(await keygen("fuzz_ed", ["-t", "ed25519", "-N", ""])),
  );
  const rsa = dearmor(
    Deno.readTextFileSync(await keygen("fuzz_rsa", ["-t", "rsa", "-b", "1024", "-N", ""])),
  );
  const enc = dearmor(
    Deno.readTextFileSync(await keygen("fuzz_enc", ["-t", "ed25519", "-N", "x", "-a", "1"])),
  );
  for (const raw of [plain, rsa, enc]) {
    for (let n = 0; n < raw.length; n += raw.length > 600 ? 7 : 1) {
      await expectTypedOutcome(armor(raw.subarray(0, n)));
    }
  }
  let seed = 12345;
  const rnd = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff);
  for (let i = 0; i < 600; i++) {
    const src = [plain, rsa, enc][i % 3];
    const raw = Uint8Array.from(src);
    const flips = 1 + (rnd() % 3);
    for (let k = 0; k < flips; k++) raw[rnd() % raw.length] ^= 1 << (rnd() % 8);
    // Without a passphrase: no KDF runs, so even a flipped rounds field cannot stall the loop.
    await expectTypedOutcome(armor(raw));
  }
  for (let i = 0; i < 200; i++) {
    const raw = new Uint8Array(rnd() % 300);
    for (let k = 0; k < raw.length; k++) raw[k] = rnd() & 0xff;
    if (i % 2 === 0) raw.set(new TextEncoder().encode("openssh-key-v1\0").subarray(0, raw.length));
    await expectTypedOutcome(armor(raw));
  }
  for (
    const junk of [
      "",
      "hello",
      "-----BEGIN OPENSSH PRIVATE KEY-----\n",
      "-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----",
    ]
  ) {
    await expectTypedOutcome(junk);
  }
});

Deno.test("keys: fuzz: damaged encrypted PEM/PKCS#8 with a passphrase gives typed errors", async () => {
  let seed = 777;
  const rnd = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff);
  for (const [name, args] of [["fz_p8", ["-m", "PKCS8"]], ["fz_pem", ["-m", "PEM"]]] as const) {
    const text = Deno.readTextFileSync(
      await keygen(name, ["-t", "ecdsa", ...args, "-N", "fuzz pass"]),
    );
    const lines = text.trim().split("\n");
    const head = lines.filter((l) => l.startsWith("-----") || l.includes(":"));
    const raw = Uint8Array.from(
      atob(lines.filter((l) => !l.startsWith("-----") && !l.includes(":") && l).join("")),
      (c) => c.charCodeAt(0),
    );
    const armor = (bytes: Uint8Array) => {
      const body = btoa(String.fromCharCode(...bytes)).replace(/(.{64})/g, "$1\n");
      return [...head.slice(0, -1), "", body, head.at(-1)].join("\n");
    };
    // The reassembled, undamaged file loads: the loop below really tests damage.
    assertEquals((await loadPrivateKey(armor(raw), "fuzz pass")).keyType, "ecdsa-sha2-nistp256");
    for (let i = 0; i < 150; i++) {
      const b = Uint8Array.from(raw);
      if (i % 3 === 0) {
        b[rnd() % b.length] ^= 1 << (rnd() % 8);
      } else if (i % 3 === 1) {
        b[rnd() % Math.min(b.length, 120)] = rnd() & 0xff; // the PBES2 parameters
      }
      await expectTypedOutcome(
        armor(i % 3 === 2 ? b.subarray(0, rnd() % b.length) : b),
        "fuzz pass",
      );
    }
  }
});

Deno.test("keys: an encrypted key with a damaged check-int or secret is refused", async () => {
  const path = await keygen("flip_enc", ["-t", "ed25519", "-N", "pw", "-a", "1"]);
  const raw = dearmor(Deno.readTextFileSync(path));
  const sectionStart = raw.length - parseOpensshKey(armor(raw)).privateSection.length;
  // Offsets inside the clear section: check-int 1, then (after check-ints, type, public key,
  // the secret's length) a byte of the ed25519 seed. CTR mode flips exactly that clear byte.
  for (const off of [0, 8 + 15 + 36 + 4 + 3]) {
    const damaged = Uint8Array.from(raw);
    damaged[sectionStart + off] ^= 0x40;
    await assertRejects(() => loadPrivateKey(armor(damaged), "pw"), KeyFormatError);
  }
});

Deno.test({
  name: "keys: cleanup",
  fn: () => Deno.removeSync(dir, { recursive: true }),
});
