// fcntl helpers: file-status flags (O_NONBLOCK) and the close-on-exec descriptor flag.
import { abi } from "./abi/mod.ts";
import { lastError } from "./errors.ts";
import { fcntl } from "./libc.ts";

const C = abi.const;

/** F_GETFL: the open file description's status flags (shared with every process holding it). */
export function getStatusFlags(fd: number): number {
  const r = fcntl(fd, C.F_GETFL);
  if (r < 0) throw lastError("fcntl(F_GETFL)");
  return r;
}

/** F_SETFL. */
export function setStatusFlags(fd: number, flags: number): void {
  if (fcntl(fd, C.F_SETFL, flags) < 0) throw lastError("fcntl(F_SETFL)");
}

/** Turns O_NONBLOCK on; returns the flags as they were before. */
export function setNonblocking(fd: number): number {
  const old = getStatusFlags(fd);
  if (!(old & C.O_NONBLOCK)) setStatusFlags(fd, old | C.O_NONBLOCK);
  return old;
}

/** Marks an fd close-on-exec, so children spawned by Deno.Command never inherit it. */
export function setCloexec(fd: number): void {
  const old = fcntl(fd, C.F_GETFD);
  if (old < 0) throw lastError("fcntl(F_GETFD)");
  if (old & C.FD_CLOEXEC) return;
  if (fcntl(fd, C.F_SETFD, old | C.FD_CLOEXEC) < 0) throw lastError("fcntl(F_SETFD)");
}

/** Whether FD_CLOEXEC is set (tests). */
export function isCloexec(fd: number): boolean {
  const r = fcntl(fd, C.F_GETFD);
  if (r < 0) throw lastError("fcntl(F_GETFD)");
  return (r & C.FD_CLOEXEC) !== 0;
}
