// Small process-level calls: pipes, /dev/null, unlink, setsid, getuid.
import { abi } from "./abi/mod.ts";
import { lastError } from "./errors.ts";
import { setCloexec } from "./fd_flags.ts";
import { cstr, fcntl, libc } from "./libc.ts";
import { liveFd, RawFd } from "./raw_fd.ts";

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
