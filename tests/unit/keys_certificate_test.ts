// OpenSSH certificates: ssh-keygen's own user and host certificates for each key type parse
// to the key they certify, with their type, id, principals and validity; mutated and truncated
// blobs fail with KeyFormatError only; certificate types choose "-cert-v01" signature
// algorithms the way ssh does; a certificate signer signs with the plain algorithm.

import { assert, assertEquals, assertThrows } from "@std/assert";
import { acceptedAlgorithms, chooseAlgorithm } from "../../lib/ssh/auth/publickey.ts";
import {
  certBaseType,
  isCertType,
  parseCertificate,
  SSH2_CERT_TYPE_HOST,
  SSH2_CERT_TYPE_USER,
} from "../../lib/ssh/keys/certificate.ts";
import { KeyFormatError } from "../../lib/ssh/keys/key_errors.ts";
import { parsePublicKeyLine } from "../../lib/ssh/keys/private_key.ts";
import { certificateSigner, type Signer } from "../../lib/ssh/keys/signer.ts";
import { run } from "../helpers/run.ts";

/** ssh-keygen makes a key and certifies it: [plain blob, certificate blob]. */
async function certified(
  dir: string,
  type: string,
  host: boolean,
): Promise<[Uint8Array, Uint8Array]> {
  const key = `${dir}/id_${type}${host ? "_h" : ""}`;
  assertEquals((await run("ssh-keygen", ["-q", "-t", type, "-N", "", "-f", key])).code, 0);
  const sign = [
    "-q",
    "-s",
    `${dir}/ca`,
    "-I",
    `id-${type}`,
    "-n",
    "alice,bob",
    "-V",
    "20200101:20400101",
  ];
  if (host) sign.push("-h");
  const r = await run("ssh-keygen", [...sign, `${key}.pub`]);
  assertEquals(r.code, 0, r.err);
  return [
    parsePublicKeyLine(Deno.readTextFileSync(`${key}.pub`)).blob,
    parsePublicKeyLine(Deno.readTextFileSync(`${key}-cert.pub`)).blob,
  ];
}

Deno.test("certificates from ssh-keygen: embedded key, type, id, principals, validity", async () => {
  const dir = Deno.makeTempDirSync({ prefix: "sshmux-cert-" });
  try {
    assertEquals(
      (await run("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", `${dir}/ca`])).code,
      0,
    );
    let sample: [Uint8Array, Uint8Array] | undefined;
    for (const type of ["ed25519", "ecdsa", "rsa"]) {
      for (const host of [false, true]) {
        const [plain, blob] = await certified(dir, type, host);
        sample ??= [plain, blob];
        const c = parseCertificate(blob);
        assert(isCertType(c.certType), c.certType);
        assertEquals(c.keyType, certBaseType(c.certType));
        assertEquals(c.keyBlob, plain, `${type}: the certified key is the plain key`);
        assertEquals(c.type, host ? SSH2_CERT_TYPE_HOST : SSH2_CERT_TYPE_USER);
        assertEquals(c.keyId, `id-${type}`);
        assertEquals(c.principals, ["alice", "bob"]);
        assert(c.validAfter > 0n && c.validBefore > c.validAfter);
      }
    }
    // Not a certificate, truncations and byte flips: KeyFormatError and nothing else.
    const [plain, blob] = sample!;
    assertThrows(() => parseCertificate(plain), KeyFormatError);
    for (let n = 0; n < blob.length; n += 3) {
      assertThrows(() => parseCertificate(blob.subarray(0, n)), KeyFormatError);
    }
    for (let i = 0; i < 3000; i++) {
      const m = Uint8Array.from(blob);
      for (let k = 0; k < 3; k++) {
        m[Math.floor(Math.random() * m.length)] ^= 1 + Math.floor(Math.random() * 255);
      }
      try {
        parseCertificate(m);
      } catch (e) {
        assert(e instanceof KeyFormatError, `${e}`);
      }
    }
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("certificate signature algorithms follow ssh: cert forms, RSA by server-sig-algs", () => {
  const all = acceptedAlgorithms(undefined);
  assertEquals(
    chooseAlgorithm("ssh-ed25519-cert-v01@openssh.com", undefined, all),
    "ssh-ed25519-cert-v01@openssh.com",
  );
  assertEquals(
    chooseAlgorithm("ecdsa-sha2-nistp384-cert-v01@openssh.com", ["ssh-ed25519"], all),
    "ecdsa-sha2-nistp384-cert-v01@openssh.com",
  );
  assertEquals(
    chooseAlgorithm("ssh-rsa-cert-v01@openssh.com", ["rsa-sha2-512", "rsa-sha2-256"], all),
    "rsa-sha2-512-cert-v01@openssh.com",
  );
  assertEquals(
    chooseAlgorithm("ssh-rsa-cert-v01@openssh.com", ["rsa-sha2-256"], all),
    "rsa-sha2-256-cert-v01@openssh.com",
  );
  // Certificates left out of PubkeyAcceptedAlgorithms are not offered; plain keys still are.
  const noCerts = acceptedAlgorithms("-*-cert-v01@openssh.com");
  assertEquals(chooseAlgorithm("ssh-ed25519-cert-v01@openssh.com", undefined, noCerts), undefined);
  assertEquals(chooseAlgorithm("ssh-ed25519", undefined, noCerts), "ssh-ed25519");
});

Deno.test("a certificate signer shows the certificate and signs with the key's plain algorithm", async () => {
  const calls: string[] = [];
  const key: Signer = {
    publicKeyBlob: new Uint8Array(4),
    keyType: "ssh-rsa",
    algorithms: ["rsa-sha2-512", "rsa-sha2-256"],
    comment: "k",
    source: "file",
    sign: (alg) => {
      calls.push(alg);
      return Promise.resolve(new Uint8Array(1));
    },
  };
  const certBlob = Uint8Array.of(
    0,
    0,
    0,
    28,
    ...new TextEncoder().encode("ssh-rsa-cert-v01@openssh.com"),
  );
  const s = certificateSigner(key, certBlob);
  assertEquals(s.publicKeyBlob, certBlob);
  assertEquals(s.keyType, "ssh-rsa-cert-v01@openssh.com");
  assertEquals(s.algorithms, [
    "rsa-sha2-512-cert-v01@openssh.com",
    "rsa-sha2-256-cert-v01@openssh.com",
  ]);
  await s.sign("rsa-sha2-256-cert-v01@openssh.com", new Uint8Array(0));
  assertEquals(calls, ["rsa-sha2-256"]);
});
