// Small process-level calls: pipes, /dev/null, unlink, setsid, getuid.
import { abi } from "./abi/mod.ts";
import { lastError } from "./errors.ts";
import { getStatusFlags, setCloexec } from "./fd_flags.ts";
import { cstr, fcntl, libc } from "./libc.ts";
import { liveFd, RawFd } from "./raw_fd.ts";
import { fileIdentity } from "./shared_flags.ts";

const C = abi.const;

/** Adopts two fd numbers from an int[2] filled by pipe()/socketpair(). */
export function adoptPair(sv: Int32Array): [RawFd, RawFd] {
  return [RawFd.adopt(sv[0]), RawFd.adopt(sv[1])];
}

/** pipe2(O_CLOEXEC) (macOS: pipe + FD_CLOEXEC). Returns [readEnd, writeEnd]. */
export function pipe(): [RawFd, RawFd] {
  const sv = new Int32Array(2);
  const lib = libc();
  if (abi.hasAtomicCloexec) {
    if (lib.pipe2!(sv, C.O_CLOEXEC) < 0) throw lastError("pipe2");
    return adoptPair(sv);
  }
  if (lib.pipe!(sv) < 0) throw lastError("pipe");
  const pair = adoptPair(sv);
  try {
    setCloexec(sv[0]);
    setCloexec(sv[1]);
  } catch (e) {
    pair[0].close();
    pair[1].close();
    throw e;
  }
  return pair;
}

/** Opens /dev/null for reading or writing (close-on-exec). */
export function openDevNull(write: boolean): RawFd {
  const flags = (write ? C.O_WRONLY : C.O_RDONLY) | C.O_CLOEXEC;
  const fd = libc().open(cstr("/dev/null"), flags);
  if (fd < 0) throw lastError("open /dev/null");
  return RawFd.adopt(fd);
}

/** Opens `path` read-only, close-on-exec (a directory too, like a shell's `exec 3<dir`). */
export function openReadOnly(path: string): RawFd {
  const fd = libc().open(cstr(path), C.O_RDONLY | C.O_CLOEXEC);
  if (fd < 0) throw lastError(`open ${path}`);
  return RawFd.adopt(fd);
}

/** unlink(2); lets a master remove its ControlPath without --allow-write. */
export function unlinkPath(path: string): void {
  if (libc().unlink(cstr(path)) < 0) throw lastError(`unlink ${path}`);
}

/** setsid(2): detach from the controlling terminal (background masters). Returns the new sid. */
export function setsid(): number {
  const r = libc().setsid();
  if (r < 0) throw lastError("setsid");
  return r;
}

/**
 * Whether process `pid` exists (kill(pid, 0); EPERM means it exists but is not ours). Deno's
 * own kill() has no signal 0.
 */
export function processExists(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  if (libc().kill(pid, 0) === 0) return true;
  return lastError("kill").code === "EPERM";
}

/**
 * Whether signal number `signo` is ignored (SIG_IGN) in this process now: sigaction with no
 * new action reads the current one. Asked before any listener is added, it tells what the
 * parent left us (nohup ignores SIGHUP; a non-interactive shell's `cmd &` ignores SIGINT and
 * SIGQUIT).
 */
export function signalIgnored(signo: number): boolean {
  // struct sigaction begins with the handler on Linux and macOS; 256 bytes hold all of it.
  const act = new BigUint64Array(32);
  if (libc().sigaction(signo, null, act) < 0) throw lastError("sigaction");
  const SIG_IGN = 1n;
  return act[0] === SIG_IGN;
}

/** The real uid (no --allow-sys needed, unlike Deno.uid()). */
export function getuid(): number {
  return libc().getuid();
}

/**
 * Opens the controlling terminal (/dev/tty) read-write, close-on-exec, for prompts that must not
 * go through stdin/stdout (ssh's read_passphrase). Done here rather than with Deno.open, which
 * only allows /dev/tty under --allow-all. null when the process has no controlling terminal.
 */
export function openTty(path = "/dev/tty"): RawFd | null {
  const fd = libc().open(cstr(path), C.O_RDWR | C.O_NOCTTY | C.O_CLOEXEC);
  if (fd < 0) {
    const err = lastError(`open ${path}`);
    if (err.code === "ENXIO" || err.code === "ENOENT" || err.code === "EACCES") return null;
    throw err;
  }
  return RawFd.adopt(fd);
}

/** A second, close-on-exec descriptor for the same open file (F_DUPFD_CLOEXEC). */
export function dupFd(fd: RawFd): RawFd {
  const r = fcntl(liveFd(fd, "dup"), C.F_DUPFD_CLOEXEC, 0);
  if (r < 0) throw lastError("fcntl(F_DUPFD_CLOEXEC)");
  return RawFd.adopt(r);
}

export type AccessMode = "read" | "write" | "readwrite" | "path";

/** How the open file behind `fd` may be used (F_GETFL's access mode; "path" = Linux O_PATH). */
export function accessMode(fd: RawFd): AccessMode {
  const flags = getStatusFlags(liveFd(fd, "accessMode"));
  if (C.O_PATH && (flags & C.O_PATH)) return "path";
  switch (flags & C.O_ACCMODE) {
    case C.O_RDONLY:
      return "read";
    case C.O_WRONLY:
      return "write";
    default:
      return "readwrite";
  }
}

/**
 * Points fds 0 and 1 (and 2 when `stderrToo`) at /dev/null, as ssh does when a master goes to
 * the background: whoever started it (a `$(...)`, a pipe) must not wait for our copies of its
 * stdio. Deno keeps private duplicates of the stdio fds; those get /dev/null too (dup2 over
 * them, never close: the runtime still owns the numbers).
 */
export function redirectStdioToDevNull(stderrToo: boolean): void {
  const lib = libc();
  const targets = stderrToo ? [0, 1, 2] : [0, 1];
  const wanted = new Set<string>();
  for (const t of targets) {
    try {
      wanted.add(fileIdentity(t));
    } catch { /* closed: nothing to hide */ }
  }
  const copies = openFds().filter((fd) => {
    if (fd <= 2) return false;
    try {
      return wanted.has(fileIdentity(fd));
    } catch {
      return false;
    }
  });
  const fd = lib.open(cstr("/dev/null"), C.O_RDWR | C.O_CLOEXEC);
  if (fd < 0) throw lastError("open /dev/null");
  try {
    for (const target of [...targets, ...copies]) {
      if (target === fd) continue;
      if (lib.dup2(fd, target) < 0) throw lastError(`dup2 /dev/null -> ${target}`);
    }
  } finally {
    if (fd > 2) lib.close(fd);
  }
}

/**
 * The fd numbers open in this process up to `limit`, probed with fcntl(F_GETFD): Deno refuses
 * to read /proc/self/fd without --allow-all, and the runtime's own fds are low numbers.
 */
function openFds(limit = 1024): number[] {
  const out: number[] = [];
  for (let fd = 0; fd < limit; fd++) if (fcntl(fd, C.F_GETFD) >= 0) out.push(fd);
  return out;
}
