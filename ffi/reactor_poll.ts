// The reactor where there is no epoll (macOS; SSHMUX_REACTOR=poll elsewhere): one poll(2) kept
// in flight on Deno's blocking pool (declared nonblocking), plus a wake fd (eventfd on Linux, a
// pipe on macOS) that interrupts it when the set of waiters changes. Reads and writes themselves stay synchronous non-blocking calls on the JS thread.
//
// Why this shape (deno-ffi.md §3): a blocked FFI call per fd would exhaust Deno's 32-thread
// pool, and a blocked read cannot be cancelled. When nobody waits, no poll is in flight, so the
// process can exit. -1 from the async poll means "poll again": its errno belongs to a pool thread.
import { abi } from "./abi/mod.ts";
import { lastError, sysErrorNamed } from "./errors.ts";
import { setCloexec, setNonblocking } from "./fd_flags.ts";
import { libc, offHeap } from "./libc.ts";
import { liveFd, type RawFd } from "./raw_fd.ts";

const C = abi.const;
const POLLIN: number = C.POLLIN;
const POLLERR: number = C.POLLERR;
const POLLHUP: number = C.POLLHUP;
const POLLNVAL: number = C.POLLNVAL;
/** Conditions poll reports whatever was asked: the caller's next call will see the real error. */
const ALWAYS = POLLERR | POLLHUP | POLLNVAL;

interface Waiter {
  handle: RawFd;
  fd: number;
  events: number;
  resolve(revents: number): void;
  reject(err: unknown): void;
}

/** fd number → waiters on it */
const waiters = new Map<number, Set<Waiter>>();
/** What the in-flight poll watches (fd → events), or null when none is in flight. */
let inflight: Map<number, number> | null = null;
let inflightDone: Promise<void> | null = null;
/** fd numbers closed while the in-flight poll watched them: its results for them are stale. */
const stale = new Set<number>();
let submitScheduled = false;
let failures = 0;
const stats = { polls: 0, failed: 0, wakes: 0 };

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

/**
 * Starts the next poll from a microtask: callers woken by the previous poll usually re-register
 * within their first continuation step, which runs before this microtask, so they join the new
 * poll instead of forcing a wake + re-poll. (setTimeout(0) would be clamped to 4 ms once nested,
 * which measured 200 round trips/s instead of 10k.)
 */
function scheduleSubmit(): void {
  if (submitScheduled || inflight) return;
  submitScheduled = true;
  queueMicrotask(submit);
}

function submit(): void {
  submitScheduled = false;
  if (inflight || waiters.size === 0) return;
  try {
    ensureWakeFd();
  } catch (e) {
    // No wake fd (EMFILE ...): nobody can be woken reliably, so fail every waiter now.
    const all = [...waiters.values()].flatMap((set) => [...set]);
    waiters.clear();
    for (const w of all) w.reject(e);
    return;
  }
  const watch = new Map<number, number>();
  for (const [fd, set] of waiters) {
    let ev = 0;
    for (const w of set) ev |= w.events;
    watch.set(fd, ev);
  }
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
  stats.polls++;
  stale.clear();
  const count = watch.size + 1;
  inflightDone = libc().poll_async(buf, count, -1).then(
    (r) => finish(r, view, count),
    () => finish(-1, view, count),
  );
}

function finish(r: number, view: DataView, count: number): void {
  inflight = null;
  inflightDone = null;
  if (r < 0) {
    // EINTR (a signal landed on the pool thread) or a transient failure: poll again, but back
    // off if it keeps failing so a persistent error cannot spin a core.
    failures++;
    stats.failed++;
    if (failures > 10) {
      setTimeout(submit, 10);
      submitScheduled = true;
      return;
    }
  } else {
    failures = 0;
    if (view.getInt16(6, true) !== 0) drainWake();
    for (let i = 1; i < count; i++) {
      const revents = view.getInt16(8 * i + 6, true) & 0xffff;
      if (revents === 0) continue;
      const fd = view.getInt32(8 * i, true);
      if (stale.has(fd)) continue;
      const set = waiters.get(fd);
      if (!set) continue;
      for (const w of set) {
        if (revents & (w.events | ALWAYS)) {
          set.delete(w);
          w.resolve(revents);
        }
      }
      if (set.size === 0) waiters.delete(fd);
    }
  }
  stale.clear();
  if (waiters.size > 0) scheduleSubmit();
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
  return new Promise<number>((resolve, reject) => {
    let set = waiters.get(num);
    if (!set) waiters.set(num, set = new Set());
    set.add({ handle: fd, fd: num, events, resolve, reject });
    if (inflight) {
      const watched = inflight.get(num);
      const covered = watched !== undefined && (watched & events) === events && !stale.has(num);
      if (!covered) wake();
    } else {
      scheduleSubmit();
    }
  });
}

/** Settles (with POLLNVAL) every wait registered through `handle`; called when it closes. */
export function cancel(handle: RawFd, num: number): void {
  const set = waiters.get(num);
  if (set) {
    for (const w of set) {
      if (w.handle === handle) {
        set.delete(w);
        w.resolve(POLLNVAL);
      }
    }
    if (set.size === 0) waiters.delete(num);
  }
  if (inflight?.has(num)) {
    if (handle.owned) stale.add(num);
    // Also releases the kernel's reference the in-flight poll holds on the file, so a peer
    // waiting for EOF on it sees it promptly.
    wake();
  }
}

/** See reactor.ts. */
export async function reactorIdle(): Promise<void> {
  for (let i = 0; i < 1000; i++) {
    if (waiters.size > 0) {
      // Something still waits (a read nobody cancelled): the poll would never end.
      throw sysErrorNamed("reactorIdle", "EBUSY", `${pendingWaits()} wait(s) still pending`);
    }
    if (inflightDone) await inflightDone;
    else if (submitScheduled) await new Promise((r) => setTimeout(r, 1));
    else return;
  }
  throw sysErrorNamed("reactorIdle", "EBUSY", "reactor never went idle");
}

/** Number of pending waits (tests and diagnostics). */
export function pendingWaits(): number {
  let n = 0;
  for (const set of waiters.values()) n += set.size;
  return n;
}

export function reactorStats(): { polls: number; failed: number; wakes: number } {
  return { ...stats };
}
