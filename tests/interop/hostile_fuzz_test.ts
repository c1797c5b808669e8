// Fuzz-style runs of the real sshmux binary on random and mutated input: server banners,
// KEXINIT packets and config files. Every run must end within a bound, with status 255 (for
// configs: the stock ssh's status on the same file), no JavaScript stack and no raw ESC on
// stderr. Fixed seeds, few rounds, several runs at once: it stays a few seconds of the suite.

import { assert, assertEquals } from "@std/assert";
import { run, sshmuxPath } from "../helpers/run.ts";
import {
  assertClean,
  clientArgs,
  concat,
  hostileServer,
  plainPacket,
  serverKexInit,
  VERSION_LINE,
} from "../helpers/hostile.ts";

/** mulberry32: a small seeded PRNG, so a failure can be replayed. */
function prng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Bytes that make parsers and terminals trip: NUL, ESC, CR, LF, DEL, high bytes. */
const NASTY = [0x00, 0x1b, 0x0d, 0x0a, 0x7f, 0xff, 0x80, 0x9b, 0x2d, 0x20];

function mutate(input: Uint8Array, rand: () => number, edits: number): Uint8Array {
  let b = Array.from(input);
  for (let i = 0; i < edits; i++) {
    const at = Math.floor(rand() * (b.length + 1));
    const byte = rand() < 0.6 ? NASTY[Math.floor(rand() * NASTY.length)] : Math.floor(rand() * 256);
    const op = rand();
    if (op < 0.4 && b.length > 0) b[Math.min(at, b.length - 1)] = byte;
    else if (op < 0.7) b.splice(at, 0, byte);
    else if (op < 0.85) b.splice(at, 1 + Math.floor(rand() * 8));
    else b = b.slice(0, at);
  }
  return Uint8Array.from(b);
}

const BOUND_MS = 45_000;
/** Bounds a run that meets silence: ssh's own timeouts, short. */
const TIMEOUTS = [
  "-o",
  "ConnectTimeout=3",
  "-o",
  "ServerAliveInterval=1",
  "-o",
  "ServerAliveCountMax=2",
];

/** Runs `jobs` at most `width` at a time. */
async function pooled<T>(jobs: (() => Promise<T>)[], width: number): Promise<T[]> {
  const out: T[] = new Array(jobs.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < jobs.length) {
        const i = next++;
        out[i] = await jobs[i]();
      }
    }),
  );
  return out;
}

/** One sshmux run against a server that sends `bytes` then holds or hangs up. */
async function againstServer(what: string, bytes: Uint8Array, close: boolean): Promise<void> {
  const server = hostileServer(bytes, { close });
  try {
    const start = Date.now();
    const r = await run(
      sshmuxPath(),
      [...clientArgs(server.port), ...TIMEOUTS, "127.0.0.1", "true"],
      { timeoutMs: BOUND_MS + 10_000 },
    );
    const ms = Date.now() - start;
    const ctx = `${what} (${ms} ms, bytes ${
      JSON.stringify(String.fromCharCode(...bytes.subarray(0, 120)))
    })\n${r.err}`;
    assertEquals(r.code, 255, ctx);
    assert(ms < BOUND_MS, `took too long: ${ctx}`);
    assertClean(r, what);
  } finally {
    await server.stop();
  }
}

Deno.test("fuzz: mutated banners and KEXINITs end in 255, bounded, no stack, no raw ESC", async () => {
  const rand = prng(11);
  const kexinit = plainPacket(serverKexInit());
  const jobs: (() => Promise<void>)[] = [];
  for (let i = 0; i < 6; i++) {
    // Pre-banner lines, then the version line, then (sometimes) a KEXINIT: mutated anywhere.
    const pre = rand() < 0.5 ? new TextEncoder().encode("Welcome\r\n") : new Uint8Array(0);
    const base = concat(pre, VERSION_LINE, rand() < 0.5 ? kexinit : new Uint8Array(0));
    const bytes = mutate(base, rand, 1 + Math.floor(rand() * 6));
    jobs.push(() => againstServer(`banner #${i}`, bytes, rand() < 0.3));
  }
  for (let i = 0; i < 6; i++) {
    // A good version line, then a KEXINIT packet mutated after its length field, or random bytes.
    const body = rand() < 0.75
      ? concat(
        kexinit.subarray(0, 4),
        mutate(kexinit.subarray(4), rand, 1 + Math.floor(rand() * 4)),
      )
      : Uint8Array.from({ length: 1 + Math.floor(rand() * 600) }, () => Math.floor(rand() * 256));
    jobs.push(() => againstServer(`kexinit #${i}`, concat(VERSION_LINE, body), rand() < 0.3));
  }
  await pooled(jobs, 2);
});

Deno.test("fuzz: mutated config files get ssh's verdict, bounded, no stack, no raw ESC", async () => {
  const rand = prng(23);
  const dir = Deno.makeTempDirSync({ prefix: "sshmux-cfgfuzz-" });
  const base = new TextEncoder().encode(
    [
      "Host *",
      "  Port 2222",
      "  User alice",
      "  ServerAliveInterval 5",
      "  SendEnv LANG",
      "Match host x",
      "  LocalForward 8080 localhost:80",
      "",
    ].join("\n"),
  );
  try {
    const jobs = Array.from({ length: 6 }, (_, i) => {
      const bytes = i < 2
        ? Uint8Array.from({ length: 200 }, () => Math.floor(rand() * 256))
        : mutate(base, rand, 1 + Math.floor(rand() * 4));
      const path = `${dir}/config${i}`;
      Deno.writeFileSync(path, bytes);
      return async () => {
        const args = ["-F", path, "-G", "x"];
        const start = Date.now();
        const [ssh, ours] = await Promise.all([
          run("ssh", args),
          run(sshmuxPath(), args, { timeoutMs: BOUND_MS + 10_000 }),
        ]);
        const ms = Date.now() - start;
        const ctx = `config #${i} ${JSON.stringify(new TextDecoder().decode(bytes))}\n` +
          `ssh ${ssh.code}: ${ssh.err}\nsshmux ${ours.code} (${ms} ms): ${ours.err}`;
        assertEquals(ours.code, ssh.code, ctx);
        assert(ms < BOUND_MS, `took too long: ${ctx}`);
        assertClean(ours, `config #${i}`);
      };
    });
    await pooled(jobs, 2);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
