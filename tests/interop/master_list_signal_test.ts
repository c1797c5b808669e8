// Beyond OpenSSH (issue #12 items 1 and 2) against a real sshd: sshmux's master lists its
// sessions (stock clients' too, with their command and pid), sessions can be named
// (SessionName), and a signal can be sent to a session's remote process from another shell or
// is passed on by sshmux's client when it has no tty. Stock ssh and stock masters never see
// any of it: `ssh -O list` is an invalid command, and sshmux's client says a stock master
// does not list sessions.
import { assert, assertEquals, assertMatch, assertStringIncludes } from "@std/assert";
import { run, sshmuxPath, waitFor } from "../helpers/run.ts";
import { type Master, startMaster, startMasterSshd } from "../helpers/master.ts";
import { ensureLoginUser } from "../helpers/login_user.ts";
import type { Sshd } from "../helpers/sshd.ts";

const SSHMUX = sshmuxPath();
/** sshd 9.2 refuses signals to a root login's sessions (no privilege separation after it). */
const SIGNAL_USER = "sshmuxsig";

/** A master logged in as SIGNAL_USER (clients need no -l: the master's user is used). */
async function signalMaster(): Promise<{ sshd: Sshd; m: Master }> {
  const sshd = await startMasterSshd();
  const user = await ensureLoginUser(SIGNAL_USER, sshd);
  const m = await startMaster("sshmux", sshd, { args: ["-l", user] });
  return { sshd, m };
}
const dec = new TextDecoder();

interface Listed {
  schema: string;
  master: { pid: number; host: string };
  proxies: { client: number; clientPid: number | null; channels: number; bytesToClient: number }[];
  connections: { id: number; primary: boolean; channels: number }[];
  sessions: {
    id: number;
    name: string | null;
    kind: string;
    clientPid: number | null;
    command: string;
    tty: boolean;
    bytesFromServer: number;
    bytesToServer: number;
  }[];
}

async function listJson(m: Master): Promise<Listed> {
  const r = await run(SSHMUX, ["-F", m.sshd.config, "-S", m.ctl, "-O", "list-json", "x"]);
  assertEquals(r.code, 0, r.err);
  return JSON.parse(r.out);
}

/** A client left running in the background; `done` has its exit code and output. */
function spawnClient(program: string, m: Master, args: string[], stdin: "null" | "piped") {
  const child = new Deno.Command(program, {
    args: ["-F", m.sshd.config, "-S", m.ctl, ...args],
    stdin,
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const done = child.output().then((o) => ({
    code: o.code,
    out: dec.decode(o.stdout),
    err: dec.decode(o.stderr),
  }));
  return { child, done };
}

function kill(child: Deno.ChildProcess): void {
  try {
    child.kill("SIGKILL");
  } catch { /* exited already */ }
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let t: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, rej) => t = setTimeout(() => rej(new Error(what)), ms));
  return Promise.race([p, late]).finally(() => clearTimeout(t));
}

Deno.test("master list: sessions of stock and sshmux clients, names, pids, bytes", async () => {
  const sshd = await startMasterSshd();
  const m = await startMaster("sshmux", sshd);
  const stock = spawnClient("ssh", m, ["x", "sleep 30"], "null");
  const named = spawnClient(SSHMUX, m, ["-o", "SessionName=build", "x", "cat"], "piped");
  const proxied = spawnClient("ssh", m, ["-O", "proxy", "x", "echo via-proxy; sleep 20"], "null");
  const w = named.child.stdin.getWriter();
  try {
    await w.write(new Uint8Array(3000).fill(65));
    let l: Listed | undefined;
    await waitFor("both sessions listed with cat's echo", async () => {
      l = await listJson(m);
      const cat = l.sessions.find((s) => s.name === "build");
      return l.sessions.length === 2 && cat !== undefined && cat.bytesFromServer >= 3000 &&
        l.proxies.length === 1 && l.proxies[0].bytesToClient > 0;
    }, 30_000);
    assertEquals(l!.schema, "sshmux-list/1");
    assertEquals(l!.master.pid, m.pid);
    const cat = l!.sessions.find((s) => s.name === "build")!;
    assertEquals([cat.kind, cat.command, cat.tty], ["session", "cat", false]);
    assertEquals(cat.clientPid, named.child.pid);
    assert(cat.bytesToServer >= 3000, `bytes to server ${cat.bytesToServer}`);
    const sleeper = l!.sessions.find((s) => s.command === "sleep 30")!;
    assertEquals([sleeper.name, sleeper.clientPid], [null, stock.child.pid]);
    // The proxy client's own session channel is relayed, not listed as a session.
    assertEquals([l!.proxies[0].clientPid, l!.proxies[0].channels], [proxied.child.pid, 1]);
    assertEquals(l!.connections.length, 1);
    assert(l!.connections[0].primary && l!.connections[0].channels >= 3);

    const text = await m.control("list", [], "sshmux");
    assertEquals(text.code, 0, text.err);
    assertMatch(
      text.out,
      /^Master pid \d+ for \S+, up \d+s\nID +NAME +PID +TTY +AGE +IN +OUT +COMMAND\n/,
    );
    assertMatch(text.out, new RegExp(`\\n${cat.id} +build +${named.child.pid} +no +\\d+s +2\\.9K`));
    assertMatch(text.out, new RegExp(`\\n${sleeper.id} +- +${stock.child.pid} +no .* sleep 30\\n`));

    // A second session may not take a name in use; it runs unnamed and says why.
    const dup = await run(SSHMUX, [
      "-F",
      sshd.config,
      "-S",
      m.ctl,
      "-o",
      "SessionName=build",
      "x",
      "echo ok",
    ]);
    assertEquals([dup.code, dup.out], [0, "ok\n"]);
    assertStringIncludes(dup.err, `SessionName "build" refused by master`);

    // Stock ssh has no such command; sshmux's client says what a stock master lacks.
    const stockList = await m.control("list");
    assertEquals(stockList.code, 255);
    assertStringIncludes(stockList.err, "Invalid multiplex command.");
  } finally {
    await w.close().catch(() => {});
    kill(stock.child);
    kill(proxied.child);
    await stock.done;
    await proxied.done;
    await named.done;
    await m.stop();
    await sshd.stop();
  }
});

Deno.test("master list: a stock master is told apart", async () => {
  const sshd = await startMasterSshd();
  const m = await startMaster("stock", sshd);
  try {
    const r = await m.control("list", [], "sshmux");
    assertEquals(r.code, 255);
    assertStringIncludes(r.err, "does not list sessions");
    const s = await m.control("signal=TERM:1", [], "sshmux");
    assertEquals(s.code, 255);
    assertStringIncludes(s.err, "cannot send signals");
  } finally {
    await m.stop();
    await sshd.stop();
  }
});

Deno.test("master signal: TERM by name and by id ends the remote sleep; bad targets fail", async () => {
  const { sshd, m } = await signalMaster();
  const named = spawnClient(SSHMUX, m, ["-o", "SessionName=sleeper", "x", "sleep 61"], "null");
  const stock = spawnClient("ssh", m, ["x", "sleep 62"], "null");
  try {
    let l: Listed | undefined;
    await waitFor("two sessions", async () => (l = await listJson(m)).sessions.length === 2);
    const t0 = Date.now();
    const byName = await m.control("signal=TERM:sleeper", [], "sshmux");
    assertEquals(byName.code, 0, byName.err);
    assertStringIncludes(byName.err, "Signal TERM sent to sleeper.");
    // Killed by a signal: no exit status, so 255, as ssh reports it.
    assertEquals((await withTimeout(named.done, 20_000, "named client still running")).code, 255);

    const id = l!.sessions.find((s) => s.command === "sleep 62")!.id;
    const byId = await m.control(`signal=SIGTERM:${id}`, [], "sshmux");
    assertEquals(byId.code, 0, byId.err);
    assertEquals((await withTimeout(stock.done, 20_000, "stock client still running")).code, 255);
    assert(Date.now() - t0 < 30_000);

    const none = await m.control("signal=TERM:nosuch", [], "sshmux");
    assertEquals(none.code, 255);
    assertStringIncludes(none.err, `signal request failed: no session "nosuch"`);
    const badSig = await m.control("signal=BOGUS:1", [], "sshmux");
    assertEquals(badSig.code, 255);
    assertStringIncludes(badSig.err, `Unknown signal "BOGUS"`);
  } finally {
    kill(named.child);
    kill(stock.child);
    await named.done;
    await stock.done;
    await m.stop();
    await sshd.stop();
  }
});

Deno.test("master signal: sshmux's client without a tty passes TERM and INT to the remote", async () => {
  const { sshd, m } = await signalMaster();
  const script = `trap 'echo got-TERM; exit 7' TERM; echo ready; sleep 63 & wait`;
  const trapped = spawnClient(SSHMUX, m, ["x", script], "null");
  const plain = spawnClient(SSHMUX, m, ["x", "sleep 64"], "null");
  try {
    await waitFor("two sessions", async () => (await listJson(m)).sessions.length === 2);
    // The remote shell must have set its trap before the signal arrives.
    await new Promise((r) => setTimeout(r, 500));
    trapped.child.kill("SIGTERM");
    const t = await withTimeout(trapped.done, 20_000, "trapped client still running");
    assertEquals([t.code, t.out], [7, "ready\ngot-TERM\n"], t.err);

    plain.child.kill("SIGINT");
    const p = await withTimeout(plain.done, 20_000, "plain client still running");
    assertEquals(p.code, 255, p.err);
    const left = await run("pgrep", ["-f", "sleep 64"]);
    assertEquals(left.out, "", "the remote sleep was ended");
  } finally {
    kill(trapped.child);
    kill(plain.child);
    await trapped.done;
    await plain.done;
    await m.stop();
    await sshd.stop();
  }
});

Deno.test("sshmux keywords: a config shared with stock ssh works through IgnoreUnknown", async () => {
  const dir = Deno.makeTempDirSync({ prefix: "sshmux-shared-cfg-" });
  try {
    const cfg = `${dir}/config`;
    // The README's advice, verbatim: stock ssh skips the keywords, sshmux reads them.
    Deno.writeTextFileSync(
      cfg,
      "IgnoreUnknown SessionName,ControlHeal\nHost *\n  SessionName build\n  ControlHeal yes\n",
    );
    const stock = await run("ssh", ["-G", "-F", cfg, "x"]);
    assertEquals(stock.code, 0, stock.err);
    const ours = await run(SSHMUX, ["-G", "-F", cfg, "x"]);
    assertEquals(ours.code, 0, ours.err);
    // Without IgnoreUnknown stock ssh refuses the file, and sshmux checks the value.
    Deno.writeTextFileSync(cfg, "Host *\n  SessionName build\n");
    assertEquals((await run("ssh", ["-G", "-F", cfg, "x"])).code, 255);
    Deno.writeTextFileSync(cfg, "Host *\n  SessionName 'a b'\n");
    const bad = await run(SSHMUX, ["-G", "-F", cfg, "x"]);
    assertEquals(bad.code, 255);
    assertStringIncludes(bad.err, "invalid session name");
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("master: malformed names and signals get FAILURE and the client stays", async () => {
  const { RawMuxClient } = await import("../helpers/raw_mux_client.ts");
  const sshd = await startMasterSshd();
  const m = await startMaster("sshmux", sshd);
  const c = new RawMuxClient(m.ctl);
  try {
    await c.hello();
    const cases: [Parameters<typeof c.send>[0], string][] = [
      [{ kind: "SetName", rid: 1, name: "x".repeat(200_000) }, "invalid session name"],
      [{ kind: "SetName", rid: 2, name: "bad\x1b[2Jname" }, "invalid session name"],
      [{ kind: "SetName", rid: 3, name: "42" }, "all digits"],
      [{ kind: "Signal", rid: 4, target: "", signal: "TERM" }, "no session this connection"],
      [{ kind: "Signal", rid: 5, target: "99999", signal: "TERM" }, `no session "99999"`],
      [{ kind: "Signal", rid: 6, target: "x", signal: "STOP\x1b" }, "unknown signal"],
      [{ kind: "ExtInfoRequest", rid: 7, name: "list@sshmux\x01" }, ""],
    ];
    for (const [msg, reason] of cases) {
      await c.send(msg);
      const r = await c.read();
      if (reason === "") {
        assertEquals(r?.kind, "ExtInfoReply");
        continue;
      }
      if (r?.kind !== "Failure") throw new Error(`expected FAILURE: ${JSON.stringify(r)}`);
      assertStringIncludes(r.reason, reason);
      assert(!r.reason.includes("\x1b"), "no control bytes echoed back");
      assert(r.reason.length < 300, "reasons stay short");
    }
    await c.send({ kind: "SetName", rid: 8, name: "fine" });
    assertEquals(await c.read(), { kind: "Ok", rid: 8 });
    await c.send({ kind: "AliveCheck", rid: 9 });
    assertEquals(await c.read(), { kind: "Alive", rid: 9, pid: m.pid });
  } finally {
    c.close();
    await m.stop();
    await sshd.stop();
  }
});
