// User auth and host key checking against a real OpenSSH 9.2 sshd: our transport + known_hosts
// verifier + authenticate(). Success is proven by SSH_MSG_USERAUTH_SUCCESS (authenticate()
// resolving) and sshd's own "Accepted ..." log lines; failures must read exactly like the stock
// ssh client's stderr. password/keyboard-interactive use PAM and a throwaway local user
// (created here; the tests run as root).

import { assert, assertEquals } from "@std/assert";
import type { Options } from "../../lib/config/options.ts";
import { FatalError } from "../../lib/errors.ts";
import { captureLog, getLogLevel, LogLevel, setLogLevel } from "../../lib/log.ts";
import { authenticate, ScriptedPrompter } from "../../lib/ssh/auth/mod.ts";
import { AgentClient } from "../../lib/ssh/keys/agent.ts";
import { makeHostKeyVerifier } from "../../lib/ssh/known_hosts/verifier.ts";
import { connectTransport } from "../../lib/ssh/transport/mod.ts";
import { startAgent } from "../helpers/agent.ts";
import { run, waitFor } from "../helpers/run.ts";
import { testOptions } from "../helpers/options.ts";
import { hostKeyConfig } from "../../lib/config/ssh_client_config.ts";
import { type Sshd, startSshd } from "../helpers/sshd.ts";

function sshdOptions(sshd: Sshd, over: Partial<Options> = {}): Options {
  return testOptions({
    hostArg: "x",
    hostName: "127.0.0.1",
    port: sshd.port,
    user: Deno.env.get("USER") ?? "root",
    identityFiles: [sshd.clientKey],
    identitiesOnly: true,
    identityAgent: "none",
    batchMode: true,
    strictHostKeyChecking: "yes",
    userKnownHostsFiles: [sshd.knownHosts],
    globalKnownHostsFiles: ["/dev/null"],
    hostKeyAlias: sshd.alias,
    logLevel: LogLevel.ERROR,
    ...over,
  });
}

interface Attempt {
  error?: unknown;
  logs: string[];
  prompter: ScriptedPrompter;
}

/** Connects, verifies the host key and authenticates; captures log output (at `level`). */
async function attempt(
  opts: Options,
  answers: (string | null)[] = [],
  agent?: AgentClient | null,
  level: LogLevel = LogLevel.ERROR,
): Promise<Attempt> {
  const logs: string[] = [];
  const restore = captureLog(logs);
  const old = getLogLevel();
  setLogLevel(level);
  const prompter = new ScriptedPrompter(answers);
  try {
    const t = await connectTransport({
      host: opts.hostName,
      port: opts.port,
      verifyHostKey: makeHostKeyVerifier(hostKeyConfig(opts), prompter),
    });
    try {
      await authenticate(t, opts, prompter, { agent: agent ?? null });
    } finally {
      t.close();
    }
    return { logs, prompter };
  } catch (error) {
    return { error, logs, prompter };
  } finally {
    restore();
    setLogLevel(old);
  }
}

/** What the stock client prints for the same situation (the fixture config + overrides). */
async function stockSshStderr(
  sshd: Sshd,
  args: string[],
): Promise<{ code: number; err: string }> {
  const r = await run("ssh", ["-F", sshd.config, ...args, "x", "true"], { timeoutMs: 20_000 });
  return { code: r.code, err: r.err };
}

/** sshd writes its "Accepted" line a moment after USERAUTH_SUCCESS: wait for the count. */
async function waitForLog(sshd: Sshd, re: RegExp, count: number): Promise<void> {
  const n = () => (Deno.readTextFileSync(sshd.logFile).match(re) ?? []).length;
  await waitFor(`${count} x ${re} in sshd log`, () => n() >= count, 5000);
  assertEquals(n(), count);
}

async function addKey(sshd: Sshd, name: string, args: string[]): Promise<string> {
  const path = `${sshd.dir}/${name}`;
  const r = await run("ssh-keygen", ["-q", "-C", name, "-f", path, ...args]);
  assertEquals(r.code, 0, r.err);
  Deno.writeTextFileSync(`${sshd.dir}/authorized_keys`, Deno.readTextFileSync(`${path}.pub`), {
    append: true,
  });
  return path;
}

Deno.test("interop auth: publickey with ed25519, ecdsa 256/384/521 and rsa 3072 keys", async () => {
  const sshd = await startSshd();
  try {
    const keys = [sshd.clientKey];
    keys.push(await addKey(sshd, "k_ec256", ["-t", "ecdsa", "-b", "256", "-N", ""]));
    keys.push(await addKey(sshd, "k_ec384", ["-t", "ecdsa", "-b", "384", "-N", ""]));
    keys.push(await addKey(sshd, "k_ec521", ["-t", "ecdsa", "-b", "521", "-N", ""]));
    keys.push(await addKey(sshd, "k_rsa", ["-t", "rsa", "-b", "3072", "-N", ""]));
    for (const key of keys) {
      const r = await attempt(sshdOptions(sshd, { identityFiles: [key] }));
      assertEquals(r.error, undefined, `${key}: ${r.error}`);
    }
    // sshd logged which algorithm it accepted for the RSA key: SHA-512 from server-sig-algs.
    await waitForLog(sshd, /Accepted publickey/g, keys.length);
    const log = Deno.readTextFileSync(sshd.logFile);
    assert(
      /Accepted publickey for \S+ from 127\.0\.0\.1 port \d+ ssh2: RSA SHA256:/.test(log),
      log,
    );
  } finally {
    await sshd.stop();
  }
});

Deno.test("interop auth: refused key fails with the same message as stock ssh", async () => {
  const sshd = await startSshd();
  try {
    const stranger = `${sshd.dir}/stranger`;
    assertEquals(
      (await run("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", stranger])).code,
      0,
    );
    // The fixture config also names its own key, which stock ssh would offer too: revoke it.
    Deno.writeTextFileSync(`${sshd.dir}/authorized_keys`, "");
    const r = await attempt(sshdOptions(sshd, { identityFiles: [stranger, sshd.clientKey] }));
    assert(r.error instanceof FatalError, String(r.error));
    const stock = await stockSshStderr(sshd, ["-i", stranger]);
    assertEquals(stock.code, 255);
    assertEquals(`${(r.error as FatalError).message}\r\n`, stock.err);
    assertEquals((r.error as FatalError).exitCode, 255);
  } finally {
    await sshd.stop();
  }
});

Deno.test("interop auth: encrypted key unlocked through a scripted prompter", async () => {
  const sshd = await startSshd();
  try {
    const key = await addKey(sshd, "k_enc", ["-t", "ed25519", "-N", "open sesame"]);
    const opts = sshdOptions(sshd, { identityFiles: [key], batchMode: false });
    const r = await attempt(opts, ["wrong", "open sesame"]);
    assertEquals(r.error, undefined, String(r.error));
    assertEquals(r.prompter.asked.map((a) => a.prompt), [
      `Enter passphrase for key '${key}': `,
      `Enter passphrase for key '${key}': `,
    ]);
    // In BatchMode the key is skipped without a prompt.
    const batch = await attempt({ ...opts, batchMode: true }, ["open sesame"]);
    assert(batch.error instanceof FatalError);
    assertEquals(batch.prompter.asked.length, 0);
  } finally {
    await sshd.stop();
  }
});

Deno.test("interop auth: keys held by ssh-agent (ed25519, rsa) and IdentitiesOnly", async () => {
  const sshd = await startSshd();
  const sock = `${sshd.dir}/agent.sock`;
  const agentProc = await startAgent(sock);
  try {
    const rsa = await addKey(sshd, "k_agent_rsa", ["-t", "rsa", "-b", "2048", "-N", ""]);
    for (const k of [sshd.clientKey, rsa]) {
      const add = await run("ssh-add", ["-q", k], { env: { SSH_AUTH_SOCK: sock } });
      assertEquals(add.code, 0, add.err);
    }
    // Only the agent: no identity files at all.
    for (const only of [[], [rsa]]) {
      const agent = new AgentClient(sock);
      const r = await attempt(
        sshdOptions(sshd, {
          identityFiles: only,
          identitiesOnly: only.length > 0,
          identityAgent: sock,
        }),
        [],
        agent,
      );
      assertEquals(r.error, undefined, String(r.error));
    }
    // IdentitiesOnly with an unrelated file: the agent's keys must not be offered.
    const stranger = `${sshd.dir}/stranger`;
    assertEquals(
      (await run("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", stranger])).code,
      0,
    );
    const only = await attempt(
      sshdOptions(sshd, { identityFiles: [stranger], identitiesOnly: true, identityAgent: sock }),
      [],
      new AgentClient(sock),
    );
    assert(only.error instanceof FatalError);
    await waitForLog(sshd, /Accepted publickey/g, 2);
  } finally {
    await agentProc.stop();
    await sshd.stop();
  }
});

Deno.test("interop known_hosts: accept-new records the key; strict refuses; stock ssh agrees", async () => {
  const sshd = await startSshd();
  try {
    const kh = `${sshd.dir}/kh_new`;
    Deno.writeTextFileSync(kh, "");
    const strict = await attempt(sshdOptions(sshd, { userKnownHostsFiles: [kh] }));
    assert(strict.error instanceof FatalError);
    assertEquals((strict.error as FatalError).message, "Host key verification failed.");
    const stock = await stockSshStderr(sshd, ["-o", `UserKnownHostsFile=${kh}`]);
    assertEquals(stock.code, 255);
    assertEquals(strict.logs.join("") + "Host key verification failed.\r\n", stock.err);

    const acc = await attempt(
      sshdOptions(sshd, { userKnownHostsFiles: [kh], strictHostKeyChecking: "accept-new" }),
      [],
      null,
      LogLevel.INFO,
    );
    assertEquals(acc.error, undefined, String(acc.error));
    assertEquals(acc.logs, [
      `Warning: Permanently added '${sshd.alias}' (ED25519) to the list of known hosts.\r\n`,
    ]);
    // The recorded line is the one the fixture wrote for the same key, and stock ssh accepts it.
    assertEquals(Deno.readTextFileSync(kh), Deno.readTextFileSync(sshd.knownHosts));
    assertEquals((await stockSshStderr(sshd, ["-o", `UserKnownHostsFile=${kh}`])).code, 0);
  } finally {
    await sshd.stop();
  }
});

Deno.test("interop known_hosts: a changed host key is refused with ssh's exact warning", async () => {
  const sshd = await startSshd();
  try {
    const other = `${sshd.dir}/other_host`;
    assertEquals((await run("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", other])).code, 0);
    const kh = `${sshd.dir}/kh_changed`;
    const pub = Deno.readTextFileSync(`${other}.pub`).trim().split(" ").slice(0, 2).join(" ");
    Deno.writeTextFileSync(kh, `${sshd.alias} ${pub}\n`);
    for (const mode of ["yes", "accept-new"] as const) {
      const r = await attempt(
        sshdOptions(sshd, { userKnownHostsFiles: [kh], strictHostKeyChecking: mode }),
      );
      assert(r.error instanceof FatalError, mode);
      const stock = await stockSshStderr(sshd, [
        "-o",
        `UserKnownHostsFile=${kh}`,
        "-o",
        `StrictHostKeyChecking=${mode}`,
      ]);
      assertEquals(stock.code, 255);
      assertEquals(r.logs.join("") + "Host key verification failed.\r\n", stock.err);
    }
    assertEquals(Deno.readTextFileSync(kh), `${sshd.alias} ${pub}\n`);
  } finally {
    await sshd.stop();
  }
});

Deno.test("interop known_hosts: [host]:port lookup without HostKeyAlias, hashed entry", async () => {
  const sshd = await startSshd();
  try {
    const kh = `${sshd.dir}/kh_port`;
    const pub = Deno.readTextFileSync(sshd.knownHosts).trim().split(" ").slice(1).join(" ");
    Deno.writeTextFileSync(kh, `[127.0.0.1]:${sshd.port} ${pub}\n`);
    assertEquals((await run("ssh-keygen", ["-H", "-f", kh])).code, 0);
    const r = await attempt(
      sshdOptions(sshd, { userKnownHostsFiles: [kh], hostKeyAlias: undefined }),
    );
    assertEquals(r.error, undefined, String(r.error));
    // The plain name without the port is not the same entry.
    Deno.writeTextFileSync(kh, `127.0.0.2 ${pub}\n`);
    const miss = await attempt(
      sshdOptions(sshd, { userKnownHostsFiles: [kh], hostKeyAlias: undefined }),
    );
    assert(miss.error instanceof FatalError);
    assertEquals(
      miss.logs.join(""),
      `No ED25519 host key is known for [127.0.0.1]:${sshd.port} and you have requested strict checking.\r\n`,
    );
  } finally {
    await sshd.stop();
  }
});

// Its own user per test file: files run in parallel and each sets the password.
const USER = "sshmuxtest";

Deno.test("interop auth: the server's banner is shown exactly as stock ssh shows it", async () => {
  const dir = Deno.makeTempDirSync({ prefix: "sshmux-banner-" });
  const banner = `${dir}/banner`;
  Deno.writeTextFileSync(banner, "Hello\x1b[31mred\tTab\x07bell\r\nline2 é ü\n\x7fdel\n");
  const sshd = await startSshd({ sshdConfig: [`Banner ${banner}`] });
  try {
    const r = await attempt(sshdOptions(sshd), [], null, LogLevel.INFO);
    assertEquals(r.error, undefined, String(r.error));
    const stock = await stockSshStderr(sshd, ["-o", "LogLevel=INFO"]);
    assertEquals(stock.code, 0);
    assertEquals(r.prompter.shown.join(""), stock.err);
    // Below INFO (the fixture's LogLevel ERROR) neither client shows it.
    assertEquals((await attempt(sshdOptions(sshd))).prompter.shown, []);
    assertEquals((await stockSshStderr(sshd, [])).err, "");
  } finally {
    await sshd.stop();
    Deno.removeSync(dir, { recursive: true });
  }
});

async function ensureUser(password: string): Promise<void> {
  if ((await run("id", [USER])).code !== 0) {
    const add = await run("useradd", ["-m", "-s", "/bin/sh", USER]);
    // Exit 9 = created meanwhile by a concurrent run: fine.
    assert(add.code === 0 || add.code === 9, `useradd (needs root): ${add.err}`);
  }
  const chpw = await run("chpasswd", [], { stdin: `${USER}:${password}\n` });
  assertEquals(chpw.code, 0, chpw.err);
}

Deno.test("interop auth: password and keyboard-interactive through PAM", async () => {
  const password = `pw-${crypto.randomUUID().slice(0, 8)}`;
  await ensureUser(password);
  const sshd = await startSshd({
    usePam: true,
    sshdConfig: ["PasswordAuthentication yes", "KbdInteractiveAuthentication yes"],
  });
  try {
    const base = sshdOptions(sshd, { user: USER, batchMode: false, identityFiles: [] });

    const pw = await attempt({ ...base, preferredAuthentications: "password" }, [
      "wrong",
      password,
    ]);
    assertEquals(pw.error, undefined, String(pw.error));
    assertEquals(pw.prompter.asked, [
      { prompt: `${USER}@${sshd.alias}'s password: `, echo: false },
      { prompt: `${USER}@${sshd.alias}'s password: `, echo: false },
    ]);
    assertEquals(pw.logs, ["Permission denied, please try again.\r\n"]);

    const kbd = await attempt({ ...base, preferredAuthentications: "keyboard-interactive" }, [
      password,
    ]);
    assertEquals(kbd.error, undefined, String(kbd.error));
    assertEquals(kbd.prompter.asked, [{
      prompt: `(${USER}@${sshd.alias}) Password: `,
      echo: false,
    }]);

    // Default order: publickey (no keys) → keyboard-interactive.
    const dflt = await attempt(base, [password]);
    assertEquals(dflt.error, undefined, String(dflt.error));
    assertEquals(dflt.prompter.asked.map((a) => a.prompt), [`(${USER}@${sshd.alias}) Password: `]);

    await waitForLog(sshd, /Accepted password for sshmuxtest/g, 1);
    await waitForLog(sshd, /Accepted keyboard-interactive\/pam for sshmuxtest/g, 2);

    // BatchMode: nothing can be typed, so both methods are skipped, exactly as stock ssh reports it.
    const batch = await attempt({ ...base, batchMode: true }, [password]);
    assert(batch.error instanceof FatalError);
    assertEquals(batch.prompter.asked.length, 0);
    Deno.writeTextFileSync(`${sshd.dir}/authorized_keys`, ""); // stock ssh offers the fixture key
    const stock = await stockSshStderr(sshd, ["-l", USER]);
    assertEquals(stock.code, 255);
    assertEquals(`${(batch.error as FatalError).message}\r\n`, stock.err);
  } finally {
    await sshd.stop();
  }
});
