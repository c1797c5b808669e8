// fd passing over socketpairs: round trips, several in a row, malformed messages, exact reads,
// and no fd leaks over many cycles.
import { assert, assertEquals, assertRejects } from "@std/assert";
import {
  EofError,
  FdIo,
  fdNumber,
  FdPassError,
  getuid,
  peerUid,
  pipe,
  type RawFd,
  socketpair,
  UnixSocket,
} from "../../ffi/mod.ts";
import { trySendFds } from "../../ffi/fdpass.ts";
import { isCloexec } from "../../ffi/fd_flags.ts";
import { reactorIdle } from "../../ffi/reactor.ts";
import { liveFd } from "../../ffi/raw_fd.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

/** What /proc says an fd is ("pipe:[123]"): unique per pipe/socket while it exists. */
function identity(fd: RawFd): string {
  return Deno.readLinkSync(`/proc/self/fd/${fdNumber(fd)}`);
}

/** How many fds of this process refer to `id`. Robust to other test files running as threads
 * of this process under --parallel (they never hold our pipes). */
function copiesOf(id: string): number {
  let n = 0;
  for (const e of Deno.readDirSync("/proc/self/fd")) {
    try {
      if (Deno.readLinkSync(`/proc/self/fd/${e.name}`) === id) n++;
    } catch { /* closed meanwhile */ }
  }
  return n;
}

function pair(): [UnixSocket, UnixSocket] {
  const [a, b] = socketpair();
  return [new UnixSocket(a), new UnixSocket(b)];
}

/** Writes `text` into `w` and reads it back from `r` (both FdIo), closing `w`. */
async function throughPipe(w: RawFd, r: RawFd, text: string): Promise<string> {
  const wio = new FdIo(w);
  await wio.write(enc.encode(text));
  wio.close();
  const rio = new FdIo(r);
  const buf = new Uint8Array(256);
  let out = "";
  for (;;) {
    const n = await rio.read(buf);
    if (n === 0) break;
    out += dec.decode(buf.subarray(0, n));
  }
  rio.close();
  return out;
}

Deno.test("ffi fdpass: a pipe's write end passed over a socketpair still writes to the pipe", async () => {
  const [s1, s2] = pair();
  const [r, w] = pipe();
  await s1.sendFd(w);
  w.close(); // our copy; the received one keeps the pipe open
  const got = await s2.recvFd();
  assert(isCloexec(liveFd(got, "test")), "received fd is close-on-exec");
  assertEquals(await throughPipe(got, r, "hello through a passed fd"), "hello through a passed fd");
  s1.close();
  s2.close();
  await reactorIdle();
});

Deno.test("ffi fdpass: several fds in a row arrive one per message, in order", async () => {
  const [s1, s2] = pair();
  const pipes = [pipe(), pipe(), pipe()];
  for (const [, w] of pipes) await s1.sendFd(w);
  for (const [, w] of pipes) w.close();
  for (let i = 0; i < pipes.length; i++) {
    const got = await s2.recvFd();
    assertEquals(await throughPipe(got, pipes[i][0], `msg ${i}`), `msg ${i}`);
  }
  s1.close();
  s2.close();
  await reactorIdle();
});

Deno.test("ffi fdpass: recvFd waits in the reactor until the fd is sent", async () => {
  const [s1, s2] = pair();
  const [r, w] = pipe();
  const pending = s2.recvFd();
  await new Promise((res) => setTimeout(res, 20));
  await s1.sendFd(w);
  const got = await pending;
  w.close();
  assertEquals(await throughPipe(got, r, "late"), "late");
  s1.close();
  s2.close();
  await reactorIdle();
});

Deno.test("ffi fdpass: a plain byte without SCM_RIGHTS is a typed error", async () => {
  const [s1, s2] = pair();
  await s1.write(new Uint8Array([0]));
  await assertRejects(() => s2.recvFd(), FdPassError, "exactly one fd, got 0");
  s1.close();
  s2.close();
  await reactorIdle();
});

Deno.test("ffi fdpass: two fds in one message are refused and both closed", async () => {
  const [s1, s2] = pair();
  const [r1, w1] = pipe();
  const [r2, w2] = pipe();
  assertEquals([copiesOf(identity(w1)), copiesOf(identity(w2))], [2, 2]); // read + write ends
  assert(trySendFds(liveFd(s1.rawFd, "t"), [liveFd(w1, "t"), liveFd(w2, "t")]));
  await assertRejects(() => s2.recvFd(), FdPassError, "got 2");
  assertEquals(
    [copiesOf(identity(w1)), copiesOf(identity(w2))],
    [2, 2],
    "the received copies were closed",
  );
  for (const f of [r1, w1, r2, w2]) f.close();
  s1.close();
  s2.close();
  await reactorIdle();
});

Deno.test("ffi fdpass: more fds than the receive buffer holds → MSG_CTRUNC error, nothing leaks", async () => {
  const [s1, s2] = pair();
  const [r, w] = pipe();
  const wn = liveFd(w, "t");
  assert(trySendFds(liveFd(s1.rawFd, "t"), new Array(20).fill(wn)));
  await assertRejects(() => s2.recvFd(), FdPassError, "truncated");
  assertEquals(copiesOf(identity(w)), 2, "the 8 fds that did arrive were closed");
  r.close();
  w.close();
  s1.close();
  s2.close();
  await reactorIdle();
});

Deno.test("ffi fdpass: recvFd at end of stream is EofError", async () => {
  const [s1, s2] = pair();
  s1.close();
  await assertRejects(() => s2.recvFd(), EofError);
  s2.close();
  await reactorIdle();
});

Deno.test("ffi fdpass: readExact never reads past the frame, so the fd after it survives", async () => {
  const [s1, s2] = pair();
  const [r, w] = pipe();
  const frame = new Uint8Array([0, 0, 0, 4, 1, 2, 3, 4]);
  await s1.write(frame);
  await s1.sendFd(w);
  w.close();
  await s1.write(enc.encode("tail"));
  const head = await s2.readExact(4);
  assertEquals(head, frame.subarray(0, 4));
  assertEquals(await s2.readExact(4), frame.subarray(4));
  const got = await s2.recvFd();
  assertEquals(dec.decode((await s2.readExact(4))!), "tail");
  assertEquals(await throughPipe(got, r, "after frame"), "after frame");
  s1.close();
  assertEquals(await s2.readExact(1), null, "clean EOF at a boundary");
  s2.close();
  await reactorIdle();
});

Deno.test("ffi fdpass: readExact throws EofError when the peer closes mid-message", async () => {
  const [s1, s2] = pair();
  await s1.write(new Uint8Array([1, 2, 3]));
  s1.close();
  await assertRejects(() => s2.readExact(8), EofError, "3 of 8");
  s2.close();
  await reactorIdle();
});

Deno.test("ffi fdpass: readExact waits for bytes that arrive in pieces", async () => {
  const [s1, s2] = pair();
  const p = s2.readExact(6);
  for (const part of ["ab", "cd", "ef"]) {
    await new Promise((res) => setTimeout(res, 5));
    await s1.write(enc.encode(part));
  }
  assertEquals(dec.decode((await p)!), "abcdef");
  s1.close();
  s2.close();
  await reactorIdle();
});

Deno.test("ffi fdpass: readSome, shutdownWrite and peerUid", async () => {
  const [s1, s2] = pair();
  assertEquals(peerUid(s1.rawFd), getuid());
  await s1.write(enc.encode("xyz"));
  s1.shutdownWrite();
  assertEquals(dec.decode((await s2.readSome(100))!), "xyz");
  assertEquals(await s2.readSome(100), null);
  // s1 can still read after shutting down its write side
  await s2.write(enc.encode("back"));
  assertEquals(dec.decode((await s1.readExact(4))!), "back");
  s1.close();
  s2.close();
  await reactorIdle();
});

Deno.test("ffi fdpass: concurrent reads on one UnixSocket are refused", async () => {
  const [s1, s2] = pair();
  const first = s2.readExact(1);
  await assertRejects(() => s2.readExact(1), Error, "already pending");
  await s1.write(new Uint8Array([9]));
  assertEquals(await first, new Uint8Array([9]));
  s1.close();
  s2.close();
  await reactorIdle();
});

Deno.test("ffi fdpass: write to a closed peer is SysError EPIPE", async () => {
  const [s1, s2] = pair();
  s2.close();
  const err = await assertRejects(() => s1.write(new Uint8Array(10)));
  assertEquals((err as { code?: string }).code, "EPIPE");
  s1.close();
  await reactorIdle();
});

Deno.test("ffi fdpass: 200 socketpair + pass + close cycles leave the fd count unchanged", async () => {
  // In a child process: `deno test --parallel` runs other test files as threads of this
  // process, so our own /proc/self/fd count would move under us.
  const mod = new URL("../../ffi/mod.ts", import.meta.url).href;
  const reactor = new URL("../../ffi/reactor.ts", import.meta.url).href;
  const code = `
    import { pipe, socketpair, UnixSocket } from "${mod}";
    import { reactorIdle } from "${reactor}";
    // Sockets and pipes only: Deno opens files of its own now and then (its caches, from
    // another thread), which once made the whole count move under load.
    const count = () => [...Deno.readDirSync("/proc/self/fd")].filter((e) => {
      try {
        return /^(socket|pipe):/.test(Deno.readLinkSync("/proc/self/fd/" + e.name));
      } catch {
        return false;
      }
    }).length;
    async function cycle() {
      const [x, y] = socketpair();
      const a = new UnixSocket(x), b = new UnixSocket(y);
      const [r, w] = pipe();
      const got = b.recvFd(); // waits in the reactor first
      await a.sendFd(w);
      (await got).close();
      r.close(); w.close(); a.close(); b.close();
    }
    await cycle(); // lazy set-up: libc, the reactor's wake fd
    await reactorIdle();
    const before = count();
    for (let i = 0; i < 200; i++) await cycle();
    await reactorIdle();
    console.log(JSON.stringify({ before, after: count() }));
  `;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "--no-check", code],
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  assertEquals(dec.decode(out.stderr), "");
  const { before, after } = JSON.parse(dec.decode(out.stdout));
  assert(before > 3);
  assertEquals(after, before);
});

Deno.test("ffi fdpass: writes and fd sends issued together keep their order", async () => {
  const [s1, s2] = pair();
  const [r, w] = pipe();
  // a write big enough to hit EAGAIN, then an fd and a trailer queued behind it without awaiting
  const big = new Uint8Array(1024 * 1024).fill(5);
  const sends = [s1.write(big), s1.sendFd(w), s1.write(enc.encode("end"))];
  const body = await s2.readExact(big.length);
  assertEquals(body!.length, big.length);
  assert(body!.every((b) => b === 5));
  const got = await s2.recvFd();
  assertEquals(dec.decode((await s2.readExact(3))!), "end");
  await Promise.all(sends);
  w.close();
  assertEquals(await throughPipe(got, r, "ordered"), "ordered");
  // after awaiting, the next send starts synchronously: closing right after the call is safe
  const [r2, w2] = pipe();
  const p = s1.sendFd(w2);
  w2.close();
  await p;
  assertEquals(await throughPipe(await s2.recvFd(), r2, "sync start"), "sync start");
  s1.close();
  s2.close();
  await reactorIdle();
});

Deno.test("ffi fdpass: random frames with fds between them, read back exactly (seeded)", async () => {
  // A small deterministic PRNG so a failure can be replayed.
  let seed = 0x5eed1234;
  const rand = (n: number) => {
    seed = (seed * 1103515245 + 12345) >>> 0;
    return seed % n;
  };
  const [s1, s2] = pair();
  const [r, w] = pipe();
  const rounds = 150;
  const plan = Array.from({ length: rounds }, () => ({ len: rand(3000), fd: rand(4) === 0 }));
  const sender = (async () => {
    for (const [i, p] of plan.entries()) {
      const body = new Uint8Array(p.len).fill(i & 0xff);
      const head = new Uint8Array(4);
      new DataView(head.buffer).setUint32(0, p.len);
      // split the frame at a random point into two writes
      const whole = new Uint8Array([...head, ...body]);
      const cut = rand(whole.length + 1);
      await s1.write(whole.subarray(0, cut));
      await s1.write(whole.subarray(cut));
      if (p.fd) await s1.sendFd(w);
    }
  })();
  for (const [i, p] of plan.entries()) {
    const head = (await s2.readExact(4))!;
    const len = new DataView(head.buffer).getUint32(0);
    assertEquals(len, p.len, `frame ${i}`);
    const body = await s2.readExact(len);
    assert(body!.every((b) => b === (i & 0xff)), `frame ${i} body`);
    if (p.fd) (await s2.recvFd()).close();
  }
  await sender;
  s1.close();
  assertEquals(await s2.readExact(4), null);
  for (const f of [r, w]) f.close();
  s2.close();
  await reactorIdle();
});
