// Micro-benchmark: seal and open MB/s per cipher (× MAC) for 32 KiB payloads, as the
// transport uses them (GCM with several packets in flight), and the CPU seconds (all threads:
// WebCrypto runs on Deno's pool) per 100 MiB — on a 2-core machine shared with sshd, CPU is
// what bounds throughput. Not part of the test suite.
// Run: .tools/deno run -A scripts/bench-ciphers.ts [seconds-per-case]

import process from "node:process";
import { CIPHERS } from "../lib/ssh/crypto/ciphers.ts";
import { macByName } from "../lib/ssh/crypto/mac.ts";
import { buildPacket, checkPacketLength } from "../lib/ssh/transport/packet_codec.ts";
import { loadNodeCrypto } from "../lib/ssh/crypto/node_crypto.ts";

// The fallback ciphers built directly here call node:crypto, which the key exchange loads.
await loadNodeCrypto();

const seconds = Number(Deno.args[0] ?? "1");
const PAYLOAD = 32 * 1024;
const IN_FLIGHT = 16;

function rnd(n: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i += 65536) crypto.getRandomValues(b.subarray(i, i + 65536));
  return b;
}

function cpuPer100MiB(u: { user: number; system: number }, bytes: number): string {
  return (((u.user + u.system) / 1e6) * (100 * 1048576 / bytes)).toFixed(3);
}

console.log("cipher".padEnd(52) + " seal MB/s, CPU s/100 MiB   open MB/s, CPU s/100 MiB");
for (const c of CIPHERS) {
  const macNames = c.aead ? [undefined] : ["hmac-sha2-256-etm@openssh.com", "hmac-sha2-256"];
  for (const macName of macNames) {
    const mac = macName ? macByName(macName) : undefined;
    const key = rnd(c.keyLength), iv = rnd(c.ivLength), mk = mac ? rnd(mac.keyLength) : undefined;
    const sealer = c.sealer(key, iv, mac, mk);
    const opener = c.opener(key, iv, mac, mk);
    const payload = rnd(PAYLOAD);
    const wires: Uint8Array[] = [];
    let n = 0;
    let t0 = performance.now();
    let cpu0 = process.cpuUsage();
    while (performance.now() - t0 < seconds * 1000) {
      const batch = [];
      for (let i = 0; i < IN_FLIGHT; i++) {
        batch.push(sealer.seal(n + i, buildPacket(payload, sealer)));
      }
      const done = await Promise.all(batch);
      if (wires.length < 2048) wires.push(...done);
      n += IN_FLIGHT;
    }
    const sealMBs = (n * PAYLOAD) / ((performance.now() - t0) / 1000) / 1e6;
    const sealCpu = cpuPer100MiB(process.cpuUsage(cpu0), n * PAYLOAD);
    // Open what was sealed, in order, with the same in-flight depth for async openers.
    let m = 0;
    t0 = performance.now();
    cpu0 = process.cpuUsage();
    const count = Math.min(wires.length, n);
    for (let i = 0; i < count; i += IN_FLIGHT) {
      const batch = [];
      for (let j = i; j < Math.min(count, i + IN_FLIGHT); j++) {
        const w = wires[j];
        checkPacketLength(opener.packetLength(j, w), opener);
        batch.push(opener.open(j, w));
      }
      await Promise.all(batch);
      m += batch.length;
    }
    const openMBs = (m * PAYLOAD) / ((performance.now() - t0) / 1000) / 1e6;
    const openCpu = cpuPer100MiB(process.cpuUsage(cpu0), m * PAYLOAD);
    console.log(
      `${(c.name + (macName ? " + " + macName : "")).padEnd(52)} seal ${
        sealMBs.toFixed(0).padStart(5)
      } MB/s ${sealCpu} s   open ${openMBs.toFixed(0).padStart(5)} MB/s ${openCpu} s`,
    );
  }
}
