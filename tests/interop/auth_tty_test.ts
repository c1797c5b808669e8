// The whole interactive path on a real pseudo-terminal (util-linux `script`): the sshmux
// launcher and the stock ssh client run the same dialog — host key confirmation, then a
// password (PAM) or a key passphrase — and must show the same prompts and succeed.

import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import { run, sshmuxPath } from "../helpers/run.ts";
import { type Sshd, startSshd } from "../helpers/sshd.ts";

// Its own user per test file: files run in parallel and each sets the password.
const USER = "sshmuxtest2";
const dec = new TextDecoder();
const enc = new TextEncoder();

interface PtyRun {
  code: number;
  /** Everything the terminal showed, with each answer's position marked by "<ANSWER>". */
  screen: string;
}

/** Runs `argv` on a pty; for each [expected text, answer] waits for the text, then types. */
async function onPty(argv: string[], dialog: [string, string][]): Promise<PtyRun> {
  const cmd = argv.map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(" ");
  const child = new Deno.Command("script", {
    args: ["-qec", cmd, "/dev/null"],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  const reader = child.stdout.getReader();
  const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
  let screen = "";
  let seen = 0;
  try {
    for (const [expect, answer] of dialog) {
      while (!screen.slice(seen).includes(expect)) {
        const { value, done } = await reader.read();
        if (done) throw new Error(`${argv[0]} ended before "${expect}":\n${screen}`);
        screen += dec.decode(value);
      }
      screen += "<ANSWER>";
      seen = screen.length;
      await writer.write(enc.encode(answer));
    }
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      screen += dec.decode(value);
    }
    const status = await child.status;
    return { code: status.code, screen };
  } finally {
    clearTimeout(timer);
    await writer.close().catch(() => {});
    await child.stderr.cancel().catch(() => {});
  }
}

async function ensureUser(password: string): Promise<void> {
  if ((await run("id", [USER])).code !== 0) {
    const add = await run("useradd", ["-m", "-s", "/bin/sh", USER]);
    // Exit 9 = created meanwhile by a concurrent run: fine.
    assert(add.code === 0 || add.code === 9, `useradd (needs root): ${add.err}`);
  }
  assertEquals((await run("chpasswd", [], { stdin: `${USER}:${password}\n` })).code, 0);
}

function clientArgs(sshd: Sshd, client: string, kh: string, extra: string[]): string[] {
  return [
    client,
    "-F",
    sshd.config,
    "-o",
    "BatchMode=no",
    "-o",
    "StrictHostKeyChecking=ask",
    "-o",
    `UserKnownHostsFile=${kh}`,
    "-o",
    "LogLevel=INFO",
    ...extra,
    "x",
    "echo",
    "done-ok",
  ];
}

/** The screen up to the host key question: identical for both clients. */
function hostKeyPrompt(screen: string): string {
  return screen.slice(0, screen.indexOf("<ANSWER>"));
}

Deno.test("interop tty: host key confirmation + PAM password, same dialog as stock ssh", async () => {
  const password = `pw-${crypto.randomUUID().slice(0, 8)}`;
  await ensureUser(password);
  const sshd = await startSshd({
    usePam: true,
    sshdConfig: ["PasswordAuthentication yes", "KbdInteractiveAuthentication yes"],
  });
  try {
    const runs: PtyRun[] = [];
    for (const client of ["ssh", sshmuxPath()]) {
      const kh = `${sshd.dir}/kh_${runs.length}`;
      Deno.writeTextFileSync(kh, "");
      const r = await onPty(
        clientArgs(sshd, client, kh, ["-l", USER, "-o", "PreferredAuthentications=password"]),
        [
          ["(yes/no/[fingerprint])? ", "maybe\r"],
          ["Please type 'yes', 'no' or the fingerprint: ", "yes\r"],
          [`${USER}@${sshd.alias}'s password: `, `${password}\r`],
        ],
      );
      assertEquals(r.code, 0, `${client}:\n${r.screen}`);
      assertStringIncludes(r.screen, "done-ok");
      assertStringIncludes(
        r.screen,
        `Warning: Permanently added '${sshd.alias}' (ED25519) to the list of known hosts.`,
      );
      assert(!r.screen.includes(password), `${client} echoed the password`);
      // The recorded line is the fixture's line for the same key.
      assertEquals(Deno.readTextFileSync(kh), Deno.readTextFileSync(sshd.knownHosts));
      runs.push(r);
    }
    assertEquals(hostKeyPrompt(runs[1].screen), hostKeyPrompt(runs[0].screen));
    assertStringIncludes(
      hostKeyPrompt(runs[1].screen),
      `The authenticity of host '${sshd.alias} ([127.0.0.1]:${sshd.port})' can't be established.`,
    );
  } finally {
    await sshd.stop();
  }
});

Deno.test("interop tty: encrypted key passphrase prompt, same as stock ssh", async () => {
  const sshd = await startSshd();
  try {
    const key = `${sshd.dir}/k_enc`;
    const kg = await run("ssh-keygen", ["-q", "-t", "ed25519", "-N", "tty pass", "-f", key]);
    assertEquals(kg.code, 0, kg.err);
    Deno.writeTextFileSync(`${sshd.dir}/authorized_keys`, Deno.readTextFileSync(`${key}.pub`));
    for (const client of ["ssh", sshmuxPath()]) {
      const r = await onPty(
        clientArgs(sshd, client, sshd.knownHosts, ["-i", key, "-o", "IdentityAgent=none"]),
        [
          [`Enter passphrase for key '${key}': `, "not it\r"],
          [`Enter passphrase for key '${key}': `, "tty pass\r"],
        ],
      );
      assertEquals(r.code, 0, `${client}:\n${r.screen}`);
      assertStringIncludes(r.screen, "done-ok");
      assert(!r.screen.includes("tty pass"), `${client} echoed the passphrase`);
    }
  } finally {
    await sshd.stop();
  }
});

Deno.test("interop tty: a passphrase is asked on /dev/tty when stdin is a pipe", async () => {
  const sshd = await startSshd();
  try {
    const key = `${sshd.dir}/k_enc`;
    const kg = await run("ssh-keygen", ["-q", "-t", "ed25519", "-N", "tty pass", "-f", key]);
    assertEquals(kg.code, 0, kg.err);
    Deno.writeTextFileSync(`${sshd.dir}/authorized_keys`, Deno.readTextFileSync(`${key}.pub`));
    for (const client of ["ssh", sshmuxPath()]) {
      const args = clientArgs(sshd, client, sshd.knownHosts, [
        "-i",
        key,
        "-o",
        "IdentityAgent=none",
      ])
        .slice(0, -2).map((a) => `'${a}'`).join(" ");
      // stdin is a pipe carrying data for the remote `cat`; the prompt must use the pty.
      const r = await onPty(
        ["sh", "-c", `echo piped-data | ${args} 'cat; echo done-ok'`],
        [[`Enter passphrase for key '${key}': `, "tty pass\r"]],
      );
      assertEquals(r.code, 0, `${client}:\n${r.screen}`);
      assertStringIncludes(r.screen, "piped-data");
      assertStringIncludes(r.screen, "done-ok");
      assert(!r.screen.includes("tty pass"), `${client} echoed the passphrase`);
    }
  } finally {
    await sshd.stop();
  }
});
