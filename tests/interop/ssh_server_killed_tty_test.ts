// The sshd serving a -tt session is killed (kill -9): the client sees a plain EOF on the
// connection. Its stderr, status and stdout must be ssh's, byte for byte: with a pty ssh adds
// its "Connection to H closed." line after "closed by remote host".

import { assertEquals } from "@std/assert";
import { sh, sshmuxPath } from "../helpers/run.ts";
import { type Sshd, startSshd } from "../helpers/sshd.ts";

/** Pids of the sshd processes serving connections (the listener's children and theirs). */
async function servingPids(sshd: Sshd): Promise<number[]> {
  const r = await sh(`for p in $(pgrep -P ${sshd.pid}); do echo $p; pgrep -P $p; done`);
  return r.out.split(/\s+/).filter(Boolean).map(Number);
}

function start(prog: string, sshd: Sshd, extra: string[]) {
  const child = new Deno.Command(prog, {
    args: ["-F", sshd.config, "-o", "LogLevel=INFO", ...extra, "x", "echo started; exec sleep 30"],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const err = new Response(child.stderr).text();
  const dec = new TextDecoder();
  let out = "";
  let markStarted = () => {};
  const started = new Promise<void>((r) => markStarted = r);
  const done = (async () => {
    for await (const chunk of child.stdout) {
      out += dec.decode(chunk);
      if (out.includes("started")) markStarted();
    }
    markStarted();
    const { code } = await child.status;
    return { code, out, err: await err };
  })();
  return { started, done };
}

Deno.test("sshd killed under a session: the same last words as ssh, with and without a pty", async () => {
  const sshd = await startSshd();
  try {
    for (const extra of [["-tt"], ["-T"]]) {
      const runs = ["ssh", sshmuxPath()].map((p) => start(p, sshd, extra));
      await Promise.all(runs.map((r) => r.started));
      for (const pid of await servingPids(sshd)) {
        try {
          Deno.kill(pid, "SIGKILL");
        } catch { /* already gone */ }
      }
      const [ssh, ours] = await Promise.all(runs.map((r) => r.done));
      assertEquals(ssh.code, 255, ssh.err);
      assertEquals(ours, ssh, extra.join(" "));
    }
  } finally {
    await sshd.stop();
  }
});
