// RevokedHostKeys end to end: the sshmux launcher and stock ssh against the same sshd, with the
// server's host key revoked by a KRL (ssh-keygen -k) and by a plain key list: same refusal,
// same stderr, exit 255; an unrelated revocation lets both connect.

import { assertEquals } from "@std/assert";
import { run, sshmuxPath } from "../helpers/run.ts";
import { startSshd } from "../helpers/sshd.ts";

Deno.test("interop known_hosts: RevokedHostKeys (KRL and key list) refuses like stock ssh", async () => {
  const sshd = await startSshd();
  try {
    const hostPub = `${sshd.dir}/host_ed25519.pub`;
    const krl = `${sshd.dir}/revoked.krl`;
    assertEquals((await run("ssh-keygen", ["-k", "-f", krl, hostPub])).code, 0);
    const list = `${sshd.dir}/revoked.list`;
    Deno.copyFileSync(hostPub, list);
    const other = `${sshd.dir}/other`;
    assertEquals((await run("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", other])).code, 0);
    const otherKrl = `${sshd.dir}/other.krl`;
    assertEquals((await run("ssh-keygen", ["-k", "-f", otherKrl, `${other}.pub`])).code, 0);

    for (const file of [krl, list, otherKrl]) {
      const args = ["-F", sshd.config, "-o", `RevokedHostKeys=${file}`, "x", "echo", "through"];
      const stock = await run("ssh", args, { timeoutMs: 20_000 });
      const ours = await run(sshmuxPath(), args, { timeoutMs: 20_000 });
      assertEquals(ours.code, stock.code, `${file}: ${ours.err}`);
      assertEquals(ours.out, stock.out);
      assertEquals(ours.err, stock.err);
      assertEquals(stock.code, file === otherKrl ? 0 : 255);
    }
  } finally {
    await sshd.stop();
  }
});
