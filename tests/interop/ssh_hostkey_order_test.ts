// A server with several host keys, known_hosts holding only one of them: like ssh, sshmux must
// ask for the algorithm it can verify first instead of refusing a key it would call "changed".
import { assertEquals, assertStringIncludes } from "@std/assert";
import { startSshd } from "../helpers/sshd.ts";
import { run, sshmuxPath } from "../helpers/run.ts";

Deno.test("host key order: known_hosts with only the RSA key of an ed25519+rsa server", async () => {
  const sshd = await startSshd({ hostKeyTypes: ["ed25519", "rsa"] });
  try {
    const rsaOnly = Deno.readTextFileSync(sshd.knownHosts).split("\n").filter((l) =>
      l.includes("ssh-rsa")
    );
    assertEquals(rsaOnly.length, 1);
    Deno.writeTextFileSync(sshd.knownHosts, rsaOnly[0] + "\n");
    const stock = await run("ssh", ["-F", sshd.config, "x", "echo ok"]);
    assertEquals([stock.code, stock.out], [0, "ok\n"], stock.err);
    const ours = await run(sshmuxPath(), ["-F", sshd.config, "x", "echo ok"]);
    assertEquals([ours.code, ours.out], [0, "ok\n"], ours.err);
    // And with only the ed25519 key known, the same server is reached through ed25519.
    const ed = Deno.readTextFileSync(`${sshd.dir}/host_ed25519.pub`).trim().split(/\s+/).slice(
      0,
      2,
    );
    Deno.writeTextFileSync(sshd.knownHosts, `${sshd.alias} ${ed.join(" ")}\n`);
    const ours2 = await run(sshmuxPath(), ["-F", sshd.config, "-v", "x", "echo ok"]);
    assertEquals([ours2.code, ours2.out], [0, "ok\n"], ours2.err);
    assertStringIncludes(ours2.err, "ED25519");
  } finally {
    await sshd.stop();
  }
});
