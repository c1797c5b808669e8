// Poly1305 micro-benchmark: CPU and wall time of poly1305Tag (lib/ssh/crypto/poly1305.ts) over
// 200 MiB of 32 KiB messages (the hot size of chacha20-poly1305 channel data packets), plus a
// few other packet sizes. Prints MB/s; no assertions (tests never time things).
// Run: .tools/deno run -A scripts/bench-poly1305.ts [rounds=3]

import process from "node:process";
import { poly1305Tag } from "../lib/ssh/crypto/poly1305.ts";

const TOTAL = 200 * 1024 * 1024;
const rounds = Number(Deno.args[0] ?? 3);

const key = crypto.getRandomValues(new Uint8Array(32));

/** One pass of TOTAL bytes in `size`-byte messages; returns wall ms and CPU ms (user+sys). */
function pass(size: number): { wall: number; cpu: number } {
  const msg = crypto.getRandomValues(new Uint8Array(Math.min(size, 65536)));
  const data = size <= msg.length ? msg.subarray(0, size) : new Uint8Array(size).fill(0xa5);
  const n = Math.max(1, Math.round(TOTAL / size));
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  let sink = 0;
  for (let i = 0; i < n; i++) sink ^= poly1305Tag(key, data)[0];
  const wall = performance.now() - t0;
  const c = process.cpuUsage(c0);
  if (sink === 256) console.log("unreachable"); // keeps the loop's result live
  return { wall, cpu: (c.user + c.system) / 1000 };
}

pass(32768); // warm-up: lets V8 tier up the wrapper and compile the module fully
console.log("size      wall ms/200MiB  cpu ms/200MiB   MB/s (by CPU)");
for (const size of [32768, 256 * 1024, 1024, 64]) {
  for (let r = 0; r < rounds; r++) {
    const { wall, cpu } = pass(size);
    const mbps = (TOTAL / 1e6) / (cpu / 1000);
    console.log(
      `${String(size).padEnd(9)} ${wall.toFixed(1).padStart(14)} ${cpu.toFixed(1).padStart(14)}` +
        ` ${mbps.toFixed(0).padStart(14)}`,
    );
  }
}
