// Beyond OpenSSH: ControlHeal. The sshd process serving the master's connection is killed (the
// listener stays up): sessions on that connection end with 255 as with OpenSSH's master, but a
// master with `-o ControlHeal=yes` keeps its socket, connects again (same host key check) and
// serves the next `ssh -S` session; when the server stays away it gives up after its attempts and
// ends like a master without the option, which ends at once (socket removed, status 255).
import { assert, assertEquals } from "@std/assert";
import {
  type Master,
  muxRun,
  pathExists,
  processAlive,
  startMaster,
  startMasterSshd,
} from "../helpers/master.ts";
import { banner } from "../helpers/net_probe.ts";
import { waitFor } from "../helpers/run.ts";
import { freePort, logins, type Sshd } from "../helpers/sshd.ts";

/** Pids whose parent is `pid` (from /proc). */
function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const e of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(e.name)) continue;
    try {
      const stat = Deno.readTextFileSync(`/proc/${e.name}/stat`);
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (ppid === pid) out.push(Number(e.name));
    } catch { /* gone meanwhile */ }
  }
  return out;
}

/** The sshd processes that serve connections: the listener's children and theirs. */
function servingProcesses(sshd: Sshd): number[] {
  return childrenOf(sshd.pid).flatMap((p) => [p, ...childrenOf(p)]);
}

function killAll(pids: number[]): void {
  for (const p of pids) {
    try {
      Deno.kill(p, "SIGKILL");
    } catch { /* gone */ }
  }
}

/** Kills what serves the connections; returns how many connections that was. */
function killServingProcesses(sshd: Sshd): number {
  const served = childrenOf(sshd.pid).length;
  killAll(servingProcesses(sshd));
  return served;
}

async function healingMaster(
  sshd: Sshd,
  firstDelayMs: number,
  args: string[] = [],
): Promise<Master> {
  return await startMaster("sshmux", sshd, {
    args: ["-v", "-o", "ControlHeal=yes", ...args],
    env: { SSHMUX_HEAL_DELAY_MS: String(firstDelayMs) },
  });
}

Deno.test("ControlHeal: the master reconnects after its sshd process is killed", async () => {
  const sshd = await startMasterSshd();
  // The first reconnect waits 1 s: the next session surely arrives while it is under way.
  // A -L forward of the master's command line (to sshd's own port) must carry on too.
  // So must a -R forward, whose listener on the server died with the old connection.
  const fwdPort = freePort();
  const rPort = freePort();
  const master = await healingMaster(sshd, 1000, [
    "-L",
    `${fwdPort}:127.0.0.1:${sshd.port}`,
    "-R",
    `${rPort}:127.0.0.1:${sshd.port}`,
  ]);
  const sshBanner = () => banner(() => Deno.connect({ hostname: "127.0.0.1", port: fwdPort }));
  const remoteBanner = () =>
    banner(() => Deno.connect({ hostname: "127.0.0.1", port: rPort })).catch(() => "");
  try {
    const one = await muxRun("ssh", master, ["x", "echo one"]);
    assertEquals([one.out, one.code, one.err], ["one\n", 0, ""]);
    assertEquals(await sshBanner(), "SSH-2.0-");
    assertEquals(await remoteBanner(), "SSH-2.0-");
    const marker = `${sshd.dir}/long-started`;
    const long = muxRun("ssh", master, ["x", `touch ${marker}; sleep 30`]);
    await waitFor("long session running", () => pathExists(marker));

    const killedAt = performance.now();
    assertEquals(killServingProcesses(sshd), 1, "one connection: the master's");
    // The next session waits for the new connection, then runs.
    const next = muxRun("ssh", master, ["x", "echo two"]);
    // The session on the lost connection ends as with OpenSSH's master.
    assertEquals((await long).code, 255);
    const two = await next;
    const servedAfterMs = Math.round(performance.now() - killedAt);
    assertEquals([two.out, two.code, two.err], ["two\n", 0, ""]);
    assert(servedAfterMs >= 1000, `served after the reconnect: ${servedAfterMs} ms`);
    assert(master.alive(), "master still running");
    assert(pathExists(master.ctl), "socket kept");
    assertEquals(logins(sshd), 2, "one reconnect");
    const took = master.stderr().match(/reconnected to \S+ after (\d+) ms/);
    if (!took) throw new Error(`no "reconnected" line: ${master.stderr()}`);
    console.log(
      `reconnected after ${took[1]} ms; next session served ${servedAfterMs} ms after the kill`,
    );
    assertEquals(await sshBanner(), "SSH-2.0-", "-L forward over the new connection");
    assertEquals(logins(sshd), 2, "the forward opened no connection of its own");
    await waitFor("-R forward asked for again", async () => await remoteBanner() === "SSH-2.0-");
    const check = await master.control("check");
    assertEquals(check.code, 0, check.err);
  } finally {
    await master.stop();
    await sshd.stop();
  }
});

Deno.test("ControlHeal: a server that stops answering (ServerAlive) is replaced", async () => {
  const sshd = await startMasterSshd();
  const master = await healingMaster(sshd, 100, [
    "-o",
    "ServerAliveInterval=1",
    "-o",
    "ServerAliveCountMax=1",
  ]);
  // Like a cut network: the process serving the connection is frozen, the listener is not.
  const frozen = servingProcesses(sshd);
  try {
    for (const p of frozen) Deno.kill(p, "SIGSTOP");
    await waitFor("timeout noticed", () => master.stderr().includes("not responding"), 15_000);
    const r = await muxRun("ssh", master, ["x", "echo after"]);
    assertEquals([r.out, r.code, r.err], ["after\n", 0, ""]);
    assertEquals(logins(sshd), 2);
    assert(master.alive());
  } finally {
    killAll(frozen);
    await master.stop();
    await sshd.stop();
  }
});

Deno.test("ControlHeal: with the server gone for good the master gives up and exits 255", async () => {
  const sshd = await startMasterSshd();
  const master = await healingMaster(sshd, 100);
  try {
    // The listener first (no reconnect can succeed), then the master's connection.
    const serving = servingProcesses(sshd);
    assert(serving.length > 0, "the master's connection is served");
    Deno.kill(sshd.pid, "SIGKILL");
    await waitFor("sshd listener gone", () => !processAlive(sshd.pid));
    killAll(serving);
    // A session asked for meanwhile waits for the reconnect, then is told why it cannot run
    // (the stock client then tries a connection of its own, refused here too).
    await waitFor("reconnecting", () => master.stderr().includes("reconnecting to"));
    const r = await muxRun("ssh", master, ["x", "echo never"]);
    assertEquals(r.code, 255);
    assert(
      r.err.includes("session request failed: connection to 127.0.0.1 lost"),
      `clear failure: ${r.err}`,
    );
    const status = await master.status;
    assertEquals(status.code, 255);
    assert(!pathExists(master.ctl), "socket removed");
    const err = master.stderr();
    assert(err.includes("Connection to 127.0.0.1 closed by remote host."), err);
    assert(err.includes("Could not reconnect to 127.0.0.1 after 5 attempts, giving up."), err);
  } finally {
    await master.stop();
    await sshd.stop();
  }
});

Deno.test("ControlHeal off (default): the master ends when its connection is lost", async () => {
  const sshd = await startMasterSshd();
  const master = await startMaster("sshmux", sshd);
  try {
    killServingProcesses(sshd);
    const status = await master.status;
    assertEquals(status.code, 255);
    assert(!pathExists(master.ctl), "socket removed");
    assertEquals(master.stderr(), "Connection to 127.0.0.1 closed by remote host.\r\n");
    assertEquals(logins(sshd), 1, "no reconnect");
  } finally {
    await master.stop();
    await sshd.stop();
  }
});
