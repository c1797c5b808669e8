// Fuzz-style loops over every connection-protocol parser: random and mutated payloads must give
// a decoded message or a typed ProtocolError, never another exception, never a hang.

import { assert } from "@std/assert";
import { ProtocolError } from "../../lib/errors.ts";
import {
  decodeConnectionMessage,
  encodeChannelOpen,
  encodeChannelReply,
  encodeChannelRequest,
  encodeClose,
  encodeData,
  encodeEof,
  encodeExtendedData,
  encodeGlobalRequest,
  encodeOpenConfirmation,
  encodeOpenFailure,
  encodeRequestReply,
  encodeWindowAdjust,
  SshConnection,
} from "../../lib/ssh/connection/mod.ts";
import { ScriptedPeer } from "../helpers/scripted_peer.ts";
import { decodeExitSignal, decodeExitStatus } from "../../lib/ssh/session/mod.ts";
import { WireWriter } from "../../lib/wire/writer.ts";

// Deterministic PRNG so a failure reproduces.
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s;
  };
}

const enc = new TextEncoder();

function samples(): Uint8Array[] {
  return [
    encodeGlobalRequest("tcpip-forward", true, new WireWriter().string("x").u32(0).finish()),
    encodeRequestReply(true, Uint8Array.of(0, 0, 1, 2)),
    encodeRequestReply(false),
    encodeChannelOpen("forwarded-tcpip", 3, 1000, 100, enc.encode("abc")),
    encodeOpenConfirmation(0, 9, 1000, 32768),
    encodeOpenFailure(0, 2, "refused"),
    encodeWindowAdjust(0, 5),
    encodeData(0, enc.encode("data")),
    encodeExtendedData(0, 1, enc.encode("err")),
    encodeEof(0),
    encodeClose(0),
    encodeChannelRequest(0, "exit-status", false, Uint8Array.of(0, 0, 0, 1)),
    encodeChannelReply(0, true),
    encodeChannelReply(0, false),
  ];
}

function mutate(src: Uint8Array, next: () => number): Uint8Array {
  const b = src.slice();
  switch (next() % 4) {
    case 0: // truncate
      return b.subarray(0, next() % (b.length + 1));
    case 1: // flip bytes
      for (let i = 0, n = 1 + next() % 4; i < n && b.length > 1; i++) {
        b[1 + next() % (b.length - 1)] = next() & 0xff;
      }
      return b;
    case 2: { // append garbage
      const extra = new Uint8Array(next() % 16).map(() => next() & 0xff);
      const out = new Uint8Array(b.length + extra.length);
      out.set(b);
      out.set(extra, b.length);
      return out;
    }
    default: { // huge length field somewhere after the type byte
      if (b.length >= 5) new DataView(b.buffer).setUint32(1 + next() % (b.length - 4), next());
      return b;
    }
  }
}

function decodeOk(p: Uint8Array, decode: (p: Uint8Array) => unknown): void {
  try {
    decode(p);
  } catch (e) {
    assert(e instanceof ProtocolError, `non-protocol error ${e} for ${Array.from(p)}`);
  }
}

Deno.test("decodeConnectionMessage: random and mutated payloads give only ProtocolError", () => {
  const next = rng(12345);
  for (let i = 0; i < 20000; i++) {
    const len = next() % 40;
    const p = new Uint8Array(len).map(() => next() & 0xff);
    if (len > 0) p[0] = 80 + next() % 48;
    decodeOk(p, decodeConnectionMessage);
  }
  for (const s of samples()) {
    decodeConnectionMessage(s); // valid samples decode
    for (let i = 0; i < 2000; i++) decodeOk(mutate(s, next), decodeConnectionMessage);
  }
});

Deno.test("session request decoders: only ProtocolError", () => {
  const next = rng(777);
  const good = new WireWriter().string("KILL").bool(true).string("msg").string("").finish();
  for (let i = 0; i < 5000; i++) {
    decodeOk(mutate(good, next), decodeExitSignal);
    decodeOk(mutate(Uint8Array.of(0, 0, 0, 0), next), decodeExitStatus);
    decodeOk(new Uint8Array(next() % 12).map(() => next() & 0xff), decodeExitSignal);
  }
});

Deno.test("SshConnection fed mutated messages: ends with ProtocolError or stays up, no crash", async () => {
  const next = rng(4242);
  for (let round = 0; round < 150; round++) {
    const peer = new ScriptedPeer();
    const conn = new SshConnection(peer.local);
    const opening = conn.openChannel("session", new Uint8Array(0));
    const { localId } = await peer.acceptOpen(1000, 100);
    const ch = await opening;
    const reading = (async () => {
      try {
        while ((await ch.read()) !== null) { /* drain */ }
      } catch { /* connection ended */ }
    })();
    for (let i = 0; i < 20; i++) {
      const s = samples()[next() % samples().length];
      const m = mutate(s, next);
      // Keep recipient ids mostly valid so channel code paths run, not just "unknown channel".
      if (m.length >= 5 && m[0] >= 91 && m[0] <= 100 && next() % 2) {
        new DataView(m.buffer, m.byteOffset).setUint32(1, localId);
      }
      await peer.send(m).catch(() => {});
    }
    conn.close();
    const err = await conn.closed;
    assert(err === null || err instanceof ProtocolError, `unexpected ${err}`);
    await reading;
  }
});
