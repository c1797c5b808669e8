// Mux framing (MuxFramer, parseFrameLength, readMuxFrame) and proxy-mode framing (ProxyFramer).

import { assertEquals, assertInstanceOf, assertThrows } from "@std/assert";
import { DecodeError, ProtocolError, SizeLimitError } from "../../lib/errors.ts";
import { MUX_MAX_PACKET, MUX_PROXY_MIN_DOWNSTREAM_PACKET } from "../../lib/mux/constants.ts";
import { decodeMux } from "../../lib/mux/decode.ts";
import { encodeMux } from "../../lib/mux/encode.ts";
import type { MuxMessage } from "../../lib/mux/messages.ts";
import {
  frameHeaderLength,
  MuxFramer,
  parseFrameLength,
  readMuxFrame,
} from "../../lib/mux/framer.ts";
import { encodeProxyPacket, ProxyFramer } from "../../lib/mux/proxy_framing.ts";

function header(length: number): Uint8Array {
  const h = new Uint8Array(4);
  new DataView(h.buffer).setUint32(0, length);
  return h;
}
function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
/** A frame with a body of exactly `length` bytes (an unknown type plus filler). */
function frameOfLength(length: number, fill = 0x41): Uint8Array {
  const f = new Uint8Array(4 + length).fill(fill);
  new DataView(f.buffer).setUint32(0, length);
  new DataView(f.buffer).setUint32(4, 0x9000000a);
  return f;
}
/** Deterministic PRNG so failures reproduce. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 2 ** 32;
  };
}

const sample: MuxMessage[] = [
  { kind: "Hello", version: 4, extensions: [["info", "0"]] },
  { kind: "SessionOpened", rid: 2, sid: 3 },
  { kind: "TtyAllocFail", sid: 3 },
  { kind: "ExtInfoReply", rid: 4, status: 1, message: "x".repeat(300) },
  { kind: "ExitMessage", sid: 3, exitValue: 42 },
];
const sampleFrames = sample.map(encodeMux);
const stream = concat(...sampleFrames);

function bodiesOf(chunks: Uint8Array[]): MuxMessage[] {
  const f = new MuxFramer();
  const out: MuxMessage[] = [];
  for (const c of chunks) for (const b of f.push(c)) out.push(decodeMux(b, "toClient"));
  f.end();
  assertEquals(f.buffered, 0);
  return out;
}

Deno.test("mux framer: frames split at every single boundary, byte by byte, and in random chunks", () => {
  assertEquals(bodiesOf([stream]), sample);
  for (let cut = 0; cut <= stream.length; cut++) {
    assertEquals(bodiesOf([stream.subarray(0, cut), stream.subarray(cut)]), sample, `cut ${cut}`);
  }
  assertEquals(bodiesOf([...stream].map((b) => Uint8Array.of(b))), sample);
  const rnd = prng(7);
  for (let round = 0; round < 200; round++) {
    const chunks: Uint8Array[] = [];
    for (let o = 0; o < stream.length;) {
      const n = Math.min(stream.length - o, Math.floor(rnd() * 64));
      chunks.push(stream.subarray(o, o + n)); // zero-length chunks included on purpose
      o += n;
    }
    assertEquals(bodiesOf(chunks), sample, `round ${round}`);
  }
});

Deno.test("mux framer: bodies are copies, the caller may reuse its read buffer", () => {
  const f = new MuxFramer();
  const buf = sampleFrames[1].slice();
  const [b] = f.push(buf);
  buf.fill(0xff);
  assertEquals(decodeMux(b, "toClient"), sample[1]);
});

Deno.test("mux framer: 262144-byte body accepted, 262145 rejected with SizeLimitError", () => {
  assertEquals(parseFrameLength(header(MUX_MAX_PACKET)), MUX_MAX_PACKET);
  assertThrows(() => parseFrameLength(header(MUX_MAX_PACKET + 1)), SizeLimitError);
  assertThrows(() => parseFrameLength(header(0xffffffff)), SizeLimitError);
  const f = new MuxFramer();
  const [big] = f.push(frameOfLength(MUX_MAX_PACKET));
  assertEquals(big.length, MUX_MAX_PACKET);
  assertThrows(() => f.push(header(MUX_MAX_PACKET + 1)), SizeLimitError);
  // Rejected as soon as the header is in: nothing of the body is awaited.
  assertThrows(() => new MuxFramer().push(header(MUX_MAX_PACKET + 1)), SizeLimitError);
});

Deno.test("mux framer: lengths below 4 are ProtocolErrors (no room for a type)", () => {
  for (let n = 0; n < 4; n++) {
    const e = assertThrows(() => parseFrameLength(header(n)));
    assertInstanceOf(e, ProtocolError);
    assertEquals(e instanceof SizeLimitError, false);
    assertThrows(() => new MuxFramer().push(concat(header(n), new Uint8Array(n))), ProtocolError);
  }
  assertEquals(parseFrameLength(header(4)), 4);
  assertThrows(() => parseFrameLength(new Uint8Array(3)), RangeError);
});

Deno.test("mux framer: good frames before a bad header are returned, then the error repeats", () => {
  const f = new MuxFramer();
  const out = f.push(concat(sampleFrames[1], sampleFrames[2], header(MUX_MAX_PACKET + 1)));
  assertEquals(out.map((b) => decodeMux(b, "toClient")), [sample[1], sample[2]]);
  assertThrows(() => f.push(new Uint8Array(0)), SizeLimitError);
  assertThrows(() => f.next(), SizeLimitError);
  assertThrows(() => f.end(), SizeLimitError);
});

Deno.test("mux framer: EOF inside a frame at every cut point is a DecodeError", () => {
  const frame = sampleFrames[3];
  for (let cut = 1; cut < frame.length; cut++) {
    const f = new MuxFramer();
    assertEquals(f.push(frame.subarray(0, cut)), []);
    assertThrows(() => f.end(), DecodeError, undefined, `cut ${cut}`);
  }
  new MuxFramer().end(); // nothing pending: a clean end
});

Deno.test("mux framer: bytesNeeded never asks past the end of the current frame", () => {
  // After each frame comes one byte that must not be consumed by the framer (a passed fd's
  // 1-byte message on the real socket).
  const marker = Uint8Array.of(0xee);
  const wire = concat(...sampleFrames.flatMap((f) => [f, marker]));
  const f = new MuxFramer();
  let pos = 0;
  const got: MuxMessage[] = [];
  while (pos < wire.length) {
    const n = f.bytesNeeded;
    if (n === 0) {
      got.push(decodeMux(f.next()!, "toClient"));
      assertEquals(wire[pos], 0xee, "frame ends exactly before the marker");
      pos++;
      continue;
    }
    // Read at most n, and sometimes less (short reads).
    const take = Math.max(1, Math.min(n, pos % 3 === 0 ? n : Math.ceil(n / 2)));
    f.append(wire.subarray(pos, pos + take));
    pos += take;
  }
  assertEquals(got, sample);
  assertThrows(() => {
    const g = new MuxFramer();
    g.append(header(MUX_MAX_PACKET + 1));
    return g.bytesNeeded;
  }, SizeLimitError);
});

Deno.test("mux framer: MUX_S_PROXY hands the rest of the stream to the proxy framer", () => {
  const payload = Uint8Array.of(94, 0, 0, 0, 0, 0, 0, 0, 2, 0x68, 0x69);
  const wire = concat(encodeMux({ kind: "ProxyOk", rid: 0 }), encodeProxyPacket(payload));
  const f = new MuxFramer();
  f.append(wire);
  assertEquals(decodeMux(f.next()!, "toClient"), { kind: "ProxyOk", rid: 0 });
  const p = new ProxyFramer();
  assertEquals(p.push(f.takeRemainder()), [payload]);
  assertEquals(f.buffered, 0);
  f.end();
  p.end();
});

// --- readMuxFrame ----------------------------------------------------------------------------

/** An exact reader over `data` that records every request. */
function exactReader(data: Uint8Array) {
  let pos = 0;
  const asked: number[] = [];
  return {
    asked,
    get pos() {
      return pos;
    },
    read: (n: number): Promise<Uint8Array | null> => {
      asked.push(n);
      if (pos >= data.length) return Promise.resolve(null);
      const out = data.slice(pos, Math.min(pos + n, data.length));
      pos += out.length;
      return Promise.resolve(out);
    },
  };
}

Deno.test("readMuxFrame: header then exactly the body, never more", async () => {
  const marker = Uint8Array.of(0, 0, 0); // three 1-byte fd messages follow NEW_SESSION
  const req = encodeMux({
    kind: "NewSession",
    rid: 2,
    reserved: new Uint8Array(0),
    wantTty: true,
    wantX11: false,
    wantAgent: false,
    subsystem: false,
    escapeChar: 0x7e,
    term: "xterm",
    command: "",
    env: [],
  });
  const r = exactReader(concat(req, marker, sampleFrames[1]));
  const b = await readMuxFrame(r.read);
  assertEquals(decodeMux(b!, "toMaster").kind, "NewSession");
  assertEquals(r.asked, [frameHeaderLength, req.length - 4]);
  assertEquals(r.pos, req.length, "stopped at the end of the frame");
});

Deno.test("readMuxFrame: clean EOF is null; EOF mid-header or mid-body is a DecodeError", async () => {
  assertEquals(await readMuxFrame(exactReader(new Uint8Array(0)).read), null);
  assertEquals(await readMuxFrame(() => Promise.resolve(null)), null);
  const frame = sampleFrames[3];
  for (let cut = 1; cut < frame.length; cut++) {
    const r = exactReader(frame.subarray(0, cut));
    let err: unknown;
    try {
      await readMuxFrame(r.read);
    } catch (e) {
      err = e;
    }
    assertInstanceOf(err, DecodeError, `cut ${cut}`);
  }
  // A reader that signals EOF with null (not a short tail) inside the body: same error.
  const replies: (Uint8Array | null)[] = [header(8), null];
  let err: unknown;
  await readMuxFrame(() => Promise.resolve(replies.shift()!)).catch((e) => err = e);
  assertInstanceOf(err, DecodeError);
});

Deno.test("readMuxFrame: a bad length throws before any body byte is read", async () => {
  const r = exactReader(concat(header(MUX_MAX_PACKET + 1), new Uint8Array(16)));
  let err: unknown;
  await readMuxFrame(r.read).catch((e) => err = e);
  assertInstanceOf(err, SizeLimitError);
  assertEquals(r.asked, [4]);
  const r2 = exactReader(header(2));
  await readMuxFrame(r2.read).catch((e) => err = e);
  assertInstanceOf(err, ProtocolError);
  // A callback that over-reads is a caller bug, reported as such.
  await readMuxFrame(() => Promise.resolve(new Uint8Array(5))).catch((e) => err = e);
  assertInstanceOf(err, RangeError);
});

Deno.test("readMuxFrame: reads a stream of frames one by one to a clean end", async () => {
  const r = exactReader(stream);
  const got: MuxMessage[] = [];
  for (let b = await readMuxFrame(r.read); b !== null; b = await readMuxFrame(r.read)) {
    got.push(decodeMux(b, "toClient"));
  }
  assertEquals(got, sample);
});

// --- proxy framing -----------------------------------------------------------------------------

Deno.test("proxy framing: u32 len | u8 0 | payload, round trip across chunk splits", () => {
  const payloads = [
    Uint8Array.of(90, 0, 0, 0, 7, 0x73, 0x65, 0x73, 0x73, 0x69, 0x6f, 0x6e, 0, 0, 0, 77),
    Uint8Array.of(96, 0, 0, 0, 1),
    new Uint8Array(1000).fill(94),
  ];
  const first = encodeProxyPacket(payloads[1]);
  assertEquals([...first], [0, 0, 0, 6, 0, 96, 0, 0, 0, 1]);
  const wire = concat(...payloads.map((p) => encodeProxyPacket(p)));
  for (let cut = 0; cut <= wire.length; cut += 7) {
    const p = new ProxyFramer();
    const got = [...p.push(wire.subarray(0, cut)), ...p.push(wire.subarray(cut))];
    assertEquals(got, payloads, `cut ${cut}`);
    p.end();
  }
});

Deno.test("proxy framing: 5 <= length <= 256 KiB, padding must be 0", () => {
  const withLength = (n: number, pad = 0) => {
    const b = new Uint8Array(4 + n).fill(0x5e);
    new DataView(b.buffer).setUint32(0, n);
    b[4] = pad;
    return b;
  };
  assertEquals(new ProxyFramer().push(withLength(5))[0].length, 4);
  assertEquals(new ProxyFramer().push(withLength(256 * 1024))[0].length, 256 * 1024 - 1);
  assertThrows(() => new ProxyFramer().push(withLength(256 * 1024 + 1)), SizeLimitError);
  for (let n = 0; n < 5; n++) {
    const e = assertThrows(() => new ProxyFramer().push(withLength(n)));
    assertInstanceOf(e, ProtocolError);
  }
  assertThrows(() => new ProxyFramer().push(withLength(8, 4)), ProtocolError);
  // The bad packet stays and keeps failing; good packets before it come out first.
  const p = new ProxyFramer();
  assertEquals(p.push(concat(withLength(6), withLength(6, 1))).length, 1);
  assertThrows(() => p.next(), ProtocolError);
  // Encode refuses what any receiver would drop.
  assertThrows(() => encodeProxyPacket(new Uint8Array(0)), RangeError);
  assertThrows(() => encodeProxyPacket(new Uint8Array(256 * 1024)), RangeError);
  assertEquals(encodeProxyPacket(new Uint8Array(256 * 1024 - 1)).length, 4 + 256 * 1024);
});

Deno.test("proxy framing: a master reading a proxy client accepts a bare 1-byte message", () => {
  // e.g. SSH_MSG_REQUEST_FAILURE (82): channels.c only needs padding + type (length 2).
  const bare = encodeProxyPacket(Uint8Array.of(82));
  assertEquals([...bare], [0, 0, 0, 2, 0, 82]);
  assertThrows(() => new ProxyFramer().push(bare), ProtocolError); // the stock client's rule
  const downstream = new ProxyFramer({ minPacketLength: MUX_PROXY_MIN_DOWNSTREAM_PACKET });
  assertEquals(downstream.push(bare), [Uint8Array.of(82)]);
  assertThrows(() => downstream.push(Uint8Array.of(0, 0, 0, 1, 0)), ProtocolError);
  assertThrows(() => new ProxyFramer({ minPacketLength: 1 }), RangeError);
});

Deno.test("proxy framing: EOF inside a packet is a DecodeError; bytesNeeded is exact", () => {
  const pkt = encodeProxyPacket(Uint8Array.of(98, 0, 0, 0, 1, 0, 0, 0, 4, 0x65, 0x78, 0x69, 0x74));
  for (let cut = 1; cut < pkt.length; cut++) {
    const p = new ProxyFramer();
    p.append(pkt.subarray(0, cut));
    assertEquals(p.bytesNeeded, cut < 4 ? 4 - cut : pkt.length - cut);
    assertThrows(() => p.end(), DecodeError);
  }
});
