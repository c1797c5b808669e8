// The reactor on Linux: one epoll instance, one epoll_wait kept in flight on Deno's blocking
// pool. Unlike poll(2), whose fd list is fixed for the length of the call, epoll's interest list
// changes under a waiting epoll_wait: a new waiter is an epoll_ctl on the JS thread and nothing
// has to interrupt the call. The poll reactor (reactor_poll.ts) wrote its wake fd ~3 times per
// mux session and many times a second in a transfer, and each wake was a round trip through a
// pool thread (a wake, a poll return, a new poll) that the loaded 2-core machines paid in
// context switches.
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
import { lastError, SysError, sysErrorNamed } from "./errors.ts";
import { errno, libc, offHeap } from "./libc.ts";
import { liveFd, type RawFd } from "./raw_fd.ts";

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

interface Waiter {
  handle: RawFd;
  events: number;
  resolve(revents: number): void;
  reject(err: unknown): void;
}

interface Registration {
  gen: number;
  /** Events armed now; 0 once the one-shot event fired (or none was wanted). */
  armed: number;
}

/** fd number → waiters on it */
const waiters = new Map<number, Set<Waiter>>();
/** fd number → its entry in the interest list */
const registered = new Map<number, Registration>();
let nextGen = WAKE_GEN + 1;
let epfd = -1;
let wakeFd = -1;
let inflight: Promise<void> | null = null;
let submitScheduled = false;
let idleCheckScheduled = false;
let failures = 0;
const stats = { polls: 0, failed: 0, wakes: 0 };

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

function wantedEvents(fd: number): number {
  let ev = 0;
  for (const w of waiters.get(fd) ?? []) ev |= w.events;
  return ev;
}

/** Settles all of `fd`'s waiters at once, each by `how`. */
function settleAll(fd: number, how: (w: Waiter) => void): void {
  const set = waiters.get(fd);
  if (!set) return;
  waiters.delete(fd);
  for (const w of set) how(w);
  if (waiters.size === 0) scheduleIdleCheck();
}

function failAll(fd: number, err: unknown): void {
  settleAll(fd, (w) => w.reject(err));
}

/** Arms `fd` for what its waiters want now (adding it to the interest list if needed). */
function arm(fd: number): void {
  const want = wantedEvents(fd);
  let reg = registered.get(fd);
  if (reg && reg.armed === want) return;
  if (want === 0) return; // nobody waits: a disarmed or stale arming costs nothing
  if (!reg) {
    reg = { gen: nextGen, armed: 0 };
    nextGen = nextGen >= 0xffffffff ? WAKE_GEN + 1 : nextGen + 1;
    if (ctl(epfd, EPOLL_CTL_ADD, fd, want | EPOLLONESHOT, reg.gen) < 0) {
      const e = errno();
      // A regular file (or the like) cannot be watched, and poll(2) would call it ready.
      if (e === E.EPERM) settleAll(fd, (w) => w.resolve(w.events));
      else failAll(fd, new SysError("epoll_ctl", e));
      return;
    }
    registered.set(fd, reg);
  } else if (ctl(epfd, EPOLL_CTL_MOD, fd, want | EPOLLONESHOT, reg.gen) < 0) {
    failAll(fd, new SysError("epoll_ctl", errno()));
    return;
  }
  reg.armed = want;
}

/** Starts the next epoll_wait from a microtask, so a batch of new waiters shares it. */
function scheduleSubmit(): void {
  if (submitScheduled || inflight) return;
  submitScheduled = true;
  queueMicrotask(submit);
}

function submit(): void {
  submitScheduled = false;
  if (inflight || waiters.size === 0) return;
  stats.polls++;
  inflight = libc().epoll_wait_async!(epfd, results, MAX_EVENTS, -1).then(
    (n) => finish(n),
    () => finish(-1),
  );
}

function finish(n: number): void {
  inflight = null;
  if (n < 0) {
    // EINTR (a signal landed on the pool thread) or a transient failure: wait again, but back
    // off if it keeps failing so a persistent error cannot spin a core.
    failures++;
    stats.failed++;
    if (failures > 10) {
      submitScheduled = true;
      setTimeout(submit, 10);
      return;
    }
  } else {
    failures = 0;
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
      const set = waiters.get(fd);
      if (!set) continue;
      for (const w of set) {
        if (revents & (w.events | ALWAYS)) {
          set.delete(w);
          w.resolve(revents);
        }
      }
      if (set.size === 0) waiters.delete(fd);
      else arm(fd); // the rest wait on
    }
  }
  if (waiters.size > 0) scheduleSubmit();
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
    if (waiters.size > 0 || !inflight) return;
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
  return new Promise<number>((resolve, reject) => {
    let set = waiters.get(num);
    if (!set) waiters.set(num, set = new Set());
    set.add({ handle: fd, events, resolve, reject });
    arm(num);
    if (waiters.size > 0) scheduleSubmit();
  });
}

/**
 * Settles (with POLLNVAL) every wait registered through `handle`, and takes its fd out of the
 * interest list when it is about to be closed; called when a RawFd closes.
 */
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
  if (handle.owned && registered.has(num)) {
    registered.delete(num);
    ctl(epfd, EPOLL_CTL_DEL, num, 0, 0);
    // Whoever still waits on this number held another handle to the same fd: closing it ends
    // their wait too (as with poll, which would report POLLNVAL).
    settleAll(num, (w) => w.resolve(POLLNVAL));
  }
  if (waiters.size === 0) scheduleIdleCheck();
}

/** See reactor.ts. */
export async function reactorIdle(): Promise<void> {
  for (let i = 0; i < 1000; i++) {
    if (waiters.size > 0) {
      // Something still waits (a read nobody cancelled): the wait would never end.
      throw sysErrorNamed("reactorIdle", "EBUSY", `${pendingWaits()} wait(s) still pending`);
    }
    if (inflight) {
      scheduleIdleCheck();
      await inflight;
    } else if (submitScheduled) await new Promise((r) => setTimeout(r, 1));
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
