// The poll reactor and FdIo: wakeups, many waiters, cancellation by close, bulk transfer,
// flag restoration, files and /dev/null.
import { assert, assertEquals, assertRejects } from "@std/assert";
import {
  dupFd,
  FdIo,
  fdNumber,
  openDevNull,
  pipe,
  POLLIN,
  POLLOUT,
  RawFd,
  socketpair,
  SysError,
  waitFd,
} from "../../ffi/mod.ts";
import { pendingWaits, reactorBackend, reactorIdle, reactorStats } from "../../ffi/reactor.ts";
import { getStatusFlags, setStatusFlags } from "../../ffi/fd_flags.ts";
import { fcntl, libc } from "../../ffi/libc.ts";
import { liveFd } from "../../ffi/raw_fd.ts";
import { abi } from "../../ffi/abi/mod.ts";

const O_NONBLOCK = abi.const.O_NONBLOCK;

function rawWrite(fd: RawFd, bytes: Uint8Array): number {
  return Number(libc().write(liveFd(fd, "t"), bytes, bytes.length));
}

Deno.test("ffi reactor: a waiter wakes when data arrives, not before", async () => {
  const [r, w] = pipe();
  let woke = false;
  const p = waitFd(r, POLLIN).then((ev) => {
    woke = true;
    return ev;
  });
  await new Promise((res) => setTimeout(res, 30));
  assert(!woke, "no data yet");
  rawWrite(w, new Uint8Array([1]));
  assert((await p) & POLLIN);
  // a writable pipe is ready at once
  assert((await waitFd(w, POLLOUT)) & POLLOUT);
  r.close();
  w.close();
  await reactorIdle();
});

Deno.test("ffi reactor: a closed peer wakes a reader with POLLHUP", async () => {
  const [r, w] = pipe();
  const p = waitFd(r, POLLIN);
  await new Promise((res) => setTimeout(res, 5));
  w.close();
  assert((await p) & abi.const.POLLHUP);
  r.close();
  await reactorIdle();
});

Deno.test("ffi reactor: 50 pipes with concurrent waiters all wake, each exactly for its own data", async () => {
  const pipes = Array.from({ length: 50 }, () => pipe());
  const order: number[] = [];
  const waits = pipes.map(([r], i) => waitFd(r, POLLIN).then(() => order.push(i)));
  await new Promise((res) => setTimeout(res, 10));
  assertEquals(pendingWaits(), 50);
  // wake them in reverse order, one every tick
  for (let i = 49; i >= 0; i--) {
    rawWrite(pipes[i][1], new Uint8Array([i]));
    if (i % 10 === 0) await new Promise((res) => setTimeout(res, 2));
  }
  await Promise.all(waits);
  assertEquals(order.length, 50);
  assertEquals(new Set(order).size, 50);
  assertEquals(pendingWaits(), 0);
  for (const [r, w] of pipes) {
    r.close();
    w.close();
  }
  await reactorIdle();
});

Deno.test("ffi reactor: closing an fd settles its pending wait (no hang) and keeps others", async () => {
  const [r1, w1] = pipe();
  const [r2, w2] = pipe();
  const p1 = waitFd(r1, POLLIN);
  const p2 = waitFd(r2, POLLIN);
  await new Promise((res) => setTimeout(res, 10));
  r1.close();
  assertEquals(await p1, abi.const.POLLNVAL);
  assertEquals(pendingWaits(), 1);
  // the number r1 had may be reused right away; a new waiter there must not see stale events
  const [r3, w3] = pipe();
  const p3 = waitFd(r3, POLLIN);
  rawWrite(w2, new Uint8Array([2]));
  assert((await p2) & POLLIN);
  rawWrite(w3, new Uint8Array([3]));
  assert((await p3) & POLLIN);
  for (const f of [w1, r2, w2, r3, w3]) f.close();
  await reactorIdle();
  await assertRejects(() => waitFd(r1, POLLIN), SysError, "closed");
});

Deno.test("ffi reactor: a pending FdIo read rejects with EBADF when the FdIo is closed", async () => {
  const [r, w] = pipe();
  const io = new FdIo(r);
  const p = io.read(new Uint8Array(10));
  await new Promise((res) => setTimeout(res, 10));
  io.close();
  const err = await p.then(() => null, (e) => e);
  assert(err instanceof SysError);
  assertEquals(err.code, "EBADF");
  w.close();
  await reactorIdle();
});

Deno.test("ffi reactor: the process is not kept alive by an idle reactor", async () => {
  // a child Deno that waits once, then has nothing left: it must exit by itself
  const code = `
    import { pipe, waitFd, POLLIN } from "${new URL("../../ffi/mod.ts", import.meta.url)}";
    const [r, w] = pipe();
    const p = waitFd(r, POLLIN);
    setTimeout(() => { w.close(); }, 20);
    await p;
    r.close();
    console.log("done");
  `;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "--no-check", code],
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  assertEquals(new TextDecoder().decode(out.stderr), "");
  assertEquals(new TextDecoder().decode(out.stdout).trim(), "done");
  assertEquals(out.code, 0);
});

Deno.test("ffi FdIo: 8 MiB through a pipe arrive byte-exact", async () => {
  const [r, w] = pipe();
  const src = new Uint8Array(8 * 1024 * 1024);
  for (let off = 0; off < src.length; off += 65536) {
    crypto.getRandomValues(src.subarray(off, off + 65536));
  }
  const rio = new FdIo(r);
  const wio = new FdIo(w);
  const dst = new Uint8Array(src.length);
  const reader = (async () => {
    let got = 0;
    for (;;) {
      const n = await rio.read(dst.subarray(got, Math.min(got + 262144, dst.length)));
      if (n === 0) return got;
      got += n;
      if (got === dst.length) {
        assertEquals(await rio.read(new Uint8Array(1)), 0);
        return got;
      }
    }
  })();
  await wio.write(src);
  wio.close();
  assertEquals(await reader, src.length);
  assert(dst.every((b, i) => b === src[i]), "bytes differ");
  rio.close();
  await reactorIdle();
});

Deno.test("ffi FdIo: writev of pooled-size and tiny chunks through a slow pipe arrives byte-exact, in order with write()", async () => {
  const [r, w] = pipe();
  // 200 chunks of odd sizes: views into shared 36 KiB buffers (writev path), plus small arrays
  // (the write() fallback); more than one writev batch and far more than the pipe holds.
  const chunks: Uint8Array[] = [];
  const bufs = Array.from({ length: 8 }, () => new Uint8Array(36 * 1024));
  for (const b of bufs) crypto.getRandomValues(b);
  for (let i = 0; i < 200; i++) {
    const b = bufs[i % bufs.length];
    const start = (i * 97) % 1024;
    chunks.push(b.subarray(start, start + 1 + ((i * 7919) % 30000)));
  }
  const tiny = [Uint8Array.of(1, 2, 3), new Uint8Array(0), Uint8Array.of(4)];
  const expected = [...chunks, Uint8Array.of(9), ...tiny, ...chunks.slice(0, 10)];
  const total = expected.reduce((n, c) => n + c.length, 0);
  const rio = new FdIo(r);
  const wio = new FdIo(w);
  const dst = new Uint8Array(total);
  const reader = (async () => {
    let got = 0;
    while (got < total) {
      // Slow: the writer meets a full pipe (EAGAIN, partial writev) again and again.
      await new Promise((res) => setTimeout(res, 1));
      const n = await rio.read(dst.subarray(got, Math.min(got + 16384, total)));
      if (n === 0) break;
      got += n;
    }
    return got;
  })();
  const writes = [
    wio.writev(chunks),
    wio.write(Uint8Array.of(9)),
    wio.writev(tiny),
    wio.writev(chunks.slice(0, 10)),
  ];
  await Promise.all(writes);
  wio.close();
  assertEquals(await reader, total);
  let off = 0;
  for (const c of expected) {
    assert(dst.subarray(off, off + c.length).every((b, i) => b === c[i]), `bytes differ at ${off}`);
    off += c.length;
  }
  rio.close();
  await reactorIdle();
});

Deno.test("ffi FdIo: sets O_NONBLOCK on pipes/sockets and restores the saved flags on close", async () => {
  const [r, w] = pipe();
  const [a, b] = socketpair();
  // a second descriptor for the same open file description, like the client's copy
  const dupR = dupFd(r);
  const before = getStatusFlags(liveFd(r, "t"));
  assertEquals(before & O_NONBLOCK, 0);
  const io = new FdIo(r);
  assertEquals(io.kind, "stream");
  assert(getStatusFlags(liveFd(dupR, "t")) & O_NONBLOCK, "shared description sees O_NONBLOCK");
  io.close();
  assert(r.closed);
  assertEquals(getStatusFlags(liveFd(dupR, "t")), before, "flags restored before close");
  // a socket that already was non-blocking stays so
  setStatusFlags(liveFd(a, "t"), getStatusFlags(liveFd(a, "t")) | O_NONBLOCK);
  const sflags = getStatusFlags(liveFd(a, "t"));
  const sio = new FdIo(a);
  // Shut the pair down before closing: close() alone frees the socket only once no thread
  // holds it, and under `deno test --parallel` another test file's reactor, in this same
  // process, can be inside poll() on the number `a` reuses (b's write then worked).
  const SHUT_RDWR = 2; // the same on Linux and macOS; the RD half is what makes b's write EPIPE
  assertEquals(libc().shutdown(liveFd(a, "t"), SHUT_RDWR), 0);
  sio.close();
  const bio = new FdIo(b);
  await assertRejects(() => bio.write(new Uint8Array(4)), SysError, "Broken pipe");
  bio.close();
  assert(sflags & O_NONBLOCK);
  for (const f of [w, dupR]) f.close();
  await reactorIdle();
});

Deno.test("ffi FdIo: regular files and /dev/null use plain synchronous I/O", async () => {
  const path = Deno.makeTempFileSync();
  try {
    Deno.writeTextFileSync(path, "file contents");
    const fd = RawFd.adopt(libc().open(new TextEncoder().encode(path + "\0"), 0));
    const io = new FdIo(fd);
    assertEquals(io.kind, "file");
    const buf = new Uint8Array(64);
    const n = await io.read(buf);
    assertEquals(new TextDecoder().decode(buf.subarray(0, n)), "file contents");
    assertEquals(await io.read(buf), 0);
    io.close();
    const nullIn = new FdIo(openDevNull(false));
    assertEquals(await nullIn.read(buf), 0);
    nullIn.close();
    const nullOut = new FdIo(openDevNull(true));
    await nullOut.write(new Uint8Array(100_000));
    nullOut.close();
  } finally {
    Deno.removeSync(path);
  }
});

Deno.test("ffi FdIo: RawFd.std handles never close our stdio, but close() settles their waits", async () => {
  const out = RawFd.std(1);
  out.close();
  out.close();
  assert(!out.closed, "the handle stays usable");
  assert(getStatusFlags(1) >= 0, "fd 1 is still open");
  assertEquals(fdNumber(out), 1);
  // A child reads its stdin (a pipe that never gets data) through FdIo(RawFd.std(0)), closes
  // the FdIo while the read is pending, and must then exit by itself.
  const code = `
    import { FdIo, RawFd, isatty } from "${new URL("../../ffi/mod.ts", import.meta.url)}";
    const stdin = RawFd.std(0);
    const io = new FdIo(stdin);
    const p = io.read(new Uint8Array(8));
    setTimeout(() => io.close(), 20);
    const err = await p.then(() => null, (e) => e);
    console.log(io.kind, err?.code, stdin.closed, isatty(stdin));
  `;
  const child = new Deno.Command(Deno.execPath(), {
    args: ["eval", "--no-check", code],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
  const writer = child.stdin.getWriter(); // held open: the child never sees EOF
  const res = await child.output();
  await writer.close();
  assertEquals(new TextDecoder().decode(res.stderr), "");
  assertEquals(new TextDecoder().decode(res.stdout).trim(), "stream EBADF false false");
});

for (
  const [how, ending] of [
    ["Deno.exit()", "Deno.exit(0);"],
    ["an uncaught error", "throw new Error('boom');"],
    ["an unhandled rejection", "Promise.reject(new Error('boom'));"],
  ]
) {
  Deno.test(`ffi FdIo: ${how} without close still restores a pipe's flags`, async () => {
    // The child gets a pipe as stdin, wraps it in FdIo (O_NONBLOCK) and dies without closing;
    // then we check the pipe (same open file description) from here.
    const [r, w] = pipe();
    const code = `
      import { FdIo, RawFd } from "${new URL("../../ffi/mod.ts", import.meta.url)}";
      new FdIo(RawFd.std(0));
      ${ending}
    `;
    const rn = liveFd(r, "t");
    // an inheritable copy (F_DUPFD = 0, no close-on-exec) of the same open file description
    const inheritable = RawFd.adopt(fcntl(rn, 0, 10));
    const before = getStatusFlags(rn);
    const out = await new Deno.Command("bash", {
      args: [
        "-c",
        `exec "$0" eval --no-check "$1" <&${fdNumber(inheritable)}`,
        Deno.execPath(),
        code,
      ],
      stdout: "piped",
      stderr: "piped",
      env: { NO_COLOR: "1" },
    }).output();
    if (how === "Deno.exit()") assertEquals(out.code, 0);
    else assertEquals(out.code, 1, new TextDecoder().decode(out.stderr));
    assertEquals(getStatusFlags(rn), before, "O_NONBLOCK not left behind");
    inheritable.close();
    r.close();
    w.close();
  });
}

Deno.test("ffi reactor: signals during a wait (EINTR on the pool thread) neither wake nor lose it", async () => {
  // SIGUSR2: nothing else in sshmux listens to it, so other test files running as threads of
  // this process (--parallel) are not disturbed. The listener makes the signal interrupt.
  const onSignal = () => {};
  Deno.addSignalListener("SIGUSR2", onSignal);
  try {
    const [r, w] = pipe();
    let woke = false;
    const p = waitFd(r, POLLIN).then((ev) => {
      woke = true;
      return ev;
    });
    for (let i = 0; i < 200; i++) {
      Deno.kill(Deno.pid, "SIGUSR2");
      if (i % 20 === 0) await new Promise((res) => setTimeout(res, 1));
    }
    await new Promise((res) => setTimeout(res, 20));
    assert(!woke, "woken without data");
    // (whether any signal landed on the pool thread's poll is up to the kernel; log it)
    console.log(`reactor stats: ${JSON.stringify(reactorStats())}`);
    rawWrite(w, new Uint8Array([1]));
    assert((await p) & POLLIN);
    r.close();
    w.close();
    await reactorIdle();
  } finally {
    Deno.removeSignalListener("SIGUSR2", onSignal);
  }
});

Deno.test("ffi FdIo: 20 pipes streaming at once through one reactor stay byte-exact", async () => {
  const size = 300_000;
  const streams = Array.from({ length: 20 }, (_, k) => {
    const [r, w] = pipe();
    const src = new Uint8Array(size).map((_, i) => (i * 7 + k) & 0xff);
    return { r: new FdIo(r), w: new FdIo(w), src };
  });
  await Promise.all(streams.map(async ({ r, w, src }) => {
    const dst = new Uint8Array(size + 1);
    const reader = (async () => {
      let got = 0;
      for (;;) {
        const n = await r.read(dst.subarray(got, Math.min(got + 4096, dst.length)));
        if (n === 0) return got;
        got += n;
      }
    })();
    // several queued writes per stream, in pieces, to interleave with the other streams
    const parts = [];
    for (let off = 0; off < size; off += 50_000) {
      parts.push(w.write(src.subarray(off, off + 50_000)));
    }
    await Promise.all(parts);
    w.close();
    assertEquals(await reader, size);
    assert(dst.subarray(0, size).every((b, i) => b === src[i]));
    r.close();
  }));
  await reactorIdle();
  assertEquals(pendingWaits(), 0);
});

Deno.test("ffi reactor: reactorIdle refuses (instead of hanging) while a wait is pending", async () => {
  const [r, w] = pipe();
  const p = waitFd(r, POLLIN);
  await assertRejects(() => reactorIdle(), SysError, "still pending");
  r.close();
  assertEquals(await p, abi.const.POLLNVAL);
  w.close();
  await reactorIdle();
});

Deno.test("ffi reactor: this file's tests pass on the epoll backend too (Linux)", async () => {
  // The tests above ran on the default backend (poll). Run them again in a process that is
  // forced onto epoll, as a master is; that run skips this test (no recursion).
  if (Deno.env.get("SSHMUX_REACTOR") || abi.os !== "linux") return;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["test", "-A", new URL(import.meta.url).pathname],
    // NO_COLOR: the summary line is matched as plain text.
    env: { SSHMUX_REACTOR: "epoll", NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  assert(out.success, text);
  assert(/ok \| \d+ passed/.test(text), text);
});

Deno.test("ffi reactor: a process on the epoll backend holds an epoll fd", async () => {
  if (Deno.env.get("SSHMUX_REACTOR") !== "epoll") return; // checked in the epoll run above
  assertEquals(reactorBackend(), "epoll");
  const [r, w] = pipe();
  const p = waitFd(r, POLLIN);
  const links = [...Deno.readDirSync("/proc/self/fd")].map((e) => {
    try {
      return Deno.readLinkSync(`/proc/self/fd/${e.name}`);
    } catch {
      return "";
    }
  });
  assert(links.includes("anon_inode:[eventpoll]"), links.join(" "));
  w.close();
  assert((await p) & abi.const.POLLHUP, "the writer's close wakes the reader");
  r.close();
  await reactorIdle();
});
