// ssh -f: "go to background just before command execution". ssh forks once authenticated (and
// its forwards are set up); a Deno process cannot fork, so the foreground sshmux runs itself
// again as a child with the same arguments and waits. The child does the connecting,
// authenticating (prompting on the tty like ssh before its fork) and forwarding, then tells
// the parent it is ready (SIGUSR1) and leaves the terminal's session (setsid), as ssh's
// daemon() does. The parent then exits 0; if the child ends first, the parent exits with the
// child's status (its errors went to the same stderr).

import { setsid } from "../ffi/mod.ts";
import { log } from "./log.ts";
import { selfExecutable } from "./self_exec.ts";

/** Set in the child: the pid of the foreground sshmux waiting for it. */
const PARENT_ENV = "SSHMUX_FORK_PARENT";

/** True in the child a `-f` parent started: it must not go to the background again. */
export function isBackgroundChild(): boolean {
  return Deno.env.get(PARENT_ENV) !== undefined;
}

/**
 * The foreground half of -f: starts the background sshmux with `args` and resolves with the
 * exit status for this process once it is ready (0) or has ended (its status).
 */
export async function runInBackground(args: string[]): Promise<number> {
  let onReady!: () => void;
  const ready = new Promise<"ready">((res) => onReady = () => res("ready"));
  // Installed before the child exists: SIGUSR1's default action would end this process.
  Deno.addSignalListener("SIGUSR1", onReady);
  const passed: [Deno.Signal, () => void][] = [];
  try {
    const child = new Deno.Command(selfExecutable(), {
      args,
      // -f implies -n: the background sshmux never reads the terminal as its stdin.
      stdin: "null",
      stdout: "inherit",
      stderr: "inherit",
      env: { [PARENT_ENV]: String(Deno.pid) },
    }).spawn();
    // ^C, a hangup or a kill before the child is ready go to the child, and this process
    // ends with its status (255), as ssh does when they come before its fork.
    for (const sig of ["SIGINT", "SIGHUP", "SIGTERM"] as const) {
      const pass = () => {
        try {
          child.kill(sig);
        } catch { /* already gone */ }
      };
      Deno.addSignalListener(sig, pass);
      passed.push([sig, pass]);
    }
    const first = await Promise.race([ready, child.status]);
    if (first === "ready") {
      child.unref();
      return 0;
    }
    return first.signal ? 255 : first.code;
  } finally {
    Deno.removeSignalListener("SIGUSR1", onReady);
    for (const [sig, pass] of passed) Deno.removeSignalListener(sig, pass);
  }
}

/**
 * The background half: called where ssh forks (authenticated, forwards set up). Detaches from
 * the terminal's session and releases the waiting parent. A no-op outside a -f child; once.
 */
export function backgroundReady(): void {
  const parent = Number(Deno.env.get(PARENT_ENV));
  if (!parent) return;
  Deno.env.delete(PARENT_ENV);
  try {
    setsid();
  } catch (e) {
    log.debug(`fork: setsid: ${e instanceof Error ? e.message : e}`);
  }
  try {
    Deno.kill(parent, "SIGUSR1");
  } catch (e) {
    log.debug(`fork: parent ${parent} gone: ${e instanceof Error ? e.message : e}`);
  }
}
