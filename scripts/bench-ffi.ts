// Measures the FFI core: bulk MB/s through a pipe with FdIo on both ends (in-process), the
// same with a child `cat` as the peer, 1-byte ping-pong round trips over a socketpair, and
// fd-pass round trips. Run: .tools/deno run -A scripts/bench-ffi.ts [MiB=256]
// Numbers vary a lot on a 2-core VM; run it a few times.
import { FdIo, fdNumber, pipe, socketpair, UnixSocket } from "../ffi/mod.ts";
import { reactorStats } from "../ffi/reactor.ts";

const MiB = Number(Deno.args[0] ?? 256);

function rate(bytes: number, ms: number): string {
  return `${(bytes / 1e6 / (ms / 1000)).toFixed(0)} MB/s`;
}

async function bulkInProcess(): Promise<void> {
  const [r, w] = pipe();
  const rio = new FdIo(r);
  const wio = new FdIo(w);
  const chunk = new Uint8Array(256 * 1024).fill(7);
  const total = MiB * 1024 * 1024;
  const t0 = performance.now();
  const reader = (async () => {
    const buf = new Uint8Array(256 * 1024);
    let got = 0;
    for (;;) {
      const n = await rio.read(buf);
      if (n === 0) return got;
      got += n;
    }
  })();
  for (let sent = 0; sent < total; sent += chunk.length) await wio.write(chunk);
  wio.close();
  const got = await reader;
  const ms = performance.now() - t0;
  rio.close();
  if (got !== total) throw new Error(`lost bytes: ${got} of ${total}`);
  console.log(`pipe, FdIo writer → FdIo reader (same process): ${rate(total, ms)} (${MiB} MiB)`);
}

async function bulkFromChild(): Promise<void> {
  // `head -c N /dev/zero` writes into our pipe through /proc/<pid>/fd (Deno.Command cannot
  // hand over raw fds). Our copy of the write end stays open until the child is done, so the
  // reader counts bytes instead of waiting for EOF.
  const [r, w] = pipe();
  const total = MiB * 1024 * 1024;
  const proc = new Deno.Command("bash", {
    args: ["-c", `head -c ${total} /dev/zero > /proc/${Deno.pid}/fd/${fdNumber(w)}`],
  }).spawn();
  const rio = new FdIo(r);
  const buf = new Uint8Array(256 * 1024);
  let got = 0;
  const t0 = performance.now();
  while (got < total) {
    const n = await rio.read(buf);
    if (n === 0) break;
    got += n;
  }
  const ms = performance.now() - t0;
  await proc.status;
  rio.close();
  w.close();
  if (got !== total) throw new Error(`lost bytes: ${got} of ${total}`);
  console.log(`pipe, head -c (child process) → FdIo reader: ${rate(total, ms)}`);
}

async function pingPong(): Promise<void> {
  const [a, b] = socketpair();
  const sa = new UnixSocket(a);
  const sb = new UnixSocket(b);
  const one = new Uint8Array([1]);
  const echo = (async () => {
    for (;;) {
      const got = await sb.readSome(1);
      if (!got) return;
      await sb.write(got);
    }
  })();
  const n = 5000;
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    await sa.write(one);
    await sa.readExact(1);
  }
  const ms = performance.now() - t0;
  sa.close();
  await echo;
  sb.close();
  console.log(`socketpair 1-byte ping-pong: ${(n / (ms / 1000)).toFixed(0)} round trips/s`);
}

async function fdPass(): Promise<void> {
  const [a, b] = socketpair();
  const sa = new UnixSocket(a);
  const sb = new UnixSocket(b);
  const [r, w] = pipe();
  const n = 5000;
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    await sa.sendFd(w);
    (await sb.recvFd()).close();
  }
  const ms = performance.now() - t0;
  for (const f of [r, w]) f.close();
  sa.close();
  sb.close();
  console.log(`fd pass send+recv: ${(ms * 1000 / n).toFixed(1)} µs each`);
}

const steps: Array<[string, () => Promise<void>]> = [
  ["bulk in-process", bulkInProcess],
  ["bulk from child", bulkFromChild],
  ["ping-pong", pingPong],
  ["fd pass", fdPass],
];
for (const [, step] of steps) {
  const before = reactorStats();
  await step();
  const after = reactorStats();
  console.log(
    `  (reactor: ${after.polls - before.polls} polls, ${after.wakes - before.wakes} wakes, ${
      after.failed - before.failed
    } failed)`,
  );
}
