// The bulk data path in one process, without sshd or a socket, so its per-packet cost can be
// compared between two versions of the code without the noise of a shared machine:
//   rx: a fake socket serves pre-encrypted aes128-gcm CHANNEL_DATA packets (32 KiB) in 128 KiB
//       reads, honouring the channel window → SshTransport read loop → SshConnection → Channel
//       → the session's output pump → FdIo on fd 1 (run with >/dev/null);
//   tx: Channel.write of 64 KiB chunks → SshConnection → SshTransport (GCM sealer, outbox) →
//       a fake socket that discards and re-opens the window.
// The transport skips its handshake: the keys are put in place as after NEWKEYS (private
// fields, so this script follows transport.ts when that changes).
// Prints this process's CPU µs per packet (median of the runs after two warm-ups). For counts
// that do not depend on the machine's load, run it under `valgrind --tool=callgrind` with runs
// = 1 and 4 and take the difference of the totals.
// Usage: .tools/deno run -A scripts/bench-bulkpath.ts rx|tx [packets=3000] [runs=10] >/dev/null

import { cpuUsage } from "node:process";
import { FdIo, RawFd } from "../ffi/mod.ts";
import type { PacketOpener, PacketSealer } from "../lib/ssh/crypto/cipher.ts";
import { LibcryptoGcmOpener, LibcryptoGcmSealer } from "../lib/ssh/crypto/aes_gcm_libcrypto.ts";
import type { Channel } from "../lib/ssh/connection/channel.ts";
import { SshConnection } from "../lib/ssh/connection/connection.ts";
import {
  encodeClose,
  encodeData,
  encodeEof,
  encodeOpenConfirmation,
  encodeWindowAdjust,
} from "../lib/ssh/connection/messages.ts";
import { pumpOut } from "../lib/ssh/session/pumps.ts";
import type { ByteStream } from "../lib/ssh/transport/byte_stream.ts";
import type { AlgorithmLists } from "../lib/ssh/transport/kexinit.ts";
import { buildPacket, noneSealer } from "../lib/ssh/transport/packet_codec.ts";
import { SshTransport } from "../lib/ssh/transport/transport.ts";

const mode = Deno.args[0] ?? "rx";
const packets = Number(Deno.args[1] ?? "3000");
const runs = Number(Deno.args[2] ?? "10");
const WINDOW = 2 * 1024 * 1024;
const READ_SIZE = 128 * 1024;
const key = new Uint8Array(16).fill(7);
const iv = new Uint8Array(12).fill(3);

/** The transport's insides this script sets directly instead of running a key exchange. */
interface TransportInsides {
  reader: { setOpener(op: PacketOpener, resetSeq: boolean): void };
  sealer: PacketSealer;
  firstKexDone: boolean;
  readLoop(): Promise<void>;
}

function keyedTransport(stream: ByteStream, opener?: PacketOpener, sealer?: PacketSealer) {
  const t = new SshTransport(stream, {
    host: "bench",
    port: 22,
    lists: {} as AlgorithmLists,
    rekeyLimitBytes: 0,
    rekeyLimitSeconds: 0,
    verifyHostKey: () => Promise.resolve(),
  });
  const insides = t as unknown as TransportInsides;
  if (opener) insides.reader.setOpener(opener, false);
  if (sealer) insides.sealer = sealer;
  insides.firstKexDone = true;
  insides.readLoop();
  return t;
}

const plain = (payload: Uint8Array) => Uint8Array.from(buildPacket(payload, noneSealer()));

/** u32 length | u8 padding | payload packets (none sealer): the window adjusts we send. */
function windowCredit(d: Uint8Array): number {
  let credit = 0;
  const v = new DataView(d.buffer, d.byteOffset, d.byteLength);
  for (let o = 0; o + 10 <= d.length; o += 4 + v.getUint32(o)) {
    if (d[o + 5] === 93) credit += v.getUint32(o + 10);
  }
  return credit;
}

// ---- rx: the server's side, encrypted once; every run starts from the same keys.
let wire = new Uint8Array(0);
/** End offset in `wire` of each data packet, and the data bytes it carries. */
const marks: number[] = [];
if (mode === "rx") {
  const sealer = new LibcryptoGcmSealer(key, iv);
  let seq = 0;
  const parts: Uint8Array[] = [];
  const seal = (payload: Uint8Array) =>
    parts.push(Uint8Array.from(sealer.seal(seq++, buildPacket(payload, sealer)) as Uint8Array));
  seal(encodeOpenConfirmation(0, 5, WINDOW, 32768));
  const data = new Uint8Array(32768);
  let end = parts[0].length;
  for (let i = 0; i < packets; i++) {
    seal(encodeData(0, data));
    end += parts[parts.length - 1].length;
    marks.push(end);
  }
  seal(encodeEof(0));
  seal(encodeClose(0));
  wire = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    wire.set(p, o);
    o += p.length;
  }
}

class ServingStream implements ByteStream {
  readonly local = undefined;
  readonly remote = { host: "bench", port: 22 };
  private pos = 0;
  private window = WINDOW;
  private next = 0;
  private limit = 0;
  private waiter: (() => void) | null = null;
  constructor() {
    this.advance();
  }
  private advance(): void {
    while (this.next < marks.length && 32768 <= this.window) {
      this.window -= 32768;
      this.limit = marks[this.next++];
    }
    if (this.next >= marks.length) this.limit = wire.length;
  }
  async read(buf: Uint8Array): Promise<number | null> {
    while (this.pos >= this.limit) {
      if (this.pos >= wire.length) return null;
      await new Promise<void>((r) => this.waiter = r);
    }
    await null; // a socket read is never synchronous
    const n = Math.min(buf.length, READ_SIZE, this.limit - this.pos);
    buf.set(wire.subarray(this.pos, this.pos + n));
    this.pos += n;
    return n;
  }
  write(d: Uint8Array): Promise<void> {
    const credit = windowCredit(d);
    if (credit > 0) {
      this.window += credit;
      this.advance();
      const w = this.waiter;
      this.waiter = null;
      w?.();
    }
    return Promise.resolve();
  }
  close(): void {}
}

class SinkStream implements ByteStream {
  readonly local = undefined;
  readonly remote = { host: "bench", port: 22 };
  private readonly queue: Uint8Array[] = [];
  private waiter: (() => void) | null = null;
  private unacked = 0;
  push(p: Uint8Array): void {
    this.queue.push(p);
    const w = this.waiter;
    this.waiter = null;
    w?.();
  }
  async read(buf: Uint8Array): Promise<number | null> {
    while (this.queue.length === 0) await new Promise<void>((r) => this.waiter = r);
    const p = this.queue.shift()!;
    buf.set(p);
    return p.length;
  }
  write(d: Uint8Array): Promise<void> {
    // The peer re-opens its window once per MiB received.
    this.unacked += d.length;
    if (this.unacked >= 1 << 20) {
      this.push(plain(encodeWindowAdjust(0, this.unacked)));
      this.unacked = 0;
    }
    return Promise.resolve();
  }
  close(): void {}
}

async function rxRun(): Promise<number> {
  const t = keyedTransport(new ServingStream(), new LibcryptoGcmOpener(key, iv));
  const c0 = cpuUsage();
  const conn = new SshConnection(t);
  const ch: Channel = await conn.openChannel("session", new Uint8Array(0));
  const out = new FdIo(RawFd.std(1));
  await pumpOut(ch, () => ch.readBatch(), out);
  const c = cpuUsage(c0);
  t.close();
  return (c.user + c.system) / packets;
}

async function txRun(): Promise<number> {
  const stream = new SinkStream();
  const t = keyedTransport(stream, undefined, new LibcryptoGcmSealer(key, iv));
  const conn = new SshConnection(t);
  const opening = conn.openChannel("session", new Uint8Array(0));
  stream.push(plain(encodeOpenConfirmation(0, 0, 2 * WINDOW, 32768)));
  const ch = await opening;
  const data = new Uint8Array(65536);
  const c0 = cpuUsage();
  for (let i = 0; i < packets / 2; i++) await ch.write(data);
  const c = cpuUsage(c0);
  t.close();
  return (c.user + c.system) / packets;
}

if (mode !== "rx" && mode !== "tx") throw new Error("mode must be rx or tx");
const perPacket: number[] = [];
for (let i = 0; i < runs; i++) perPacket.push(await (mode === "rx" ? rxRun() : txRun()));
const warm = perPacket.slice(Math.min(2, runs - 1)).sort((a, b) => a - b);
console.error(
  `${mode}: ${warm[Math.floor(warm.length / 2)].toFixed(2)} µs CPU per 32 KiB packet ` +
    `(median; min ${warm[0].toFixed(2)}; runs ${perPacket.map((x) => x.toFixed(1)).join(" ")})`,
);
