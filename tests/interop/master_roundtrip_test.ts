// -O check that means something: sshmux's client asks sshmux's master for a real round trip to
// the server. With the server's processes stopped (SIGSTOP), stock `ssh -O check` still says
// "Master running" and exits 0; sshmux's says the server is not responding and exits 255.
import { assert, assertEquals, assertMatch } from "@std/assert";
import { startSshd } from "../helpers/sshd.ts";
import { run, sshmuxPath } from "../helpers/run.ts";
import { startMaster } from "../helpers/master.ts";

const SSHMUX = sshmuxPath();

/** Every descendant of `pid` (Linux /proc): the sshd processes serving its connections. */
function descendants(pid: number): number[] {
  const out: number[] = [];
  const children = (p: number) => {
    try {
      return Deno.readTextFileSync(`/proc/${p}/task/${p}/children`).trim().split(/\s+/)
        .filter(Boolean).map(Number);
    } catch {
      return [];
    }
  };
  const todo = children(pid);
  while (todo.length) {
    const p = todo.pop()!;
    out.push(p);
    todo.push(...children(p));
  }
  return out;
}

Deno.test("master: -O check makes a server round trip (sshmux client + sshmux master)", async () => {
  const sshd = await startSshd();
  const master = await startMaster("sshmux", sshd);
  const check = (prog: string) =>
    run(prog, ["-F", sshd.config, "-S", master.ctl, "-O", "check", "x"], { timeoutMs: 30_000 });
  let stopped: number[] = [];
  try {
    const live = await check(SSHMUX);
    assertEquals(live.code, 0, live.err);
    assertMatch(live.err, /^Master running \(pid=\d+\)\r\nServer answered in \d+ ms\r\n$/);
    const stock = await check("ssh");
    assertEquals([stock.code, stock.err], [0, `Master running (pid=${master.pid})\r\n`]);

    stopped = descendants(sshd.pid);
    assert(stopped.length > 0, "the sshd processes of the master's connection");
    for (const p of stopped) Deno.kill(p, "SIGSTOP");
    const t0 = Date.now();
    const wedged = await check(SSHMUX);
    assertEquals(wedged.code, 255, wedged.err);
    assertMatch(wedged.err, /Server not responding: no answer within 5 s/);
    assert(Date.now() - t0 < 20_000);
    // OpenSSH's check only proves the master process lives.
    const stockWedged = await check("ssh");
    assertEquals(stockWedged.code, 0);
  } finally {
    for (const p of stopped) {
      try {
        Deno.kill(p, "SIGCONT");
      } catch { /* gone */ }
    }
    await master.stop();
    await sshd.stop();
  }
});
