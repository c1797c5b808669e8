// The reactor where there is no epoll (macOS; SSHMUX_REACTOR=poll elsewhere): one poll(2) kept
// in flight on Deno's blocking pool (declared nonblocking), plus a wake fd (eventfd on Linux, a
// pipe on macOS) that interrupts it when the set of waiters changes. Reads and writes themselves stay synchronous non-blocking calls on the JS thread.
//
// Why this shape (deno-ffi.md §3): a blocked FFI call per fd would exhaust Deno's 32-thread
// pool, and a blocked read cannot be cancelled. When nobody waits, no poll is in flight, so the
// process can exit. -1 from the async poll means "poll again": its errno belongs to a pool thread.
import { abi } from "./abi/mod.ts";
import { lastError } from "./errors.ts";
import { setCloexec, setNonblocking } from "./fd_flags.ts";
import { libc, offHeap } from "./libc.ts";
import { liveFd, type RawFd } from "./raw_fd.ts";
import { WaitCalls, WaiterTable } from "./reactor_waiters.ts";

const C = abi.const;
const POLLIN: number = C.POLLIN;
const POLLERR: number = C.POLLERR;
const POLLHUP: number = C.POLLHUP;
const POLLNVAL: number = C.POLLNVAL;
/** Conditions poll reports whatever was asked: the caller's next call will see the real error. */
const ALWAYS = POLLERR | POLLHUP | POLLNVAL;

const waiters = new WaiterTable();
/** What the in-flight poll watches (fd → events), or null when none is in flight. */
let inflight: Map<number, number> | null = null;
/** The in-flight poll's struct pollfd array. */
let pollfds: DataView | null = null;
/** fd numbers closed while the in-flight poll watched them: its results for them are stale. */
const stale = new Set<number>();
const calls = new WaitCalls(startPoll, finish, () => waiters.fds > 0);
const stats = calls.stats;

let wakeRead = -1;
let wakeWrite = -1;
const wakeBuf = offHeap(8);

function ensureWakeFd(): void {
  if (wakeRead >= 0) return;
  const lib = libc();
  if (abi.hasEventfd) {
    const fd = lib.eventfd!(0, C.EFD_CLOEXEC | C.EFD_NONBLOCK);
    if (fd < 0) throw lastError("eventfd");
    wakeRead = wakeWrite = fd;
    return;
  }
  const sv = new Int32Array(2);
  if (lib.pipe!(sv) < 0) throw lastError("pipe");
  // The pipe ends must not block and must not leak into children.
  for (const fd of sv) {
    setNonblocking(fd);
    setCloexec(fd);
  }
  wakeRead = sv[0];
  wakeWrite = sv[1];
}

/** Interrupts the in-flight poll so it picks up the new set of waiters. */
function wake(): void {
  stats.wakes++;
  if (abi.hasEventfd) new DataView(wakeBuf.buffer).setBigUint64(0, 1n, true);
  else wakeBuf[0] = 1;
  // EAGAIN means a wakeup is already pending, which is just as good.
  libc().write(wakeWrite, wakeBuf, abi.hasEventfd ? 8 : 1);
}

function drainWake(): void {
  const lib = libc();
  while (Number(lib.read(wakeRead, wakeBuf, 8)) > 0) {
    if (abi.hasEventfd) break; // one read resets an eventfd counter
  }
}

function startPoll(): Promise<number> | null {
  try {
    ensureWakeFd();
  } catch (e) {
    // No wake fd (EMFILE ...): nobody can be woken reliably, so fail every waiter now.
    waiters.settleAll("all", { error: e });
    return null;
  }
  const watch = new Map(waiters.watched());
  // struct pollfd { int fd; short events; short revents; } — 8 bytes on every target.
  const buf = offHeap(8 * (watch.size + 1));
  const view = new DataView(buf.buffer);
  view.setInt32(0, wakeRead, true);
  view.setInt16(4, POLLIN, true);
  let i = 1;
  for (const [fd, ev] of watch) {
    view.setInt32(8 * i, fd, true);
    view.setInt16(8 * i + 4, ev, true);
    i++;
  }
  inflight = watch;
  pollfds = view;
  stale.clear();
  return libc().poll_async(buf, watch.size + 1, -1);
}

function finish(r: number): void {
  const view = pollfds!;
  const count = inflight!.size + 1;
  inflight = null;
  pollfds = null;
  if (r >= 0) {
    if (view.getInt16(6, true) !== 0) drainWake();
    for (let i = 1; i < count; i++) {
      const revents = view.getInt16(8 * i + 6, true) & 0xffff;
      if (revents === 0) continue;
      const fd = view.getInt32(8 * i, true);
      if (!stale.has(fd)) waiters.ready(fd, revents, ALWAYS);
    }
  }
  stale.clear();
}

/** See reactor.ts. */
export function waitFd(fd: RawFd, events: number): Promise<number> {
  let num: number;
  try {
    num = liveFd(fd, "waitFd");
  } catch (e) {
    return Promise.reject(e);
  }
  if (events === 0) return Promise.reject(new RangeError("waitFd needs POLLIN and/or POLLOUT"));
  const done = waiters.add(num, fd, events);
  if (inflight) {
    const watched = inflight.get(num);
    const covered = watched !== undefined && (watched & events) === events && !stale.has(num);
    if (!covered) wake();
  } else {
    calls.schedule();
  }
  return done;
}

/** Settles (with POLLNVAL) every wait registered through `handle`; called when it closes. */
export function cancel(handle: RawFd, num: number): void {
  waiters.settleHandle(num, handle, POLLNVAL);
  if (inflight?.has(num)) {
    if (handle.owned) stale.add(num);
    // Also releases the kernel's reference the in-flight poll holds on the file, so a peer
    // waiting for EOF on it sees it promptly.
    wake();
  }
}

/** The poll in flight, "scheduled" when one is about to start, or null (reactor.ts). */
export function inFlight(): Promise<void> | "scheduled" | null {
  return calls.state();
}

/** Number of pending waits (tests and diagnostics). */
export function pendingWaits(): number {
  return waiters.count();
}

export function reactorStats(): { polls: number; failed: number; wakes: number } {
  return { ...stats };
}
