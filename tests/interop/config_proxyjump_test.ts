// ProxyJump end to end: sshmux turns -J / ProxyJump into the ProxyCommand ssh would build,
// running sshmux itself with -W through the hop. The sshd log must show two logins (the hop
// and the destination) where a direct connection shows one.
import { assertEquals } from "@std/assert";
import { logins, startSshd } from "../helpers/sshd.ts";
import { run, sshmuxPath } from "../helpers/run.ts";

Deno.test("config: -J / ProxyJump run through the hop with sshmux -W", async () => {
  const sshd = await startSshd();
  try {
    const direct = await run(sshmuxPath(), ["-F", sshd.config, "x", "echo direct"]);
    assertEquals([direct.code, direct.out.trim()], [0, "direct"], direct.err);
    assertEquals(logins(sshd), 1);
    const viaJ = await run(sshmuxPath(), ["-F", sshd.config, "-J", "jumphost", "x", "echo hop"]);
    assertEquals([viaJ.code, viaJ.out.trim()], [0, "hop"], viaJ.err);
    assertEquals(logins(sshd), 3);
    const viaOpt = await run(sshmuxPath(), [
      "-F",
      sshd.config,
      "-o",
      "ProxyJump=a,b",
      "x",
      "echo two-hops",
    ]);
    assertEquals([viaOpt.code, viaOpt.out.trim()], [0, "two-hops"], viaOpt.err);
    assertEquals(logins(sshd), 6);
  } finally {
    await sshd.stop();
  }
});
