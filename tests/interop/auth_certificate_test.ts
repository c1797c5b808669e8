// User certificates against a real sshd that trusts only a CA (TrustedUserCAKeys, no
// authorized_keys): `-i key` with `key-cert.pub` beside it logs in for ed25519, ecdsa and rsa
// keys (sshd logs the "-CERT" login), so do a CertificateFile kept elsewhere and a certificate
// held only by ssh-agent; a host certificate, a certificate of another key, an expired one or
// one for another principal are refused with the same stderr and status as the stock ssh.

import { assertEquals, assertStringIncludes } from "@std/assert";
import { startAgent } from "../helpers/agent.ts";
import { run, sshmuxPath } from "../helpers/run.ts";
import { startSshd } from "../helpers/sshd.ts";

const USER = Deno.env.get("USER") ?? "root";

async function keygen(args: string[]): Promise<void> {
  const r = await run("ssh-keygen", ["-q", ...args]);
  assertEquals(r.code, 0, r.err);
}

Deno.test("user certificates: CA-only sshd accepts them; wrong ones fail like ssh", async (t) => {
  const dir = Deno.makeTempDirSync({ prefix: "sshmux-certs-" });
  await keygen(["-t", "ed25519", "-N", "", "-f", `${dir}/ca`]);
  const sshd = await startSshd({ sshdConfig: [`TrustedUserCAKeys ${dir}/ca.pub`] });
  // Only the CA may let anyone in: no authorized keys, and a client config whose only key is
  // the one given with -i.
  Deno.writeTextFileSync(`${sshd.dir}/authorized_keys`, "");
  const config = `${dir}/ssh_config`;
  Deno.writeTextFileSync(
    config,
    Deno.readTextFileSync(sshd.config).split("\n").filter((l) => !/^\s*IdentityFile /.test(l))
      .join("\n"),
  );
  /** A key plus a certificate beside it, signed with extra ssh-keygen arguments. */
  const certified = async (name: string, type: string, sign: string[]) => {
    const key = `${dir}/${name}`;
    await keygen(["-t", type, "-N", "", "-f", key]);
    await keygen(["-s", `${dir}/ca`, "-I", name, ...sign, `${key}.pub`]);
    return key;
  };
  const login = (client: string, key: string) =>
    run(client, ["-F", config, "-i", key, "x", "echo cert-login"], { timeoutMs: 20_000 });
  try {
    for (const type of ["ed25519", "ecdsa", "rsa"]) {
      await t.step(`${type} key with its user certificate logs in`, async () => {
        const key = await certified(`u_${type}`, type, ["-n", USER, "-V", "-5m:+1h"]);
        const r = await login(sshmuxPath(), key);
        assertEquals([r.code, r.out], [0, "cert-login\n"], r.err);
        assertStringIncludes(Deno.readTextFileSync(sshd.logFile), `CERT SHA256:`);
        assertStringIncludes(Deno.readTextFileSync(sshd.logFile), `ID u_${type} (serial 0)`);
      });
    }

    await t.step(
      "CertificateFile kept elsewhere: -G shows it like ssh, and it logs in",
      async () => {
        const key = await certified("cf_key", "ed25519", ["-n", USER]);
        const moved = `${dir}/elsewhere-cert.pub`;
        Deno.renameSync(`${key}-cert.pub`, moved);
        const args = ["-F", config, "-i", key, "-o", `CertificateFile=${moved}`, "x"];
        const g = (out: string) => out.split("\n").filter((l) => l.startsWith("certificatefile "));
        const ourG = await run(sshmuxPath(), ["-G", ...args]);
        const theirG = await run("ssh", ["-G", ...args]);
        assertEquals(g(ourG.out), g(theirG.out));
        assertEquals(g(ourG.out), [`certificatefile ${moved}`]);
        const r = await run(sshmuxPath(), [...args, "echo cert-login"], { timeoutMs: 20_000 });
        assertEquals([r.code, r.out], [0, "cert-login\n"], r.err);
        assertStringIncludes(Deno.readTextFileSync(sshd.logFile), "ID cf_key (serial 0)");
      },
    );

    await t.step("a key and its certificate held by ssh-agent log in", async () => {
      const key = await certified("ag_key", "ecdsa", ["-n", USER]);
      const agent = await startAgent(`${dir}/agent.sock`);
      const sock = agent.sock;
      try {
        const add = await run("ssh-add", [key], { env: { SSH_AUTH_SOCK: sock } });
        assertEquals(add.code, 0, add.err);
        assertStringIncludes(add.err, "Certificate added");
        Deno.removeSync(`${key}-cert.pub`); // only the agent has it now
        const r = await run(sshmuxPath(), [
          "-F",
          config,
          "-o",
          "IdentitiesOnly=no",
          "-o",
          `IdentityAgent=${sock}`,
          "-o",
          `IdentityFile=${dir}/no-such-key`,
          "x",
          "echo cert-login",
        ], { timeoutMs: 20_000 });
        assertEquals([r.code, r.out], [0, "cert-login\n"], r.err);
        assertStringIncludes(Deno.readTextFileSync(sshd.logFile), "ID ag_key (serial 0)");
      } finally {
        await agent.stop();
      }
    });

    await t.step(
      "refused like ssh: host cert, other key's cert, expired, wrong principal",
      async () => {
        const cases: Record<string, string> = {
          host: await certified("h_cert", "ed25519", ["-h", "-n", USER]),
          expired: await certified("old_cert", "ed25519", ["-n", USER, "-V", "20200101:20200102"]),
          principal: await certified("p_cert", "ed25519", ["-n", "somebody-else"]),
          other: await certified("o_cert", "ed25519", ["-n", USER]),
        };
        // Swap in a fresh key under the certificate: it now certifies another key.
        Deno.removeSync(cases.other);
        Deno.removeSync(`${cases.other}.pub`);
        await keygen(["-t", "ed25519", "-N", "", "-f", cases.other]);
        for (const [what, key] of Object.entries(cases)) {
          const ours = await login(sshmuxPath(), key);
          const theirs = await login("ssh", key);
          assertEquals([ours.code, theirs.code], [255, 255], `${what}: ${ours.err}`);
          assertEquals(ours.err, theirs.err, what);
          assertStringIncludes(ours.err, "Permission denied", what);
        }
      },
    );
  } finally {
    await sshd.stop();
    Deno.removeSync(dir, { recursive: true });
  }
});
