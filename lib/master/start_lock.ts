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

/**
 * A lock file with no pid in it yet: written by an older sshmux (create, then write), or
 * garbage. It counts as held while younger than this, as a writer may be between the two.
 */
const UNWRITTEN_LOCK_GRACE_MS = 10_000;

/** Takes the lock, or returns null while a live process holds it. */
export function tryStartLock(controlPath: string): StartLock | null {
  const path = startLockPath(controlPath);
  for (let attempt = 0; attempt < 3; attempt++) {
    let created: boolean;
    try {
      created = createLockFile(path);
    } catch (e) {
      // No lock possible here (read-only directory ...): start without one, like ssh.
      log.debug(`start lock ${path}: ${e instanceof Error ? e.message : e}`);
      return { release() {} };
    }
    if (created) return heldLock(path);
    const holder = lockHolder(path);
    if (holder === "absent") continue;
    if (holder === "unwritten" || processExists(holder)) return null;
    log.debug(`start lock ${path}: holder ${holder} is gone, taking it over`);
    return takeOverStaleLock(path, holder) ? heldLock(path) : null;
  }
  return null;
}

/**
 * Creates the lock file with our pid already in it: written under a name of our own, then
 * hard-linked to the lock's name, which fails if the lock exists. A reader never sees the
 * file empty (with create-then-write, a second invocation once read the empty file, judged
 * the lock stale, took it over, and both connected). Where hard links are impossible, falls
 * back to create-then-write. Returns false when the lock exists; throws when none is possible.
 */
function createLockFile(path: string): boolean {
  const pidText = new TextEncoder().encode(`${Deno.pid}\n`);
  const own = `${path}.${Deno.pid}`;
  Deno.writeFileSync(own, pidText, { mode: 0o600 });
  try {
    Deno.linkSync(own, path);
    return true;
  } catch (e) {
    if (e instanceof Deno.errors.AlreadyExists) return false;
    log.debug(`start lock ${path}: no hard link (${e instanceof Error ? e.message : e})`);
  } finally {
    removeQuietly(own);
  }
  try {
    Deno.writeFileSync(path, pidText, { createNew: true, mode: 0o600 });
    return true;
  } catch (e) {
    if (e instanceof Deno.errors.AlreadyExists) return false;
    throw e;
  }
}

function heldLock(path: string): StartLock {
  let released = false;
  return {
    release() {
      if (released) return;
      released = true;
      removeQuietly(path);
    },
  };
}

/**
 * Replaces the lock of dead holder `stalePid` with ours. Removing it and creating ours are two
 * steps: two invocations doing them at once could each remove the other's fresh lock, so the
 * takeover itself is guarded by a second lock file, and the stale lock is removed only when it
 * still names `stalePid` under that guard. A guard left by a process that died mid-takeover is
 * removed once old. False when another invocation is taking over or won the lock.
 */
function takeOverStaleLock(path: string, stalePid: number): boolean {
  const guard = `${path}.takeover`;
  try {
    if (!createLockFile(guard)) {
      if ((lockAgeMs(guard) ?? 0) > UNWRITTEN_LOCK_GRACE_MS) removeQuietly(guard);
      return false;
    }
  } catch {
    return false;
  }
  try {
    if (lockHolder(path) === stalePid) removeQuietly(path);
    return createLockFile(path);
  } catch {
    return false;
  } finally {
    removeQuietly(guard);
  }
}

/** How long ago `path` was written; undefined when it does not exist. */
function lockAgeMs(path: string): number | undefined {
  try {
    const mtime = Deno.statSync(path).mtime;
    return mtime ? Date.now() - mtime.getTime() : Infinity;
  } catch {
    return undefined;
  }
}

function removeQuietly(path: string): void {
  try {
    Deno.removeSync(path);
  } catch { /* already gone */ }
}

/** The pid in a lock file; "unwritten" for a young file with none; "absent" when missing. */
function lockHolder(path: string): number | "unwritten" | "absent" {
  let text: string;
  try {
    text = Deno.readTextFileSync(path);
  } catch {
    return "absent";
  }
  const pid = Number(text.trim());
  if (text.trim() !== "" && Number.isInteger(pid) && pid > 0) return pid;
  // Garbage older than the grace period holds nothing; pid 0 never exists.
  return (lockAgeMs(path) ?? Infinity) < UNWRITTEN_LOCK_GRACE_MS ? "unwritten" : 0;
}

/** Whether a live process holds the lock now (or one is writing it or taking it over). */
export function startLockHeld(controlPath: string): boolean {
  const path = startLockPath(controlPath);
  const holder = lockHolder(path);
  if (holder === "unwritten" || (holder !== "absent" && processExists(holder))) return true;
  // A takeover in progress; a guard its taker left behind stops counting once old.
  const guardAge = lockAgeMs(`${path}.takeover`);
  return guardAge !== undefined && guardAge < UNWRITTEN_LOCK_GRACE_MS;
}
