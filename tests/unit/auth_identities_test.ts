// The order publickey offers keys in (ssh's pubkey_prepare): agent keys that are configured
// IdentityFiles, then the agent's other keys (not with IdentitiesOnly), then file-only keys.

import { assertEquals } from "@std/assert";
import type { Options } from "../../lib/config/options.ts";
import { ScriptedPrompter } from "../../lib/ssh/auth/prompter.ts";
import { collectIdentities } from "../../lib/ssh/auth/identities.ts";
import { AgentClient } from "../../lib/ssh/keys/agent.ts";
import { startAgent } from "../helpers/agent.ts";
import { run } from "../helpers/run.ts";

function opts(identityFiles: string[], identitiesOnly: boolean): Options {
  // Only the fields identity collection reads; the rest is irrelevant here.
  return {
    identityFiles,
    certificateFiles: [] as string[],
    identitiesOnly,
    batchMode: true,
    numberOfPasswordPrompts: 3,
  } as Options;
}

Deno.test("auth identities: agent-and-file, agent-only, file-only order; IdentitiesOnly", async () => {
  const dir = Deno.makeTempDirSync({ prefix: "sshmux-ids-" });
  const sock = `${dir}/agent.sock`;
  const agentProc = await startAgent(sock);
  const agent = new AgentClient(sock);
  try {
    for (const k of ["both", "agentonly", "fileonly", "both2"]) {
      const r = await run("ssh-keygen", [
        "-q",
        "-t",
        "ed25519",
        "-N",
        "",
        "-C",
        k,
        "-f",
        `${dir}/${k}`,
      ]);
      assertEquals(r.code, 0, r.err);
    }
    // Agent order: both2, agentonly, both (the agent lists in insertion order).
    for (const k of ["both2", "agentonly", "both"]) {
      assertEquals(
        (await run("ssh-add", ["-q", `${dir}/${k}`], { env: { SSH_AUTH_SOCK: sock } })).code,
        0,
      );
    }
    // A missing file is skipped; a file with no .pub still yields its public key.
    Deno.removeSync(`${dir}/fileonly.pub`);
    const files = [`${dir}/both`, `${dir}/missing`, `${dir}/fileonly`, `${dir}/both2`];
    const p = new ScriptedPrompter([]);

    const all = await collectIdentities(opts(files, false), { agent, prompter: p });
    assertEquals(all.map((i) => [i.label, i.fromAgent]), [
      [`${dir}/both2`, true],
      [`${dir}/both`, true],
      ["agentonly", true],
      [`${dir}/fileonly`, false],
    ]);

    const only = await collectIdentities(opts(files, true), { agent, prompter: p });
    assertEquals(only.map((i) => [i.label, i.fromAgent]), [
      [`${dir}/both2`, true],
      [`${dir}/both`, true],
      [`${dir}/fileonly`, false],
    ]);

    const noAgent = await collectIdentities(opts(files, false), { prompter: p });
    assertEquals(noAgent.map((i) => i.label), [`${dir}/both`, `${dir}/fileonly`, `${dir}/both2`]);
    // The file-only key loads lazily and signs.
    const signer = await noAgent[1].signer();
    assertEquals(signer?.publicKeyBlob, noAgent[1].publicKeyBlob);
  } finally {
    agent.close();
    await agentProc.stop();
    Deno.removeSync(dir, { recursive: true });
  }
});
