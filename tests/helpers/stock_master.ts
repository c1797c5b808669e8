// A stock OpenSSH master (`ssh -M -N -S ctl`) against a throwaway sshd, for testing our client
// against the real thing. Waits with `ssh -O check` in a loop, never a fixed sleep.

import { run, waitFor } from "./run.ts";
import type { Sshd } from "./sshd.ts";

export interface StockMaster {
  ctl: string;
  child: Deno.ChildProcess;
  pid: number;
  stop(): Promise<void>;
}

export async function startStockMaster(sshd: Sshd, extraArgs: string[] = []): Promise<StockMaster> {
  const ctl = `${sshd.dir}/ctl-${Math.random().toString(36).slice(2, 8)}`;
  const child = new Deno.Command("ssh", {
    args: [
      "-F",
      sshd.config,
      "-M",
      "-N",
      "-n",
      "-S",
      ctl,
      "-o",
      "SendEnv=_XXX_TEST",
      ...extraArgs,
      "x",
    ],
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  let exited = false;
  const status = child.status.then((s) => {
    exited = true;
    return s;
  });
  await waitFor("stock master ready", async () => {
    if (exited) throw new Error("stock master exited early");
    const r = await run("ssh", ["-F", sshd.config, "-S", ctl, "-O", "check", "x"]);
    return r.code === 0;
  });
  return {
    ctl,
    child,
    pid: child.pid,
    async stop() {
      if (!exited) {
        await run("ssh", ["-F", sshd.config, "-S", ctl, "-O", "exit", "x"]).catch(() => {});
        const t = setTimeout(() => {
          try {
            child.kill("SIGKILL");
          } catch { /* gone */ }
        }, 3000);
        await status;
        clearTimeout(t);
      }
      await child.stderr.cancel().catch(() => {});
    },
  };
}
