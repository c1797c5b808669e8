// The reactor: waits for fds to become readable or writable without blocking the JS thread.
// One wait call is kept in flight on Deno's blocking pool for all fds at once; reads and writes
// themselves stay synchronous non-blocking calls on the JS thread. Why this shape (deno-ffi.md
// §3): a blocked FFI call per fd would exhaust Deno's 32-thread pool, and a blocked read cannot
// be cancelled. When nobody waits, nothing is in flight, so the process can exit.
//
// Two backends with the same behaviour: poll(2) (reactor_poll.ts), the default, and epoll on
// Linux (reactor_epoll.ts: waiters come and go without interrupting the wait), which a master
// asks for (preferEpollReactor). SSHMUX_REACTOR=poll or =epoll forces one for the process, to
// compare the two, to rule epoll out, or to test either.
import { abi } from "./abi/mod.ts";
import { sysErrorNamed } from "./errors.ts";
import * as epoll from "./reactor_epoll.ts";
import * as poll from "./reactor_poll.ts";
import { onRawFdClose, type RawFd } from "./raw_fd.ts";

const C = abi.const;
export const POLLIN: number = C.POLLIN;
export const POLLOUT: number = C.POLLOUT;
export const POLLERR: number = C.POLLERR;
export const POLLHUP: number = C.POLLHUP;
export const POLLNVAL: number = C.POLLNVAL;

/** SSHMUX_REACTOR: "poll" or "epoll" forces that backend (where it exists) for the process. */
function forced(): string | undefined {
  try {
    return Deno.env.get("SSHMUX_REACTOR");
  } catch {
    return undefined; // no env access: the default
  }
}

let backend: typeof poll = abi.epollEvent && forced() === "epoll" ? epoll : poll;
onRawFdClose((handle, num) => backend.cancel(handle, num));

/**
 * Switches this process to epoll where it exists (unless SSHMUX_REACTOR=poll). For a master:
 * many fds come and go over its life, and epoll takes each without interrupting the wait in
 * flight. Short-lived processes (a mux client, plain mode) keep poll: epoll's two more symbols
 * cost a mux client ~5% of its start-up instructions (callgrind), more than it could save.
 * Only before the first wait; later it changes nothing.
 */
export function preferEpollReactor(): void {
  if (!abi.epollEvent || backend === epoll || forced() === "poll") return;
  if (poll.pendingWaits() > 0 || poll.reactorStats().polls > 0) return;
  backend = epoll;
}

/** "epoll" or "poll": the backend in use (tests, diagnostics). */
export function reactorBackend(): "epoll" | "poll" {
  return backend === epoll ? "epoll" : "poll";
}

/**
 * Waits until `fd` is ready for `events` (POLLIN/POLLOUT); resolves with the revents.
 * POLLERR/POLLHUP also resolve it. If the RawFd is closed meanwhile, resolves with POLLNVAL
 * (callers check `fd.closed`). Rejects at once with EBADF for an already closed fd.
 */
export function waitFd(fd: RawFd, events: number): Promise<number> {
  return backend.waitFd(fd, events);
}

/**
 * Resolves once nothing is in flight or scheduled. Tests await it after closing their fds so
 * Deno's op sanitizer sees no pending FFI call. Throws EBUSY while a wait is still pending.
 */
export async function reactorIdle(): Promise<void> {
  for (let i = 0; i < 1000; i++) {
    const pending = backend.pendingWaits();
    if (pending > 0) {
      // Something still waits (a read nobody cancelled): the wait would never end.
      throw sysErrorNamed("reactorIdle", "EBUSY", `${pending} wait(s) still pending`);
    }
    const busy = backend.inFlight();
    if (busy === null) return;
    await (busy === "scheduled" ? new Promise((r) => setTimeout(r, 1)) : busy);
  }
  throw sysErrorNamed("reactorIdle", "EBUSY", "reactor never went idle");
}

/** Number of pending waits (tests and diagnostics). */
export function pendingWaits(): number {
  return backend.pendingWaits();
}

/** Counters since start: waits submitted, waits that returned -1 (EINTR ...), wake-ups sent. */
export function reactorStats(): { polls: number; failed: number; wakes: number } {
  return backend.reactorStats();
}
