// Interop: our transport against a real OpenSSH sshd — the default handshake, reaching
// SSH_MSG_SERVICE_ACCEPT for ssh-userauth, host key refusal, and algorithm errors.

import { assert, assertEquals } from "@std/assert";
import { startSshd } from "../helpers/sshd.ts";
import { connectTransport, type SshTransport } from "../../lib/ssh/transport/mod.ts";
import { WireReader } from "../../lib/wire/reader.ts";
import { WireWriter } from "../../lib/wire/writer.ts";
import { fingerprintSha256 } from "../../lib/ssh/keys/public_key.ts";
import { run } from "../helpers/run.ts";

export async function serviceRequest(t: SshTransport): Promise<void> {
  await t.send(new WireWriter(32).u8(5).string("ssh-userauth").finish());
  const reply = await t.receive();
  if (!reply) throw new Error("transport closed before SERVICE_ACCEPT");
  const r = new WireReader(reply);
  assertEquals(r.u8(), 6);
  assertEquals(r.text(), "ssh-userauth");
}

/** The fingerprints of the sshd's host keys, from ssh-keygen (the oracle). */
export async function hostFingerprints(dir: string, types: string[]): Promise<Set<string>> {
  const out = new Set<string>();
  for (const t of types) {
    const r = await run("ssh-keygen", ["-l", "-E", "sha256", "-f", `${dir}/host_${t}.pub`]);
    out.add(r.out.split(/\s+/)[1]);
  }
  return out;
}

Deno.test("transport: default handshake with sshd reaches SERVICE_ACCEPT and verifies the host key", async () => {
  const sshd = await startSshd();
  try {
    const fps = await hostFingerprints(sshd.dir, ["ed25519"]);
    let seen = "";
    const t = await connectTransport({
      host: "127.0.0.1",
      port: sshd.port,
      verifyHostKey: (blob, alg) => {
        seen = `${alg} ${fingerprintSha256(blob)}`;
        return Promise.resolve();
      },
    });
    try {
      assertEquals(t.algorithms.cipherCS, "chacha20-poly1305@openssh.com");
      assertEquals(t.algorithms.kex, "curve25519-sha256");
      assertEquals(t.algorithms.hostKey, "ssh-ed25519");
      assert(fps.has(seen.split(" ")[1]), `fingerprint ${seen} not in ${[...fps]}`);
      assert(t.serverVersion.startsWith("SSH-2.0-OpenSSH_"));
      assertEquals(t.sessionId.length, 32);
      // Debian's 9.2p1 carries the Terrapin fix: strict kex must have been negotiated.
      assert(t.strictKex, "strict kex not negotiated");
      await serviceRequest(t);
      assert(t.serverSigAlgs?.includes("ssh-ed25519"), `server-sig-algs: ${t.serverSigAlgs}`);
      assert(t.stats.packetsIn >= 4 && t.stats.bytesOut > 0);
    } finally {
      await t.disconnect(11, "bye");
    }
    // sshd saw our DISCONNECT (it logs the reason at LogLevel VERBOSE).
    let logged = "";
    for (let i = 0; i < 50 && !logged.includes(":11: bye"); i++) {
      await new Promise((r) => setTimeout(r, 20));
      logged = Deno.readTextFileSync(sshd.logFile);
    }
    assert(logged.includes("Received disconnect from 127.0.0.1"), logged);
    assert(logged.includes(":11: bye"), logged);
  } finally {
    await sshd.stop();
  }
});

const HOST_KEY_ALGS = [
  "ssh-rsa",
  "ssh-ed25519",
  "ecdsa-sha2-nistp256",
  "ecdsa-sha2-nistp384",
  "ecdsa-sha2-nistp521",
  "rsa-sha2-256",
  "rsa-sha2-512",
];
const KEX_ALGS = [
  "curve25519-sha256",
  "curve25519-sha256@libssh.org",
  "ecdh-sha2-nistp256",
  "ecdh-sha2-nistp384",
  "ecdh-sha2-nistp521",
  "diffie-hellman-group14-sha256",
  "diffie-hellman-group16-sha512",
  "diffie-hellman-group14-sha1",
];

/** Extra ECDSA host keys (384/521 bits): the fixture makes only default-size keys. */
async function extraHostKeys(): Promise<{ dir: string; lines: string[] }> {
  const dir = Deno.makeTempDirSync({ prefix: "sshmux-hk-" });
  const lines: string[] = [];
  for (const bits of [384, 521]) {
    const p = `${dir}/host_ecdsa${bits}`;
    const r = await run("ssh-keygen", ["-q", "-t", "ecdsa", "-b", `${bits}`, "-N", "", "-f", p]);
    assertEquals(r.code, 0, r.err);
    lines.push(`HostKey ${p}`);
  }
  return { dir, lines };
}

Deno.test("transport: every kex × every host key algorithm against one sshd", async () => {
  const extra = await extraHostKeys();
  const sshd = await startSshd({
    hostKeyTypes: ["ed25519", "ecdsa", "rsa"],
    sshdConfig: [
      ...extra.lines,
      "KexAlgorithms +diffie-hellman-group14-sha1",
      "HostKeyAlgorithms +ssh-rsa",
    ],
  });
  try {
    const expected = await hostFingerprints(sshd.dir, ["ed25519", "ecdsa", "rsa"]);
    for (const b of [384, 521]) {
      const r = await run("ssh-keygen", [
        "-l",
        "-E",
        "sha256",
        "-f",
        `${extra.dir}/host_ecdsa${b}.pub`,
      ]);
      expected.add(r.out.split(/\s+/)[1]);
    }
    const seenKeys = new Set<string>();
    for (const kex of KEX_ALGS) {
      for (const hk of HOST_KEY_ALGS) {
        let verified = "";
        const t = await connectTransport({
          host: "127.0.0.1",
          port: sshd.port,
          kexAlgorithms: kex,
          hostKeyAlgorithms: hk,
          verifyHostKey: (blob, alg) => {
            verified = alg;
            seenKeys.add(fingerprintSha256(blob));
            return Promise.resolve();
          },
        });
        try {
          assertEquals(t.algorithms.kex, kex);
          assertEquals(t.algorithms.hostKey, hk);
          assertEquals(verified, hk);
          await serviceRequest(t);
        } finally {
          t.close();
        }
      }
    }
    // Five distinct host keys were presented, each one ssh-keygen's.
    assertEquals(seenKeys.size, 5);
    for (const fp of seenKeys) assert(expected.has(fp), `unexpected host key ${fp}`);
  } finally {
    await sshd.stop();
    Deno.removeSync(extra.dir, { recursive: true });
  }
});

Deno.test("transport: knownHostKeyTypes steers the host key algorithm like ssh's known_hosts ordering", async () => {
  const sshd = await startSshd({ hostKeyTypes: ["ed25519", "ecdsa", "rsa"] });
  try {
    for (
      const [known, expect] of [[["ssh-rsa"], "rsa-sha2-512"], [
        ["ecdsa-sha2-nistp256"],
        "ecdsa-sha2-nistp256",
      ], [[], "ssh-ed25519"]] as const
    ) {
      const t = await connectTransport({
        host: "127.0.0.1",
        port: sshd.port,
        knownHostKeyTypes: [...known],
        verifyHostKey: () => Promise.resolve(),
      });
      assertEquals(t.algorithms.hostKey, expect);
      t.close();
    }
  } finally {
    await sshd.stop();
  }
});

Deno.test("transport: host key refused by verifyHostKey fails the connection with that error", async () => {
  const sshd = await startSshd();
  try {
    const err = await connectTransport({
      host: "127.0.0.1",
      port: sshd.port,
      verifyHostKey: () => Promise.reject(new Error("Host key verification failed.")),
    }).then(() => undefined, (e) => e as Error);
    assert(err, "connection should have failed");
    assertEquals(err?.message, "Host key verification failed.");
  } finally {
    await sshd.stop();
  }
});

Deno.test("transport: no common cipher → ssh's 'Unable to negotiate' message", async () => {
  const sshd = await startSshd({ sshdConfig: ["Ciphers aes128-ctr"] });
  try {
    const err = await connectTransport({
      host: "127.0.0.1",
      port: sshd.port,
      ciphers: "chacha20-poly1305@openssh.com",
      verifyHostKey: () => Promise.resolve(),
    }).then(() => undefined, (e) => e as Error);
    assert(err, "connection should have failed");
    assertEquals(
      err?.message,
      `Unable to negotiate with 127.0.0.1 port ${sshd.port}: no matching cipher found. Their offer: aes128-ctr`,
    );
  } finally {
    await sshd.stop();
  }
});

Deno.test("transport: connection refused → ssh's message", async () => {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  const err = await connectTransport({
    host: "127.0.0.1",
    port,
    verifyHostKey: () => Promise.resolve(),
  }).then(() => undefined, (e) => e as Error);
  assertEquals(err?.message, `ssh: connect to host 127.0.0.1 port ${port}: Connection refused`);
});

Deno.test("transport: ProxyCommand runs sshd -i and the handshake works over its stdio", async () => {
  const sshd = await startSshd();
  try {
    const t = await connectTransport({
      host: "127.0.0.1",
      port: sshd.port,
      proxyCommand: `/usr/sbin/sshd -i -f ${sshd.dir}/sshd_config -E ${sshd.dir}/inetd.log`,
      verifyHostKey: () => Promise.resolve(),
    });
    try {
      assertEquals(t.local, undefined);
      await serviceRequest(t);
    } finally {
      await t.disconnect(11, "done");
    }
  } finally {
    await sshd.stop();
  }
});
