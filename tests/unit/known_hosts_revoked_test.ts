// RevokedHostKeys: KRLs made by `ssh-keygen -k` (explicit key, SHA1 and SHA256 sections, with
// `ssh-keygen -Q` as the oracle), plain key lists, malformed files, and the verifier's refusal.

import { assert, assertEquals, assertThrows } from "@std/assert";
import type { HostKeyConfig } from "../../lib/ssh/known_hosts/config.ts";
import { FatalError } from "../../lib/errors.ts";
import { captureLog } from "../../lib/log.ts";
import { ScriptedPrompter } from "../../lib/ssh/auth/prompter.ts";
import { parsePublicKeyLine } from "../../lib/ssh/keys/private_key.ts";
import { fingerprintSha256 } from "../../lib/ssh/keys/public_key.ts";
import {
  isRevokedByFile,
  keyListRevokes,
  krlRevokes,
  RevokedKeysFileError,
} from "../../lib/ssh/known_hosts/revoked.ts";
import { makeHostKeyVerifier } from "../../lib/ssh/known_hosts/verifier.ts";
import { run } from "../helpers/run.ts";

const dir = Deno.makeTempDirSync({ prefix: "sshmux-krl-" });

async function key(name: string): Promise<{ line: string; blob: Uint8Array; pub: string }> {
  const p = `${dir}/${name}`;
  assertEquals((await run("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", p])).code, 0);
  const line = Deno.readTextFileSync(`${p}.pub`).trim();
  return { line, blob: parsePublicKeyLine(line).blob, pub: `${p}.pub` };
}

const [k1, k2, k3, k4] = [await key("k1"), await key("k2"), await key("k3"), await key("k4")];

/** ssh-keygen -Q: exit 1 and "REVOKED" when the KRL revokes the key. */
async function oracle(krl: string, pub: string): Promise<boolean> {
  const r = await run("ssh-keygen", ["-Q", "-f", krl, pub]);
  return r.code !== 0 && r.out.includes("REVOKED");
}

Deno.test("revoked: KRL sections (explicit, sha1, sha256) agree with ssh-keygen -Q", async () => {
  Deno.writeTextFileSync(`${dir}/spec`, `${k1.line}\nsha1: ${k2.line}\nsha256: ${k3.line}\n`);
  const krl = `${dir}/krl`;
  const g = await run("ssh-keygen", ["-k", "-f", krl, `${dir}/spec`]);
  assertEquals(g.code, 0, g.err);
  const bytes = Deno.readFileSync(krl);
  for (const k of [k1, k2, k3, k4]) {
    const want = await oracle(krl, k.pub);
    assertEquals(krlRevokes(bytes, k.blob), want);
    assertEquals(await isRevokedByFile(krl, k.blob), want);
  }
  assert(krlRevokes(bytes, k1.blob) && krlRevokes(bytes, k2.blob) && krlRevokes(bytes, k3.blob));
  assert(!krlRevokes(bytes, k4.blob));
});

Deno.test("revoked: plain public key lists; missing file and damaged KRLs are errors", async () => {
  assert(keyListRevokes(`# comment\n\ngarbage\n${k2.line}\n`, k2.blob));
  assert(!keyListRevokes(`${k1.line}\n`, k2.blob));
  let threw = false;
  try {
    await isRevokedByFile(`${dir}/nope`, k1.blob);
  } catch (e) {
    threw = e instanceof RevokedKeysFileError;
  }
  assert(threw);
  Deno.writeTextFileSync(`${dir}/spec2`, `${k1.line}\n`);
  assertEquals((await run("ssh-keygen", ["-k", "-f", `${dir}/krl2`, `${dir}/spec2`])).code, 0);
  const good = Deno.readFileSync(`${dir}/krl2`);
  assertThrows(() => krlRevokes(good.subarray(0, good.length - 3), k1.blob), RevokedKeysFileError);
  let seed = 5;
  const rnd = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff);
  for (let i = 0; i < 2000; i++) {
    const b = Uint8Array.from(good);
    b[8 + rnd() % (b.length - 8)] = rnd() & 0xff;
    try {
      krlRevokes(i % 4 ? b : b.subarray(0, rnd() % b.length), k1.blob);
    } catch (e) {
      if (!(e instanceof RevokedKeysFileError)) throw e;
    }
  }
});

Deno.test("revoked: the verifier refuses a revoked key with ssh's message", async () => {
  const kh = `${dir}/kh`;
  Deno.writeTextFileSync(kh, `example.com ${k1.line}\n`);
  Deno.writeTextFileSync(`${dir}/list`, `${k1.line}\n`);
  const base = {
    hostName: "example.com",
    port: 22,
    strictHostKeyChecking: "yes" as const,
    userKnownHostsFiles: [kh],
    globalKnownHostsFiles: [],
    batchMode: true,
  };
  const verify = async (revoked: string | undefined) => {
    const logs: string[] = [];
    const restore = captureLog(logs);
    try {
      const config: HostKeyConfig = { ...base, revokedHostKeys: revoked, hashKnownHosts: false };
      await makeHostKeyVerifier(config, new ScriptedPrompter([]))(
        k1.blob,
        "ssh-ed25519",
      );
      return { logs };
    } catch (error) {
      return { logs, error };
    } finally {
      restore();
    }
  };
  assertEquals((await verify(undefined)).error, undefined);
  assertEquals((await verify("none")).error, undefined);
  const r = await verify(`${dir}/list`);
  assert(r.error instanceof FatalError);
  assertEquals(r.logs, [
    `Host key ED25519 ${fingerprintSha256(k1.blob)} revoked by file ${dir}/list\r\n`,
  ]);
  const missing = await verify(`${dir}/missing`);
  assert(missing.error instanceof FatalError);
  assert(missing.logs[0].startsWith(`Error checking host key ED25519 `), missing.logs[0]);
});

Deno.test({ name: "revoked: cleanup", fn: () => Deno.removeSync(dir, { recursive: true }) });
