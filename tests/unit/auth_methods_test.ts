// User authentication against an in-memory RFC 4252 server that verifies real signatures:
// publickey (file keys, encrypted keys, RSA SHA-2 choice), password, keyboard-interactive,
// partial success, banners, BatchMode, PreferredAuthentications, and garbage replies.

import { assert, assertEquals, assertRejects, assertStringIncludes } from "@std/assert";
import type { Options } from "../../lib/config/options.ts";
import { testOptions } from "../helpers/options.ts";
import { FatalError, ProtocolError } from "../../lib/errors.ts";
import { captureLog, getLogLevel, LogLevel, setLogLevel } from "../../lib/log.ts";
import { authenticate, type AuthTransport, ScriptedPrompter } from "../../lib/ssh/auth/mod.ts";
import { acceptedAlgorithms, chooseAlgorithm } from "../../lib/ssh/auth/publickey.ts";
import { parsePublicKeyLine } from "../../lib/ssh/keys/private_key.ts";
import { run } from "../helpers/run.ts";
import { verifySignature } from "../../lib/ssh/keys/public_key.ts";
import { publickeySignedData } from "../../lib/ssh/auth/messages.ts";
import { WireReader } from "../../lib/wire/reader.ts";
import { WireWriter } from "../../lib/wire/writer.ts";

interface FakeServerConfig {
  /** Methods that must all succeed, in any order (like sshd AuthenticationMethods "a,b"). */
  required: string[];
  /** Methods listed in FAILURE messages (defaults to those still required). */
  keys?: Uint8Array[];
  password?: string;
  kbd?: { name: string; instruction: string; prompts: [string, boolean][]; answers: string[] };
  serverSigAlgs?: string[];
  banner?: string;
}

class FakeAuthServer implements AuthTransport {
  readonly sessionId = crypto.getRandomValues(new Uint8Array(32));
  readonly serverSigAlgs: string[] | undefined;
  readonly events: string[] = [];
  private inbox: Uint8Array[] = [];
  private done = new Set<string>();
  private pendingVerify: Promise<void> = Promise.resolve();
  closed = false;

  constructor(readonly cfg: FakeServerConfig) {
    this.serverSigAlgs = cfg.serverSigAlgs;
  }

  private remaining(): string[] {
    return this.cfg.required.filter((m) => !this.done.has(m));
  }

  private failure(partial = false): Uint8Array {
    return new WireWriter().u8(51).nameList(this.remaining()).bool(partial).finish();
  }

  private succeed(method: string): Uint8Array {
    this.done.add(method);
    this.events.push(`ok ${method}`);
    return this.remaining().length === 0 ? Uint8Array.from([52]) : this.failure(true);
  }

  send(payload: Uint8Array): Promise<void> {
    if (this.closed) return Promise.reject(new Error("closed"));
    // Signature checks are async: keep replies in order behind them.
    this.pendingVerify = this.pendingVerify.then(() => this.handle(payload));
    return Promise.resolve();
  }

  private async handle(p: Uint8Array): Promise<void> {
    const r = new WireReader(p);
    const type = r.u8();
    if (type === 5) {
      this.inbox.push(new WireWriter().u8(6).string(r.text()).finish());
      if (this.cfg.banner) {
        this.inbox.push(new WireWriter().u8(53).string(this.cfg.banner).string("").finish());
      }
      return;
    }
    if (type === 61) {
      const n = r.u32();
      const answers = Array.from({ length: n }, () => r.text());
      this.events.push(`kbd answers ${JSON.stringify(answers)}`);
      const ok = JSON.stringify(answers) === JSON.stringify(this.cfg.kbd?.answers);
      this.inbox.push(ok ? this.succeed("keyboard-interactive") : this.failure());
      return;
    }
    if (type !== 50) throw new Error(`fake server: unexpected message ${type}`);
    const user = r.text();
    r.text();
    const method = r.text();
    if (!this.remaining().includes(method)) {
      if (method !== "none") this.events.push(`refused ${method}`);
      this.inbox.push(this.failure());
      return;
    }
    if (method === "publickey") {
      const hasSig = r.bool();
      const alg = r.text();
      const blob = r.string();
      const known = (this.cfg.keys ?? []).some((k) =>
        k.length === blob.length && k.every((b, i) => b === blob[i])
      );
      if (!known) {
        this.events.push(`pk unknown ${alg}`);
        this.inbox.push(this.failure());
        return;
      }
      if (!hasSig) {
        this.events.push(`pk query ${alg}`);
        this.inbox.push(new WireWriter().u8(60).string(alg).string(blob).finish());
        return;
      }
      const sig = r.string();
      const good = await verifySignature(
        blob,
        sig,
        publickeySignedData(this.sessionId, user, alg, blob),
        [alg],
      );
      this.events.push(`pk sig ${alg} ${good ? "good" : "bad"}`);
      this.inbox.push(good ? this.succeed("publickey") : this.failure());
      return;
    }
    if (method === "password") {
      r.bool();
      const pw = r.text();
      this.events.push(`password ${pw}`);
      this.inbox.push(pw === this.cfg.password ? this.succeed("password") : this.failure());
      return;
    }
    if (method === "keyboard-interactive") {
      const k = this.cfg.kbd!;
      const w = new WireWriter().u8(60).string(k.name).string(k.instruction).string("").u32(
        k.prompts.length,
      );
      for (const [prompt, echo] of k.prompts) w.string(prompt).bool(echo);
      this.events.push("kbd request");
      this.inbox.push(w.finish());
      return;
    }
    this.inbox.push(this.failure());
  }

  async receive(): Promise<Uint8Array | null> {
    await this.pendingVerify;
    // Nothing queued means the client waits for a reply the server would never send: report
    // it as a closed connection so the test fails instead of hanging.
    return this.inbox.shift() ?? null;
  }

  close(): void {
    this.closed = true;
  }
}

const dir = Deno.makeTempDirSync({ prefix: "sshmux-auth-" });

async function keygen(name: string, args: string[]): Promise<{ path: string; blob: Uint8Array }> {
  const path = `${dir}/${name}`;
  const r = await run("ssh-keygen", ["-q", "-C", name, "-f", path, ...args]);
  assertEquals(r.code, 0, r.err);
  return { path, blob: parsePublicKeyLine(Deno.readTextFileSync(`${path}.pub`)).blob };
}

const ed = await keygen("ed", ["-t", "ed25519", "-N", ""]);
const ec = await keygen("ec", ["-t", "ecdsa", "-N", ""]);
const rsa = await keygen("rsa", ["-t", "rsa", "-b", "2048", "-N", ""]);
const enc = await keygen("enc", ["-t", "ed25519", "-N", "secret", "-a", "2"]);

interface Run {
  error?: unknown;
  logs: string[];
  prompter: ScriptedPrompter;
  server: FakeAuthServer;
}

async function auth(
  cfg: FakeServerConfig,
  over: Partial<Options>,
  answers: (string | null)[] = [],
): Promise<Run> {
  const server = new FakeAuthServer(cfg);
  const prompter = new ScriptedPrompter(answers);
  const logs: string[] = [];
  const restore = captureLog(logs);
  const old = getLogLevel();
  setLogLevel(LogLevel.INFO);
  try {
    await authenticate(server, testOptions({ identityAgent: "none", ...over }), prompter, {
      agent: null,
    });
    return { logs, prompter, server };
  } catch (error) {
    return { error, logs, prompter, server };
  } finally {
    restore();
    setLogLevel(old);
  }
}

function denied(r: Run, methods: string): void {
  const e = r.error as FatalError;
  assert(e instanceof FatalError, `expected FatalError, got ${e}`);
  assertEquals(e.message, `alice@example.com: Permission denied (${methods}).`);
  assertEquals(e.exitCode, 255);
}

Deno.test("auth: publickey with ed25519 and ecdsa files: query, PK_OK, signature", async () => {
  for (const k of [ed, ec]) {
    const r = await auth({ required: ["publickey"], keys: [k.blob] }, { identityFiles: [k.path] });
    assertEquals(r.error, undefined);
    const alg = k === ed ? "ssh-ed25519" : "ecdsa-sha2-nistp256";
    assertEquals(r.server.events, [`pk query ${alg}`, `pk sig ${alg} good`, "ok publickey"]);
    assertEquals(r.prompter.asked, []);
  }
});

Deno.test("auth: rsa picks rsa-sha2-512 / rsa-sha2-256 from server-sig-algs", async () => {
  for (
    const [algs, want] of [
      [["ssh-ed25519", "rsa-sha2-256", "rsa-sha2-512"], "rsa-sha2-512"],
      [["rsa-sha2-256", "ssh-rsa"], "rsa-sha2-256"],
      [undefined, "rsa-sha2-512"],
    ] as const
  ) {
    const r = await auth(
      { required: ["publickey"], keys: [rsa.blob], serverSigAlgs: algs as string[] | undefined },
      { identityFiles: [rsa.path] },
    );
    assertEquals(r.error, undefined);
    assertEquals(r.server.events[1], `pk sig ${want} good`);
  }
  // A server offering only SHA-1 RSA gets no RSA attempt (ssh-rsa is off by default).
  const sha1 = await auth(
    { required: ["publickey"], keys: [rsa.blob], serverSigAlgs: ["ssh-rsa"] },
    { identityFiles: [rsa.path] },
  );
  denied(sha1, "publickey");
  assertEquals(sha1.server.events, []);
  const allowed = await auth(
    { required: ["publickey"], keys: [rsa.blob], serverSigAlgs: ["ssh-rsa"] },
    { identityFiles: [rsa.path], pubkeyAcceptedAlgorithms: "+ssh-rsa" },
  );
  assertEquals(allowed.error, undefined);
  assertEquals(allowed.server.events[1], "pk sig ssh-rsa good");
});

Deno.test("auth: keys are tried in order; unknown ones are skipped without prompting", async () => {
  const r = await auth(
    { required: ["publickey"], keys: [ec.blob] },
    { identityFiles: [`${dir}/missing`, enc.path, ed.path, ec.path] },
  );
  assertEquals(r.error, undefined);
  assertEquals(r.server.events, [
    "pk unknown ssh-ed25519",
    "pk unknown ssh-ed25519",
    "pk query ecdsa-sha2-nistp256",
    "pk sig ecdsa-sha2-nistp256 good",
    "ok publickey",
  ]);
  // The encrypted key was refused on its public half: no passphrase was asked.
  assertEquals(r.prompter.asked, []);
});

Deno.test("auth: encrypted key: passphrase asked after PK_OK, retried when wrong", async () => {
  const r = await auth(
    { required: ["publickey"], keys: [enc.blob] },
    { identityFiles: [enc.path] },
    ["wrong", "secret"],
  );
  assertEquals(r.error, undefined);
  assertEquals(r.prompter.asked, [
    { prompt: `Enter passphrase for key '${enc.path}': `, echo: false },
    { prompt: `Enter passphrase for key '${enc.path}': `, echo: false },
  ]);
  assertEquals(r.server.events.at(-1), "ok publickey");
  // An empty answer gives up on that key.
  const empty = await auth({ required: ["publickey"], keys: [enc.blob] }, {
    identityFiles: [enc.path],
  }, [""]);
  denied(empty, "publickey");
});

Deno.test("auth: BatchMode never prompts: encrypted keys, password, kbd-int are skipped", async () => {
  const r = await auth(
    { required: ["publickey"], keys: [enc.blob], password: "pw" },
    { identityFiles: [enc.path], batchMode: true },
    ["secret", "pw"],
  );
  denied(r, "publickey");
  assertEquals(r.prompter.asked, []);
  const pw = await auth({ required: ["password", "keyboard-interactive"], password: "pw" }, {
    batchMode: true,
  }, ["pw"]);
  denied(pw, "password,keyboard-interactive");
  assertEquals(pw.prompter.asked, []);
  assertEquals(pw.server.events, []);
});

Deno.test("auth: a private key readable by others is ignored with ssh's warning", async () => {
  const k = await keygen("open", ["-t", "ed25519", "-N", ""]);
  Deno.chmodSync(k.path, 0o644);
  const r = await auth({ required: ["publickey"], keys: [k.blob] }, { identityFiles: [k.path] });
  denied(r, "publickey");
  const text = r.logs.join("");
  assertStringIncludes(text, "WARNING: UNPROTECTED PRIVATE KEY FILE!");
  assertStringIncludes(text, `Permissions 0644 for '${k.path}' are too open.`);
  assertStringIncludes(text, "This private key will be ignored.");
});

Deno.test("auth: password: wrong then right, with ssh's prompt and retry message", async () => {
  const r = await auth({ required: ["password"], password: "hunter2" }, {}, ["nope", "hunter2"]);
  assertEquals(r.error, undefined);
  assertEquals(r.prompter.asked, [
    { prompt: "alice@example.com's password: ", echo: false },
    { prompt: "alice@example.com's password: ", echo: false },
  ]);
  assertEquals(r.logs, ["Permission denied, please try again.\r\n"]);
  const three = await auth({ required: ["password"], password: "x" }, {
    numberOfPasswordPrompts: 2,
  }, ["a", "b", "x"]);
  denied(three, "password");
  assertEquals(three.server.events, ["password a", "password b"]);
  const eof = await auth({ required: ["password"], password: "x" }, {}, [null]);
  denied(eof, "password");
  assertEquals(eof.server.events, []);
});

Deno.test("auth: keyboard-interactive: prompts with echo flags, name and instruction shown", async () => {
  const kbd = {
    name: "Two factor",
    instruction: "Answer both.",
    prompts: [["Password: ", false], ["Code: ", true]] as [string, boolean][],
    answers: ["pw", "123456"],
  };
  const r = await auth({ required: ["keyboard-interactive"], kbd }, {}, ["pw", "123456"]);
  assertEquals(r.error, undefined);
  assertEquals(r.prompter.asked, [{ prompt: "(alice@example.com) Password: ", echo: false }, {
    prompt: "(alice@example.com) Code: ",
    echo: true,
  }]);
  assertEquals(r.logs, ["Two factor\r\n", "Answer both.\r\n"]);
  const bad = await auth({ required: ["keyboard-interactive"], kbd }, {
    numberOfPasswordPrompts: 2,
  }, ["x", "y", "pw", "1"]);
  denied(bad, "keyboard-interactive");
  assertEquals(bad.server.events.filter((e) => e === "kbd request").length, 2);
});

Deno.test("auth: partial success: publickey then password (AuthenticationMethods)", async () => {
  const r = await auth(
    { required: ["publickey", "password"], keys: [ed.blob], password: "pw" },
    { identityFiles: [ed.path] },
    ["pw"],
  );
  assertEquals(r.error, undefined);
  assertEquals(r.server.events, [
    "pk query ssh-ed25519",
    "pk sig ssh-ed25519 good",
    "ok publickey",
    "password pw",
    "ok password",
  ]);
});

Deno.test("auth: PreferredAuthentications order and disabled methods", async () => {
  const r = await auth(
    { required: ["publickey"], keys: [ed.blob], password: "pw" },
    { identityFiles: [ed.path], preferredAuthentications: "password,publickey" },
    ["bad", "bad", "bad"],
  );
  assertEquals(r.error, undefined);
  // The server does not list password here, so it is never tried despite coming first.
  assertEquals(r.server.events[0], "pk query ssh-ed25519");
  const pwFirst = await auth(
    { required: ["password"], password: "pw" },
    {
      identityFiles: [ed.path],
      preferredAuthentications: "password,publickey",
      passwordAuthentication: false,
    },
    ["pw"],
  );
  denied(pwFirst, "password");
  assertEquals(pwFirst.prompter.asked, []);
});

Deno.test("auth: banner goes to the user unless quiet, sanitized", async () => {
  const banner = "Welcome\x1b[31m to the box\n";
  const r = await auth({ required: ["password"], password: "pw", banner }, {}, ["pw"]);
  assertEquals(r.error, undefined);
  assertEquals(r.prompter.shown, ["Welcome\\033[31m to the box\n"]);
  const q = await auth({ required: ["password"], password: "pw", banner }, { quiet: true }, ["pw"]);
  assertEquals(q.prompter.shown, []);
});

Deno.test("auth: server closing during auth is a FatalError, not a hang", async () => {
  const server = new FakeAuthServer({ required: ["publickey"] });
  server.receive = () => Promise.resolve(null);
  await assertRejects(
    () =>
      authenticate(server, testOptions({ identityAgent: "none" }), new ScriptedPrompter([]), {
        agent: null,
      }),
    FatalError,
    "Connection closed by example.com port 22",
  );
});

Deno.test("auth: fuzz: garbage server replies give typed errors only", async () => {
  let seed = 4242;
  const rnd = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff);
  const templates = [
    new WireWriter().u8(6).string("ssh-userauth").finish(),
    new WireWriter().u8(51).nameList(["publickey", "password", "keyboard-interactive"]).bool(false)
      .finish(),
    new WireWriter().u8(53).string("hi").string("").finish(),
    new WireWriter().u8(60).string("x").string("y").string("").u32(1).string("P: ").bool(false)
      .finish(),
    new WireWriter().u8(60).string("ssh-ed25519").string(ed.blob).finish(),
    Uint8Array.from([52]),
  ];
  for (let i = 0; i < 300; i++) {
    const replies: Uint8Array[] = [templates[0], templates[1]];
    for (let k = 0; k < 6; k++) {
      const t = Uint8Array.from(templates[1 + rnd() % (templates.length - 1)]);
      if (rnd() % 2) t[rnd() % t.length] = rnd() & 0xff;
      replies.push(rnd() % 5 === 0 ? t.subarray(0, rnd() % t.length) : t);
    }
    const transport: AuthTransport = {
      sessionId: new Uint8Array(32),
      serverSigAlgs: undefined,
      send: () => Promise.resolve(),
      receive: () => Promise.resolve(replies.shift() ?? null),
      close: () => {},
    };
    const logs: string[] = [];
    const restore = captureLog(logs);
    try {
      await authenticate(
        transport,
        testOptions({ identityAgent: "none", identityFiles: [ed.path] }),
        new ScriptedPrompter(["a", "b", "c"]),
        { agent: null },
      );
    } catch (e) {
      if (!(e instanceof ProtocolError || e instanceof FatalError)) throw e;
    } finally {
      restore();
    }
  }
});

Deno.test("auth: a .pub file that does not match its private key is not signed with", async () => {
  const k = await keygen("stale", ["-t", "ed25519", "-N", ""]);
  Deno.copyFileSync(`${ec.path}.pub`, `${k.path}.pub`); // server knows the ecdsa key
  const r = await auth({ required: ["publickey"], keys: [ec.blob] }, { identityFiles: [k.path] });
  denied(r, "publickey");
  assertEquals(r.server.events, ["pk query ecdsa-sha2-nistp256"]);
  assertStringIncludes(r.logs.join(""), "contents do not match public");
});

Deno.test("auth: PubkeyAcceptedAlgorithms +/-/^ forms and the algorithm choice", () => {
  assert(!acceptedAlgorithms(undefined).includes("ssh-rsa"));
  assertEquals(acceptedAlgorithms("+ssh-rsa").at(-1), "ssh-rsa");
  assertEquals(acceptedAlgorithms("^ssh-rsa")[0], "ssh-rsa");
  assert(!acceptedAlgorithms("-ecdsa-sha2-*").some((a) => a.startsWith("ecdsa-")));
  assertEquals(acceptedAlgorithms("ssh-ed25519,rsa-sha2-256"), ["ssh-ed25519", "rsa-sha2-256"]);
  const sigAlgs = ["rsa-sha2-512", "rsa-sha2-256"];
  assertEquals(
    chooseAlgorithm("ssh-rsa", sigAlgs, acceptedAlgorithms("ssh-ed25519,rsa-sha2-256")),
    "rsa-sha2-256",
  );
  assertEquals(chooseAlgorithm("ssh-rsa", sigAlgs, acceptedAlgorithms("-rsa-sha2-*")), undefined);
  assertEquals(
    chooseAlgorithm("ssh-ed25519", sigAlgs, acceptedAlgorithms("-ssh-ed25519")),
    undefined,
  );
  assertEquals(
    chooseAlgorithm("ecdsa-sha2-nistp384", undefined, acceptedAlgorithms(undefined)),
    "ecdsa-sha2-nistp384",
  );
});

Deno.test({ name: "auth: cleanup", fn: () => Deno.removeSync(dir, { recursive: true }) });
