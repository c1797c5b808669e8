// sshmux as the master (`sshmux -M -N -S ctl`) against a throwaway sshd, started the way a user
// would and waited for with the stock `ssh -O check` in a loop.

import { run, sshmuxPath, waitFor } from "./run.ts";
import type { Sshd } from "./sshd.ts";

export interface SshmuxMaster {
  ctl: string;
  child: Deno.ChildProcess;
  pid: number;
  /** stderr of the master so far (its log). */
  log(): string;
  /** Resolves with the master's exit status. */
  status: Promise<Deno.CommandStatus>;
  stop(): Promise<void>;
}

export interface SshmuxMasterOptions {
  args?: string[];
  env?: Record<string, string>;
  ctl?: string;
}

export async function startSshmuxMaster(
  sshd: Sshd,
  o: SshmuxMasterOptions = {},
): Promise<SshmuxMaster> {
  const ctl = o.ctl ?? `${sshd.dir}/m-${Math.random().toString(36).slice(2, 8)}`;
  const child = new Deno.Command(sshmuxPath(), {
    args: [
      "-F",
      sshd.config,
      "-M",
      "-N",
      "-S",
      ctl,
      "-o",
      "SendEnv=_XXX_TEST",
      ...o.args ?? [],
      "x",
    ],
    stdin: "null",
    stdout: "null",
    stderr: "piped",
    env: o.env,
  }).spawn();
  let err = "";
  const dec = new TextDecoder();
  const reading = (async () => {
    for await (const chunk of child.stderr) err += dec.decode(chunk);
  })();
  let exited = false;
  const status = child.status.then((s) => {
    exited = true;
    return s;
  });
  await waitFor("sshmux master ready", async () => {
    if (exited) throw new Error(`sshmux master exited early: ${err}`);
    const r = await run("ssh", ["-F", sshd.config, "-S", ctl, "-O", "check", "x"]);
    return r.code === 0;
  }, 30_000);
  return {
    ctl,
    child,
    pid: child.pid,
    log: () => err,
    status,
    async stop() {
      if (!exited) {
        await run("ssh", ["-F", sshd.config, "-S", ctl, "-O", "exit", "x"]).catch(() => {});
        const t = setTimeout(() => {
          try {
            child.kill("SIGKILL");
          } catch { /* gone */ }
        }, 5000);
        await status;
        clearTimeout(t);
      }
      await reading;
    },
  };
}
