// The reactor on Linux: one epoll instance, one epoll_wait kept in flight on Deno's blocking
// pool. Unlike poll(2), whose fd list is fixed for the length of the call, epoll's interest list
// changes under a waiting epoll_wait: a new waiter is an epoll_ctl on the JS thread and nothing
// has to interrupt the call. The poll reactor (reactor_poll.ts) wrote its wake fd ~3 times per
// mux session (measured: 196 wakes and 332 polls for 60 sessions), and each wake was a round
// trip through a pool thread (a wake, a poll return, a new poll) that the loaded 2-core machines
// paid in context switches.
//
// Every fd is registered EPOLLONESHOT with the union of its waiters' events: an event disarms
// it, and it is armed again only while someone waits. The event's data holds the fd and a
// registration number, so an event that was already in the result buffer when its fd was closed
// (and the number perhaps reused) is recognised and dropped. An fd leaves the interest list
// before it is closed (a passed fd's file lives on in the client, and epoll would keep
// reporting it). The wake fd is written only to end the epoll_wait when nobody waits any more,
// so the process can exit. -1 from the async epoll_wait means "wait again": its errno belongs
// to a pool thread.
import { abi } from "./abi/mod.ts";
import { lastError, SysError } from "./errors.ts";
import { errno, libc, offHeap } from "./libc.ts";
import { liveFd, type RawFd } from "./raw_fd.ts";
import { WaitCalls, WaiterTable } from "./reactor_waiters.ts";

const C = abi.const;
const E = abi.errno;
const POLLIN = C.POLLIN;
/** epoll reports these whatever was asked (EPOLLERR, EPOLLHUP: the same bits as poll's). */
const ALWAYS = C.POLLERR | C.POLLHUP;
const POLLNVAL = C.POLLNVAL;

const EPOLL_CTL_ADD = 1;
const EPOLL_CTL_DEL = 2;
const EPOLL_CTL_MOD = 3;
const EPOLLONESHOT = 1 << 30;
/** Events taken from one epoll_wait. */
const MAX_EVENTS = 64;
/** The wake fd's registration number (fd registrations count from 1). */
const WAKE_GEN = 0;

interface Registration {
  gen: number;
  /** Events armed now; 0 once the one-shot event fired (or none was wanted). */
  armed: number;
}

const waiters = new WaiterTable();
/** fd number → its entry in the interest list */
const registered = new Map<number, Registration>();
let nextGen = WAKE_GEN + 1;
let epfd = -1;
let wakeFd = -1;
let idleCheckScheduled = false;
const calls = new WaitCalls(
  () => libc().epoll_wait_async!(epfd, results, MAX_EVENTS, -1),
  finish,
  () => waiters.fds > 0,
);
const stats = calls.stats;

const { size: EVENT_SIZE, dataOffset: DATA_OFFSET } = abi.epollEvent!;
const results = offHeap(EVENT_SIZE * MAX_EVENTS);
const resultView = new DataView(results.buffer);
const ctlEvent = offHeap(EVENT_SIZE);
const ctlView = new DataView(ctlEvent.buffer);
const wakeBuf = offHeap(8);

function ensureEpoll(): void {
  if (epfd >= 0) return;
  const lib = libc();
  const ep = lib.epoll_create1!(C.O_CLOEXEC);
  if (ep < 0) throw lastError("epoll_create1");
  const wake = lib.eventfd!(0, C.EFD_CLOEXEC | C.EFD_NONBLOCK);
  if (wake < 0) {
    const e = lastError("eventfd");
    lib.close(ep);
    throw e;
  }
  // The wake fd stays armed (level-triggered, not one-shot) until it is drained.
  if (ctl(ep, EPOLL_CTL_ADD, wake, POLLIN, WAKE_GEN) < 0) {
    const e = lastError("epoll_ctl");
    lib.close(wake);
    lib.close(ep);
    throw e;
  }
  epfd = ep;
  wakeFd = wake;
}

function ctl(ep: number, op: number, fd: number, events: number, gen: number): number {
  ctlView.setUint32(0, events >>> 0, true);
  ctlView.setUint32(DATA_OFFSET, fd, true);
  ctlView.setUint32(DATA_OFFSET + 4, gen, true);
  return libc().epoll_ctl!(ep, op, fd, ctlEvent);
}

/** Settles all of `fd`'s waits (see WaiterTable.settleAll); the wait may now be idle. */
function settleAll(fd: number, outcome: Parameters<WaiterTable["settleAll"]>[1]): void {
  waiters.settleAll(fd, outcome);
  if (waiters.fds === 0) scheduleIdleCheck();
}

/** Arms `fd` for what its waiters want now (adding it to the interest list if needed). */
function arm(fd: number): void {
  const want = waiters.events(fd);
  let reg = registered.get(fd);
  if (reg && reg.armed === want) return;
  if (want === 0) return; // nobody waits: a disarmed or stale arming costs nothing
  if (!reg) {
    reg = { gen: nextGen, armed: 0 };
    nextGen = nextGen >= 0xffffffff ? WAKE_GEN + 1 : nextGen + 1;
    if (ctl(epfd, EPOLL_CTL_ADD, fd, want | EPOLLONESHOT, reg.gen) < 0) {
      const e = errno();
      // A regular file (or the like) cannot be watched, and poll(2) would call it ready.
      settleAll(fd, e === E.EPERM ? "asked" : { error: new SysError("epoll_ctl", e) });
      return;
    }
    registered.set(fd, reg);
  } else if (ctl(epfd, EPOLL_CTL_MOD, fd, want | EPOLLONESHOT, reg.gen) < 0) {
    settleAll(fd, { error: new SysError("epoll_ctl", errno()) });
    return;
  }
  reg.armed = want;
}

/** Handles an epoll_wait's `n` events (none for -1: WaitCalls makes the call again). */
function finish(n: number): void {
  for (let i = 0; i < n; i++) {
    const at = i * EVENT_SIZE;
    const revents = resultView.getUint32(at, true) & 0xffff;
    const fd = resultView.getUint32(at + DATA_OFFSET, true);
    const gen = resultView.getUint32(at + DATA_OFFSET + 4, true);
    if (gen === WAKE_GEN) {
      libc().read(wakeFd, wakeBuf, 8); // resets the eventfd counter
      continue;
    }
    const reg = registered.get(fd);
    if (!reg || reg.gen !== gen) continue; // closed since (the number may be reused)
    reg.armed = 0; // one-shot: the kernel disarmed it
    if (waiters.ready(fd, revents, ALWAYS)) arm(fd); // the rest wait on
  }
}

/**
 * Ends the epoll_wait once nobody waits (after the current turn: a resolved reader usually
 * waits again at once), so an idle reactor keeps nothing in flight.
 */
function scheduleIdleCheck(): void {
  if (idleCheckScheduled) return;
  idleCheckScheduled = true;
  queueMicrotask(() => {
    idleCheckScheduled = false;
    if (waiters.fds > 0 || !calls.inflight) return;
    stats.wakes++;
    new DataView(wakeBuf.buffer).setBigUint64(0, 1n, true);
    // EAGAIN means a wakeup is already pending, which is just as good.
    libc().write(wakeFd, wakeBuf, 8);
  });
}

/** See reactor.ts. */
export function waitFd(fd: RawFd, events: number): Promise<number> {
  let num: number;
  try {
    num = liveFd(fd, "waitFd");
    ensureEpoll();
  } catch (e) {
    return Promise.reject(e);
  }
  if (events === 0) return Promise.reject(new RangeError("waitFd needs POLLIN and/or POLLOUT"));
  const done = waiters.add(num, fd, events);
  arm(num);
  if (waiters.fds > 0) calls.schedule();
  return done;
}

/**
 * Settles (with POLLNVAL) every wait registered through `handle`, and takes its fd out of the
 * interest list when it is about to be closed; called when a RawFd closes.
 */
export function cancel(handle: RawFd, num: number): void {
  waiters.settleHandle(num, handle, POLLNVAL);
  if (handle.owned && registered.has(num)) {
    registered.delete(num);
    ctl(epfd, EPOLL_CTL_DEL, num, 0, 0);
    // Whoever still waits on this number held another handle to the same fd: closing it ends
    // their wait too (as with poll, which would report POLLNVAL).
    settleAll(num, POLLNVAL);
  }
  if (waiters.fds === 0) scheduleIdleCheck();
}

/**
 * The epoll_wait in flight (asked to end if nobody waits), "scheduled" when one is about to
 * start, or null (reactor.ts).
 */
export function inFlight(): Promise<void> | "scheduled" | null {
  if (calls.inflight) scheduleIdleCheck();
  return calls.state();
}

/** Number of pending waits (tests and diagnostics). */
export function pendingWaits(): number {
  return waiters.count();
}

export function reactorStats(): { polls: number; failed: number; wakes: number } {
  return { ...stats };
}
