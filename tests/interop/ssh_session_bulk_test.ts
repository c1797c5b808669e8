// Bulk data through plain mode against a real sshd: 100 MiB down and up byte-exact, and a
// server-initiated rekey every megabyte in the middle of a transfer (sshd RekeyLimit 1M).

import { assert, assertEquals } from "@std/assert";
import { sh, sshmuxPath, waitFor } from "../helpers/run.ts";
import { startSshd } from "../helpers/sshd.ts";

/** Returns how many key exchanges the client logged (with -v) in each direction's run. */
async function transferBothWays(
  config: string,
  file: string,
  dir: string,
  label: string,
): Promise<[number, number]> {
  const ssh = `${sshmuxPath()} -v -F ${config} x`;
  const kexCount = (log: string) =>
    log.split("\n").filter((l) => l.includes("kex: algorithm:")).length;
  const down = await sh(
    `${ssh} 'cat ${file}' 2>${dir}/log-down > ${dir}/down-${label} && cmp ${file} ${dir}/down-${label}`,
    { timeoutMs: 120_000 },
  );
  const downLog = Deno.readTextFileSync(`${dir}/log-down`);
  assertEquals(down.code, 0, `down: ${down.err} ${downLog.slice(-2000)}`);
  const up = await sh(
    `${ssh} 'cat > ${dir}/up-${label}' < ${file} 2>${dir}/log-up && cmp ${file} ${dir}/up-${label}`,
    { timeoutMs: 120_000 },
  );
  const upLog = Deno.readTextFileSync(`${dir}/log-up`);
  assertEquals(up.code, 0, `up: ${up.err} ${upLog.slice(-2000)}`);
  return [kexCount(downLog), kexCount(upLog)];
}

Deno.test("100 MiB down and up, byte-exact", async () => {
  const sshd = await startSshd();
  const dir = Deno.makeTempDirSync({ prefix: "sshmux-bulk-" });
  try {
    const file = `${dir}/random`;
    const mk = await sh(`head -c ${100 * 1024 * 1024} /dev/urandom > ${file}`);
    assertEquals(mk.code, 0, mk.err);
    await transferBothWays(sshd.config, file, dir, "100m");
  } finally {
    Deno.removeSync(dir, { recursive: true });
    await sshd.stop();
  }
});

Deno.test("server rekeys every 1 MiB during a 20 MiB transfer", async () => {
  const sshd = await startSshd({ sshdConfig: ["RekeyLimit 1M"] });
  const dir = Deno.makeTempDirSync({ prefix: "sshmux-rekey-" });
  try {
    const file = `${dir}/random`;
    const mk = await sh(`head -c ${20 * 1024 * 1024} /dev/urandom > ${file}`);
    assertEquals(mk.code, 0, mk.err);
    const [down, up] = await transferBothWays(sshd.config, file, dir, "rekey");
    // 20 MiB at a 1 MiB limit: the server must have re-keyed several times each way.
    assert(down >= 5 && up >= 5, `key exchanges: down ${down}, up ${up}`);
  } finally {
    Deno.removeSync(dir, { recursive: true });
    await sshd.stop();
  }
});

Deno.test("a stalled local reader stops the server: memory stays bounded", async () => {
  const sshd = await startSshd();
  const total = 300_000_000;
  const pidFile = `${sshd.dir}/mux.pid`;
  const goFile = `${sshd.dir}/go`;
  // The reader waits for our go: the pipe fills, the channel window closes, sshd must wait.
  const script = `bash -c 'echo $$ > ${pidFile}; exec ${sshmuxPath()} -F ${sshd.config} x ` +
    `"head -c ${total} /dev/zero"' | (while [ ! -e ${goFile} ]; do sleep 0.05; done; wc -c)`;
  const child = new Deno.Command("bash", { args: ["-c", script], stdout: "piped", stderr: "piped" })
    .spawn();
  const readProc = (pid: number, file: string, re: RegExp) => {
    try {
      return Number(re.exec(Deno.readTextFileSync(`/proc/${pid}/${file}`))?.[1] ?? 0);
    } catch {
      return 0;
    }
  };
  try {
    let pid = 0;
    await waitFor("sshmux pid", () => {
      try {
        pid = Number(Deno.readTextFileSync(pidFile).trim());
      } catch { /* not yet */ }
      return pid > 0;
    }, 30_000);
    // Until the remote command runs (the session is up), then a moment for the stall to set in.
    await waitFor("remote head running", async () => {
      return (await sh(`pgrep -f '^head -c ${total} /dev/zero$'`)).code === 0;
    }, 30_000);
    await new Promise((r) => setTimeout(r, 1000));
    let maxRssKb = 0;
    for (let i = 0; i < 8; i++) {
      await new Promise((r) => setTimeout(r, 200));
      maxRssKb = Math.max(maxRssKb, readProc(pid, "status", /VmRSS:\s+(\d+) kB/));
    }
    Deno.writeTextFileSync(goFile, "");
    const res = await child.output();
    assertEquals(res.code, 0, new TextDecoder().decode(res.stderr));
    assertEquals(Number(new TextDecoder().decode(res.stdout).trim()), total);
    // 300 MB were pending; with flow control we hold about one window (2 MiB) plus the runtime.
    assert(maxRssKb > 0 && maxRssKb < 120_000, `RSS ${maxRssKb} kB while stalled`);
  } finally {
    try {
      child.kill("SIGKILL");
    } catch { /* exited */ }
    await child.status;
    await sshd.stop();
  }
});
