// ssh -f: "go to background just before command execution". ssh forks once authenticated (and
// its forwards are set up); a Deno process cannot fork, so the foreground sshmux runs itself
// again as a child with the same arguments and waits. The child does the connecting,
// authenticating (prompting on the tty like ssh before its fork) and forwarding, then tells
// the parent it is ready (SIGUSR1) and leaves the terminal's session (setsid), as ssh's
// daemon() does. The parent then exits 0; if the child ends first, the parent exits with the
// child's status (its errors went to the same stderr).

import { setsid } from "../ffi/mod.ts";
import { inheritedIgnored, listenForSignal } from "./inherited_signals.ts";
import { log } from "./log.ts";
import { selfExecutable } from "./self_exec.ts";

/** Set in the child: the pid of the foreground sshmux waiting for it. */
const PARENT_ENV = "SSHMUX_FORK_PARENT";

/** Set in the ControlPersist master a client starts (ssh's control_persist_detach). */
const PERSIST_ENV = "SSHMUX_PERSIST_MASTER";

/**
 * Exit status of a ControlPersist master that could not take the ControlPath because another
 * master got there first: the client that started it then uses that one.
 */
export const MASTER_LOST_RACE = 254;

/**
 * What our parent told us through the environment, read once and removed at start-up: programs
 * we start ourselves (ProxyCommand, ProxyJump hops, which may be sshmux again) must not
 * believe they are the background copy and signal our parent.
 */
const inherited = takeInherited();

function takeInherited(): { parent?: number; persist: boolean } {
  try {
    const parent = Number(Deno.env.get(PARENT_ENV)) || undefined;
    const persist = Deno.env.get(PERSIST_ENV) !== undefined;
    Deno.env.delete(PARENT_ENV);
    Deno.env.delete(PERSIST_ENV);
    return { parent, persist };
  } catch {
    return { persist: false }; // no --allow-env (tests): nothing was passed
  }
}

/** True in the ControlPersist master started by startPersistentMaster. */
export function isPersistMasterChild(): boolean {
  return inherited.persist;
}

/**
 * ControlPersist: starts the master as a background copy of us (same arguments) and resolves
 * "ready" once it listens, or with its exit status if it ended first.
 */
export function startPersistentMaster(args: string[]): Promise<"ready" | number> {
  return startInBackground(args, { [PERSIST_ENV]: "1" });
}

/** True in the child a `-f` parent started: it must not go to the background again. */
export function isBackgroundChild(): boolean {
  return inherited.parent !== undefined;
}

/**
 * The foreground half of -f: starts the background sshmux with `args` and resolves with the
 * exit status for this process once it is ready (0) or has ended (its status).
 */
export async function runInBackground(args: string[]): Promise<number> {
  const r = await startInBackground(args, {});
  return r === "ready" ? 0 : r;
}

async function startInBackground(
  args: string[],
  extraEnv: Record<string, string>,
): Promise<"ready" | number> {
  let onReady!: () => void;
  const ready = new Promise<"ready">((res) => onReady = () => res("ready"));
  // Installed before the child exists: SIGUSR1's default action would end this process.
  listenForSignal("SIGUSR1", onReady);
  const passed: [Deno.Signal, () => void][] = [];
  try {
    const child = new Deno.Command(selfExecutable(), {
      args,
      // -f implies -n: the background sshmux never reads the terminal as its stdin.
      stdin: "null",
      stdout: "inherit",
      stderr: "inherit",
      env: { ...extraEnv, [PARENT_ENV]: String(Deno.pid) },
    }).spawn();
    // ^C, a hangup or a kill before the child is ready go to the child, and this process
    // ends with its status (255), as ssh does when they come before its fork.
    for (const sig of ["SIGINT", "SIGHUP", "SIGTERM"] as const) {
      if (inheritedIgnored(sig)) continue; // ignored here, so not this process's to pass on
      const pass = () => {
        try {
          child.kill(sig);
        } catch { /* already gone */ }
      };
      listenForSignal(sig, pass);
      passed.push([sig, pass]);
    }
    const first = await Promise.race([ready, child.status]);
    if (first === "ready") {
      child.unref();
      return "ready";
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
  const parent = inherited.parent;
  if (!parent) return;
  inherited.parent = undefined;
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
