// known_hosts: pattern matching, parsing (incl. hashed lines made by `ssh-keygen -H`, markers and
// garbage), the OK/NEW/CHANGED/REVOKED decision, and the StrictHostKeyChecking modes with ssh's
// messages.

import { assert, assertEquals, assertRejects, assertStringIncludes } from "@std/assert";
import type { Options } from "../../lib/config/options.ts";
import { testOptions } from "../helpers/options.ts";
import { hostKeyConfig } from "../../lib/config/ssh_client_config.ts";
import { FatalError } from "../../lib/errors.ts";
import { captureLog, getLogLevel, LogLevel, setLogLevel } from "../../lib/log.ts";
import { ScriptedPrompter } from "../../lib/ssh/auth/prompter.ts";
import { fingerprintSha256 } from "../../lib/ssh/keys/public_key.ts";
import { parsePublicKeyLine } from "../../lib/ssh/keys/private_key.ts";
import { checkHostKey } from "../../lib/ssh/known_hosts/check.ts";
import { matchPattern } from "../../lib/match.ts";
import { knownHostsName, matchHostList } from "../../lib/ssh/known_hosts/match.ts";
import { parseKnownHosts, parseKnownHostsLine } from "../../lib/ssh/known_hosts/parse.ts";
import { makeHostKeyVerifier } from "../../lib/ssh/known_hosts/verifier.ts";
import { run } from "../helpers/run.ts";

const dir = Deno.makeTempDirSync({ prefix: "sshmux-kh-" });

async function hostKey(
  name: string,
  type = "ed25519",
): Promise<{ line: string; blob: Uint8Array }> {
  const path = `${dir}/${name}`;
  const r = await run("ssh-keygen", ["-q", "-t", type, "-N", "", "-f", path]);
  assertEquals(r.code, 0, r.err);
  const line = Deno.readTextFileSync(`${path}.pub`).trim().split(" ").slice(0, 2).join(" ");
  return { line, blob: parsePublicKeyLine(line).blob };
}

const keyA = await hostKey("a");
const keyB = await hostKey("b");
const keyEc = await hostKey("ec", "ecdsa");

Deno.test("known_hosts: wildcard patterns", () => {
  assert(matchPattern("host.example.com", "*.example.com"));
  assert(matchPattern("a", "?"));
  assert(!matchPattern("ab", "?"));
  assert(matchPattern("", "*"));
  assert(matchPattern("abcabd", "*ab?"));
  assert(!matchPattern("abc", "*x*"));
  assert(matchPattern("[h]:2222", "[h]:2222"));
  assert(!matchPattern("[h]:2222", "h"));
  // No catastrophic backtracking on many stars.
  assert(!matchPattern("a".repeat(5000), "*a".repeat(200) + "b"));
});

Deno.test("known_hosts: host lists with negation and case", () => {
  assertEquals(matchHostList("web1.example.com", "*.example.com,!web2.example.com"), 1);
  assertEquals(matchHostList("web2.example.com", "*.example.com,!web2.example.com"), -1);
  assertEquals(matchHostList("other.org", "*.example.com"), 0);
  assertEquals(matchHostList("Host.Example.COM", "host.example.com"), 1);
  assertEquals(matchHostList("h", "!x"), 0);
  assertEquals(knownHostsName("h", 22), "h");
  assertEquals(knownHostsName("h", 2222), "[h]:2222");
});

Deno.test("known_hosts: parsing keeps good lines and skips comments, markers, garbage", () => {
  const text = [
    "# comment",
    "",
    `   example.com,192.0.2.1 ${keyA.line} a comment`,
    `@revoked * ${keyB.line}`,
    `@cert-authority *.example.com ${keyEc.line}`,
    `@bogus host ${keyA.line}`,
    "onlyhost ssh-ed25519",
    "host ssh-ed25519 !!!!",
    `host ssh-rsa ${keyA.line.split(" ")[1]}`, // type disagrees with blob
    "|1|notbase64|xx ssh-ed25519 AAAA",
    `[h]:2222\t${keyA.line}\r`,
  ].join("\n");
  const e = parseKnownHosts(text, "kh");
  assertEquals(e.map((x) => [x.marker, x.hosts, x.line]), [
    ["none", "example.com,192.0.2.1", 3],
    ["revoked", "*", 4],
    ["cert-authority", "*.example.com", 5],
    ["none", "[h]:2222", 11],
  ]);
  assertEquals(e[0].keyBlob, keyA.blob);
});

Deno.test("known_hosts: OK / NEW / CHANGED / REVOKED decisions", () => {
  const e = parseKnownHosts(
    [
      `a.example ${keyA.line}`,
      `*.example,!c.example ${keyB.line}`,
      `@revoked r.example ${keyA.line}`,
      `r.example ${keyA.line}`,
      `@cert-authority * ${keyEc.line}`,
    ].join("\n"),
    "kh",
  );
  assertEquals(checkHostKey(e, "a.example", keyA.blob).status, "ok"); // line 1 OK wins over line 2
  assertEquals(checkHostKey(e, "b.example", keyB.blob).status, "ok");
  const changed = checkHostKey(e, "b.example", keyA.blob);
  assertEquals(changed.status, "changed");
  assertEquals(changed.status === "changed" && changed.entry.line, 2);
  assertEquals(checkHostKey(e, "c.example", keyB.blob).status, "new"); // negated
  assertEquals(checkHostKey(e, "zzz", keyA.blob).status, "new");
  assertEquals(checkHostKey(e, "r.example", keyA.blob).status, "revoked");
  // A key of another type for a known host counts as changed, as in ssh.
  assertEquals(checkHostKey(e, "a.example", keyEc.blob).status, "changed");
});

Deno.test("known_hosts: entries hashed by ssh-keygen -H match the right names only", async () => {
  const kh = `${dir}/hashed_kh`;
  Deno.writeTextFileSync(kh, `plain.example ${keyA.line}\n[port.example]:2222 ${keyB.line}\n`);
  const r = await run("ssh-keygen", ["-H", "-f", kh]);
  assertEquals(r.code, 0, r.err);
  const e = parseKnownHosts(Deno.readTextFileSync(kh), kh);
  assertEquals(e.length, 2);
  assert(e.every((x) => x.hashed !== undefined && x.hosts.startsWith("|1|")));
  assertEquals(checkHostKey(e, "plain.example", keyA.blob).status, "ok");
  // Hashes cover the exact name; the verifier lowercases HostName before looking up (as ssh).
  assertEquals(checkHostKey(e, "PLAIN.example", keyA.blob).status, "new");
  const v = await verify(
    testOptions({
      hostName: "PLAIN.Example",
      strictHostKeyChecking: "yes",
      userKnownHostsFiles: [kh],
    }),
    keyA.blob,
  );
  assertEquals(v.error, undefined);
  assertEquals(checkHostKey(e, "[port.example]:2222", keyB.blob).status, "ok");
  assertEquals(checkHostKey(e, "port.example", keyB.blob).status, "new");
  assertEquals(checkHostKey(e, "[port.example]:2223", keyB.blob).status, "new");
  assertEquals(checkHostKey(e, "plain.example", keyB.blob).status, "changed");
});

Deno.test("known_hosts: fuzz: garbage lines never throw", () => {
  let seed = 99;
  const rnd = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff);
  const alphabet = " \t,!*?|@#[]:1ABCabc=+/\r\u00ff";
  const base = `host,!x ${keyA.line}`;
  for (let i = 0; i < 3000; i++) {
    let s: string;
    if (i % 2 === 0) {
      s = Array.from({ length: rnd() % 120 }, () => alphabet[rnd() % alphabet.length]).join("");
    } else {
      const chars = base.split("");
      for (let k = 0; k < 3; k++) chars[rnd() % chars.length] = alphabet[rnd() % alphabet.length];
      s = chars.join("");
    }
    const e = parseKnownHostsLine(s, "f", 1);
    if (e) checkHostKey([e], "host", keyA.blob);
  }
  assertEquals(parseKnownHostsLine("x".repeat(100_000), "f", 1), undefined);
});

async function verify(
  opts: Options,
  blob: Uint8Array,
  answers: (string | null)[] = [],
): Promise<{ logs: string[]; prompter: ScriptedPrompter; error?: unknown }> {
  const logs: string[] = [];
  const restore = captureLog(logs);
  const old = getLogLevel();
  setLogLevel(LogLevel.INFO);
  const prompter = new ScriptedPrompter(answers);
  try {
    await makeHostKeyVerifier(hostKeyConfig(opts), prompter)(blob, "ssh-ed25519");
    return { logs, prompter };
  } catch (error) {
    return { logs, prompter, error };
  } finally {
    restore();
    setLogLevel(old);
  }
}

function khFile(name: string, content: string): string {
  const p = `${dir}/${name}`;
  Deno.writeTextFileSync(p, content);
  return p;
}

Deno.test("known_hosts verifier: strict yes refuses an unknown key with ssh's message", async () => {
  const kh = khFile("v_yes", "");
  const r = await verify(
    testOptions({ strictHostKeyChecking: "yes", userKnownHostsFiles: [kh], port: 2222 }),
    keyA.blob,
  );
  assert(r.error instanceof FatalError);
  assertEquals((r.error as FatalError).message, "Host key verification failed.");
  assertEquals((r.error as FatalError).exitCode, 255);
  assertEquals(r.logs, [
    "No ED25519 host key is known for [example.com]:2222 and you have requested strict checking.\r\n",
  ]);
  assertEquals(Deno.readTextFileSync(kh), "");
});

Deno.test("known_hosts verifier: accept-new records the key, then it is known", async () => {
  const kh = khFile("v_new", `other ${keyB.line}`); // no final newline: one is added first
  const opts = testOptions({ strictHostKeyChecking: "accept-new", userKnownHostsFiles: [kh] });
  const r = await verify(opts, keyA.blob);
  assertEquals(r.error, undefined);
  assertEquals(r.logs, [
    "Warning: Permanently added 'example.com' (ED25519) to the list of known hosts.\r\n",
  ]);
  assertEquals(Deno.readTextFileSync(kh), `other ${keyB.line}\nexample.com ${keyA.line}\n`);
  const again = await verify({ ...opts, strictHostKeyChecking: "yes" }, keyA.blob);
  assertEquals(again.error, undefined);
  assertEquals(again.logs, []);
});

Deno.test("known_hosts verifier: HostKeyAlias and HashKnownHosts when recording", async () => {
  const kh = khFile("v_alias", "");
  const opts = testOptions({
    strictHostKeyChecking: "no",
    userKnownHostsFiles: [kh],
    hostKeyAlias: "myalias",
    port: 2200,
    raw: new Map([["hashknownhosts", "yes"]]),
  });
  assertEquals((await verify(opts, keyA.blob)).error, undefined);
  const e = parseKnownHosts(Deno.readTextFileSync(kh), kh);
  assertEquals(e.length, 1);
  assert(e[0].hashed);
  assertEquals(checkHostKey(e, "myalias", keyA.blob).status, "ok");
  assertEquals(
    (await verify({ ...opts, strictHostKeyChecking: "yes" }, keyA.blob)).error,
    undefined,
  );
});

Deno.test("known_hosts verifier: a key for the bare host name is accepted on another port", async () => {
  const kh = khFile("v_bare", `example.com ${keyA.line}\n`);
  const opts = testOptions({ strictHostKeyChecking: "yes", userKnownHostsFiles: [kh], port: 2222 });
  assertEquals((await verify(opts, keyA.blob)).error, undefined);
});

Deno.test("known_hosts verifier: a changed key is refused loudly in every mode", async () => {
  const kh = khFile("v_changed", `example.com ${keyB.line}\n`);
  for (const mode of ["yes", "no", "accept-new", "ask"] as const) {
    const r = await verify(
      testOptions({ strictHostKeyChecking: mode, userKnownHostsFiles: [kh] }),
      keyA.blob,
      ["yes"],
    );
    assert(r.error instanceof FatalError, mode);
    const text = r.logs.join("");
    assertStringIncludes(text, "@    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @");
    assertStringIncludes(
      text,
      `The fingerprint for the ED25519 key sent by the remote host is\n${
        fingerprintSha256(keyA.blob)
      }.`,
    );
    assertStringIncludes(text, `Offending ED25519 key in ${kh}:1`);
    assertStringIncludes(
      text,
      "Host key for example.com has changed and you have requested strict checking.",
    );
    assertEquals(r.prompter.asked.length, 0);
  }
  assertEquals(Deno.readTextFileSync(kh), `example.com ${keyB.line}\n`);
});

Deno.test("known_hosts verifier: a revoked key is refused", async () => {
  const kh = khFile("v_revoked", `@revoked * ${keyA.line}\nexample.com ${keyA.line}\n`);
  const r = await verify(
    testOptions({ strictHostKeyChecking: "no", userKnownHostsFiles: [kh] }),
    keyA.blob,
  );
  assert(r.error instanceof FatalError);
  assertStringIncludes(
    r.logs.join(""),
    "The ED25519 host key for example.com is marked as revoked.",
  );
});

Deno.test("known_hosts verifier: ask mode prompts; yes, fingerprint, no, re-ask, batch", async () => {
  const fp = fingerprintSha256(keyA.blob);
  const kh = khFile("v_ask", `alias-elsewhere ${keyA.line}\n`);
  const opts = testOptions({ strictHostKeyChecking: "ask", userKnownHostsFiles: [kh] });
  const yes = await verify(opts, keyA.blob, ["maybe", " yes "]);
  assertEquals(yes.error, undefined);
  assertEquals(yes.prompter.asked.length, 2);
  assertEquals(yes.prompter.asked[0].echo, true);
  assertEquals(
    yes.prompter.asked[0].prompt,
    "The authenticity of host 'example.com (example.com)' can't be established.\n" + // port 22
      `ED25519 key fingerprint is ${fp}.\n` +
      "This host key is known by the following other names/addresses:\n" +
      `    ${kh}:1: alias-elsewhere\n` +
      "Are you sure you want to continue connecting (yes/no/[fingerprint])? ",
  );
  assertEquals(yes.prompter.asked[1].prompt, "Please type 'yes', 'no' or the fingerprint: ");
  assertStringIncludes(Deno.readTextFileSync(kh), `example.com ${keyA.line}`);

  const kh2 = khFile("v_ask2", "");
  const o2 = testOptions({ strictHostKeyChecking: "ask", userKnownHostsFiles: [kh2] });
  const byFp = await verify(o2, keyEc.blob, [fingerprintSha256(keyEc.blob)]);
  assertEquals(byFp.error, undefined);
  assertStringIncludes(byFp.prompter.asked[0].prompt, "This key is not known by any other names.");
  const no = await verify(o2, keyA.blob, ["no"]);
  assert(no.error instanceof FatalError);
  const eof = await verify(o2, keyA.blob, [null]);
  assert(eof.error instanceof FatalError);
  const batch = await verify({ ...o2, batchMode: true }, keyA.blob, ["yes"]);
  assert(batch.error instanceof FatalError);
  assertEquals(batch.prompter.asked.length, 0);
});

Deno.test("known_hosts verifier: without a user known_hosts file nothing new is accepted", async () => {
  await assertRejects(
    () =>
      makeHostKeyVerifier(
        hostKeyConfig(testOptions({ strictHostKeyChecking: "no" })),
        new ScriptedPrompter([]),
      )(
        keyA.blob,
        "ssh-ed25519",
      ),
    FatalError,
  );
});

Deno.test({ name: "known_hosts: cleanup", fn: () => Deno.removeSync(dir, { recursive: true }) });
