// Fuzz-style loops over the mux codecs and framers: random valid messages, mutated encodings and
// random bytes. Valid messages must round-trip; anything else may only fail with a
// ProtocolError subclass, never crash, never hang, and whatever decodes must re-encode to the
// same message. Seeded, so a failure reproduces.

import { assert, assertEquals } from "@std/assert";
import { ProtocolError } from "../../lib/errors.ts";
import { ESCAPE_NONE, PORT_STREAMLOCAL } from "../../lib/mux/constants.ts";
import { decodeMux } from "../../lib/mux/decode.ts";
import { encodeMux } from "../../lib/mux/encode.ts";
import type { MuxDirection, MuxMessage, MuxReply, MuxRequest } from "../../lib/mux/messages.ts";
import { MuxFramer, readMuxFrame } from "../../lib/mux/framer.ts";
import { encodeProxyPacket, ProxyFramer } from "../../lib/mux/proxy_framing.ts";

type Rng = () => number;
function prng(seed: number): Rng {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 2 ** 32;
  };
}
const int = (r: Rng, n: number) => Math.floor(r() * n);
const pick = <T>(r: Rng, xs: readonly T[]): T => xs[int(r, xs.length)];
const u32 = (r: Rng) =>
  pick(r, [0, 1, 2, 0x7e, 65535, 0x7fffffff, 0xfffffffe, 0xffffffff, int(r, 2 ** 32)]);
const port = (r: Rng) => pick(r, [0, 22, 1080, 65535, PORT_STREAMLOCAL]);
const alphabet = ["a", "Z", "0", "=", " ", "/", "~", "\t", "é", "✓", "😀", "\r\n"];
const text = (r: Rng, max = 12) =>
  Array.from({ length: int(r, max) }, () => pick(r, alphabet)).join("");
const raw = (r: Rng, max = 8) => Uint8Array.from({ length: int(r, max) }, () => int(r, 256));

function randomRequest(r: Rng): MuxRequest {
  const rid = u32(r);
  switch (int(r, 11)) {
    case 0:
      return {
        kind: "Hello",
        version: u32(r),
        extensions: Array.from({ length: int(r, 3) }, () => [text(r), text(r)]),
      };
    case 1:
      return {
        kind: "NewSession",
        rid,
        reserved: raw(r),
        wantTty: r() < 0.5,
        wantX11: r() < 0.5,
        wantAgent: r() < 0.5,
        subsystem: r() < 0.5,
        escapeChar: pick(r, [0x7e, ESCAPE_NONE, u32(r)]),
        term: text(r),
        command: text(r, 30),
        env: Array.from({ length: int(r, 4) }, () => `${text(r, 4)}=${text(r)}`),
      };
    case 2:
      return { kind: "AliveCheck", rid };
    case 3:
      return { kind: "Terminate", rid };
    case 4:
    case 5:
      return {
        kind: r() < 0.5 ? "OpenFwd" : "CloseFwd",
        rid,
        fwdType: pick(r, [1, 2, 3, u32(r)]),
        listenHost: text(r),
        listenPort: port(r),
        connectHost: text(r),
        connectPort: port(r),
      };
    case 6:
      return {
        kind: "NewStdioFwd",
        rid,
        reserved: raw(r),
        connectHost: text(r),
        connectPort: pick(r, [0, 22, 0x7fffffff, PORT_STREAMLOCAL]),
      };
    case 7:
      return { kind: "StopListening", rid };
    case 8:
      return { kind: "Proxy", rid };
    case 9:
      return { kind: "ExtInfoRequest", rid, name: pick(r, ["connection", "channels", text(r)]) };
    default:
      return {
        kind: "Unknown",
        type: pick(r, [0x1000000a, 0x10000003, 0x30000000]),
        rid,
        data: raw(r),
      };
  }
}

function randomReply(r: Rng): MuxReply {
  const rid = u32(r);
  switch (int(r, 12)) {
    case 0:
      return { kind: "Hello", version: 4, extensions: r() < 0.5 ? [] : [["info", "0"]] };
    case 1:
      return { kind: "Ok", rid };
    case 2:
      return { kind: "PermissionDenied", rid, reason: text(r) };
    case 3:
      return { kind: "Failure", rid, reason: text(r) };
    case 4:
      return { kind: "ExitMessage", sid: u32(r), exitValue: u32(r) };
    case 5:
      return { kind: "Alive", rid, pid: u32(r) };
    case 6:
      return { kind: "SessionOpened", rid, sid: u32(r) };
    case 7:
      return { kind: "RemotePort", rid, port: port(r) };
    case 8:
      return { kind: "TtyAllocFail", sid: u32(r) };
    case 9:
      return { kind: "ProxyOk", rid };
    case 10:
      return { kind: "ExtInfoReply", rid, status: int(r, 2), message: text(r, 40) };
    default:
      return { kind: "Unknown", type: pick(r, [0x8000000a, 0x9000000f]), rid, data: raw(r) };
  }
}

/** Mutates a valid frame the ways real corruption and hostile peers do. */
function mutate(r: Rng, frame: Uint8Array): Uint8Array {
  const b = frame.slice();
  switch (int(r, 6)) {
    case 0: // flip a few bits, the length field included
      for (let i = int(r, 4) + 1; i > 0; i--) b[int(r, b.length)] ^= 1 << int(r, 8);
      return b;
    case 1: // truncate
      return b.subarray(0, int(r, b.length));
    case 2: { // append junk and fix the length so the junk is inside the frame
      const out = new Uint8Array(b.length + 1 + int(r, 12));
      out.set(b);
      for (let i = b.length; i < out.length; i++) out[i] = int(r, 256);
      new DataView(out.buffer).setUint32(0, out.length - 4);
      return out;
    }
    case 3: { // overwrite an aligned word (lengths, ports, bools) with an edge value
      if (b.length >= 8) {
        const at = 4 + 4 * int(r, (b.length - 4) >> 2);
        if (at + 4 <= b.length) new DataView(b.buffer).setUint32(at, u32(r));
      }
      return b;
    }
    case 4: { // shrink the frame and its length together (cuts a field short inside the body)
      const keep = 4 + int(r, b.length - 3);
      const out = b.slice(0, keep);
      new DataView(out.buffer).setUint32(0, keep - 4);
      return out;
    }
    default: // random bytes with a plausible length
      return Uint8Array.from({ length: int(r, 40) }, (_, i) => (i < 3 ? 0 : int(r, 256)));
  }
}

function expectTyped(e: unknown, what: string): void {
  if (!(e instanceof ProtocolError)) {
    throw new Error(`${what}: untyped error ${e instanceof Error ? e.stack : String(e)}`);
  }
}

/** Decodes in one direction; what decodes must re-encode to something that decodes equal. */
function decodeChecked(body: Uint8Array, direction: MuxDirection): MuxMessage | null {
  let m: MuxMessage;
  try {
    m = decodeMux(body, direction);
  } catch (e) {
    expectTyped(e, `decode ${direction}`);
    return null;
  }
  assertEquals(decodeMux(encodeMux(m).subarray(4), direction), m, `re-encode ${m.kind}`);
  return m;
}

function chunked(r: Rng, data: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let o = 0; o < data.length;) {
    const n = 1 + int(r, 24);
    out.push(data.subarray(o, o + n));
    o += n;
  }
  return out;
}

Deno.test("mux fuzz: random valid messages round-trip through the framer in random chunks", () => {
  const r = prng(0x5eed);
  for (let i = 0; i < 3000; i++) {
    const toMaster = r() < 0.5;
    const msgs = Array.from(
      { length: 1 + int(r, 4) },
      () => toMaster ? randomRequest(r) : randomReply(r),
    );
    const wire = msgs.map(encodeMux);
    const f = new MuxFramer();
    const got: MuxMessage[] = [];
    for (const c of chunked(r, concatAll(wire))) {
      for (const b of f.push(c)) got.push(decodeMux(b, toMaster ? "toMaster" : "toClient"));
    }
    f.end();
    assertEquals(got, msgs);
  }
});

Deno.test("mux fuzz: 20k mutated and random frames give only ProtocolErrors, no hang", () => {
  const r = prng(20240601);
  const started = performance.now();
  let decoded = 0, rejected = 0;
  for (let i = 0; i < 20000; i++) {
    const seedMsg = r() < 0.5 ? randomRequest(r) : randomReply(r);
    const frame = mutate(r, encodeMux(seedMsg));
    // Straight decode of the body in both directions.
    for (const direction of ["toMaster", "toClient"] as const) {
      decodeChecked(frame.subarray(Math.min(4, frame.length)), direction) ? decoded++ : rejected++;
    }
    // Through the framer, split at random, followed by a valid frame.
    const f = new MuxFramer();
    try {
      for (const c of chunked(r, concatAll([frame, encodeMux({ kind: "Ok", rid: 1 })]))) {
        for (const b of f.push(c)) decodeChecked(b, "toClient");
      }
      f.end();
    } catch (e) {
      expectTyped(e, "framer");
    }
    // The same bytes as proxy-mode input.
    const p = new ProxyFramer();
    try {
      p.push(frame);
      p.end();
    } catch (e) {
      expectTyped(e, "proxy framer");
    }
  }
  assert(decoded > 1000 && rejected > 1000, `exercised both outcomes: ${decoded}/${rejected}`);
  assert(performance.now() - started < 20000, "no pathological slowness");
});

Deno.test("mux fuzz: readMuxFrame over mutated streams stops cleanly or with a ProtocolError", async () => {
  const r = prng(99);
  for (let i = 0; i < 2000; i++) {
    const data = concatAll(
      Array.from({ length: 1 + int(r, 3) }, () => mutate(r, encodeMux(randomReply(r)))),
    );
    let pos = 0;
    const read = (n: number) => {
      assert(n <= 256 * 1024, "never asks for more than a capped frame");
      const out = data.slice(pos, pos + n);
      pos += out.length;
      return Promise.resolve(out.length === 0 ? null : out);
    };
    try {
      for (let frames = 0; frames < 16; frames++) {
        const b = await readMuxFrame(read);
        if (b === null) break;
        decodeChecked(b, "toClient");
      }
    } catch (e) {
      expectTyped(e, "readMuxFrame");
    }
  }
});

Deno.test("proxy fuzz: random payloads round-trip, mutated streams fail typed", () => {
  const r = prng(4242);
  for (let i = 0; i < 2000; i++) {
    const payloads = Array.from({ length: 1 + int(r, 3) }, () => {
      const p = raw(r, 64);
      return p.length >= 4 ? p : Uint8Array.of(94, 0, 0, 0, ...p);
    });
    const wire = concatAll(payloads.map((p) => encodeProxyPacket(p)));
    const p = new ProxyFramer();
    const got = chunked(r, wire).flatMap((c) => p.push(c));
    p.end();
    assertEquals(got, payloads);
    const q = new ProxyFramer();
    try {
      q.push(mutate(r, wire));
      q.end();
    } catch (e) {
      expectTyped(e, "proxy");
    }
  }
});

function concatAll(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
