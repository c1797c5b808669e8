// Host key and auth failures end to end: the sshmux launcher and stock ssh run with the same
// arguments against the same sshd must print byte-identical stderr and exit alike — unknown
// host under strict checking, a changed host key, RevokedHostKeys (KRL and key list), a refused
// key — and both connect when nothing is wrong.

import { assertEquals } from "@std/assert";
import { run, sshmuxPath } from "../helpers/run.ts";
import { type Sshd, startSshd } from "../helpers/sshd.ts";

async function bothAgree(sshd: Sshd, extra: string[], wantCode: number): Promise<void> {
  const args = ["-F", sshd.config, ...extra, "x", "echo", "through"];
  const stock = await run("ssh", args, { timeoutMs: 20_000 });
  const ours = await run(sshmuxPath(), args, { timeoutMs: 20_000 });
  const what = extra.join(" ");
  assertEquals(stock.code, wantCode, `stock ssh ${what}: ${stock.err}`);
  assertEquals(ours.code, stock.code, `sshmux ${what}: ${ours.err}`);
  assertEquals(ours.out, stock.out, what);
  assertEquals(ours.err, stock.err, what);
}

async function keygen(path: string): Promise<void> {
  assertEquals((await run("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", path])).code, 0);
}

Deno.test("interop launcher: RevokedHostKeys (KRL and key list) refuses like stock ssh", async () => {
  const sshd = await startSshd();
  try {
    const hostPub = `${sshd.dir}/host_ed25519.pub`;
    const krl = `${sshd.dir}/revoked.krl`;
    assertEquals((await run("ssh-keygen", ["-k", "-f", krl, hostPub])).code, 0);
    const list = `${sshd.dir}/revoked.list`;
    Deno.copyFileSync(hostPub, list);
    await keygen(`${sshd.dir}/other`);
    const otherKrl = `${sshd.dir}/other.krl`;
    assertEquals(
      (await run("ssh-keygen", ["-k", "-f", otherKrl, `${sshd.dir}/other.pub`])).code,
      0,
    );
    await bothAgree(sshd, ["-o", `RevokedHostKeys=${krl}`], 255);
    await bothAgree(sshd, ["-o", `RevokedHostKeys=${list}`], 255);
    await bothAgree(sshd, ["-o", `RevokedHostKeys=${otherKrl}`], 0);
  } finally {
    await sshd.stop();
  }
});

Deno.test("interop launcher: unknown, changed host key and refused user key read like ssh", async () => {
  const sshd = await startSshd();
  try {
    const empty = `${sshd.dir}/kh_empty`;
    Deno.writeTextFileSync(empty, "");
    await bothAgree(sshd, ["-o", `UserKnownHostsFile=${empty}`], 255);

    await keygen(`${sshd.dir}/other_host`);
    const changed = `${sshd.dir}/kh_changed`;
    const pub = Deno.readTextFileSync(`${sshd.dir}/other_host.pub`).split(" ").slice(0, 2);
    Deno.writeTextFileSync(changed, `# first line\n${sshd.alias} ${pub.join(" ")}\n`);
    await bothAgree(sshd, ["-o", `UserKnownHostsFile=${changed}`], 255);
    await bothAgree(
      sshd,
      ["-o", `UserKnownHostsFile=${changed}`, "-o", "StrictHostKeyChecking=accept-new"],
      255,
    );

    await bothAgree(sshd, [], 0);
    Deno.writeTextFileSync(`${sshd.dir}/authorized_keys`, "");
    await bothAgree(sshd, [], 255);
  } finally {
    await sshd.stop();
  }
});
