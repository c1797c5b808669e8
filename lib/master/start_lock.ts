// Single-flight master start (ControlMaster auto/autoask): when several invocations find no
// master at once, OpenSSH lets each of them connect and race for the socket, so a burst of N
// commands opens up to N SSH connections. Here the first one takes a lock file beside the
// ControlPath (created with O_EXCL, holding its pid) and starts the master; the others wait for
// that master's socket and use it. A lock whose pid is gone is stale and taken over.

import { processExists } from "../../ffi/mod.ts";
import { log } from "../log.ts";

/** The lock's name: never one of OpenSSH's temporary names (path + "." + 16 characters). */
export function startLockPath(controlPath: string): string {
  return `${controlPath}.sshmux-start`;
}

export interface StartLock {
  /** Removes the lock (idempotent): the master listens, or starting it failed. */
  release(): void;
}

/** Takes the lock, or returns null while a live process holds it. */
export function tryStartLock(controlPath: string): StartLock | null {
  const path = startLockPath(controlPath);
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const f = Deno.openSync(path, { write: true, createNew: true, mode: 0o600 });
      try {
        f.writeSync(new TextEncoder().encode(`${Deno.pid}\n`));
      } finally {
        f.close();
      }
      let released = false;
      return {
        release() {
          if (released) return;
          released = true;
          try {
            Deno.removeSync(path);
          } catch { /* already gone */ }
        },
      };
    } catch (e) {
      if (!(e instanceof Deno.errors.AlreadyExists)) {
        // No lock possible here (read-only directory ...): start without one, like ssh.
        log.debug(`start lock ${path}: ${e instanceof Error ? e.message : e}`);
        return { release() {} };
      }
    }
    const holder = lockHolder(path);
    if (holder !== undefined && processExists(holder)) return null;
    log.debug(`start lock ${path}: holder ${holder ?? "?"} is gone, taking it over`);
    try {
      Deno.removeSync(path);
    } catch { /* someone else took it over first */ }
  }
  return null;
}

function lockHolder(path: string): number | undefined {
  try {
    const pid = Number(Deno.readTextFileSync(path).trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Whether a live process holds the lock now. */
export function startLockHeld(controlPath: string): boolean {
  const holder = lockHolder(startLockPath(controlPath));
  return holder !== undefined && processExists(holder);
}
