// PROTOCOL.mux codec rules for malformed and edge input: u32 bools, NUL in C strings, port
// ranges, env and extension lists, trailing bytes, and what the encoder refuses to produce.

import { assert, assertEquals, assertThrows } from "@std/assert";
import { DecodeError } from "../../lib/errors.ts";
import {
  ESCAPE_NONE,
  MUX_MAX_ENV_VARS,
  MUX_MAX_HELLO_EXTENSIONS,
  PORT_STREAMLOCAL,
} from "../../lib/mux/constants.ts";
import { decodeMux } from "../../lib/mux/decode.ts";
import { encodeMux } from "../../lib/mux/encode.ts";
import type { MuxMessage, MuxNewSession } from "../../lib/mux/messages.ts";

// --- helpers: hex words and quoted text, as the reference writes captures -------------------

const enc = new TextEncoder();
function hx(words: string): number[] {
  const digits = words.replace(/\s+/g, "");
  const out: number[] = [];
  for (let i = 0; i < digits.length; i += 2) out.push(parseInt(digits.slice(i, i + 2), 16));
  return out;
}
/** Builds bytes from hex strings and {t: "text"} parts. */
function bytes(...parts: (string | { t: string })[]): Uint8Array {
  const out: number[] = [];
  for (const p of parts) out.push(...(typeof p === "string" ? hx(p) : enc.encode(p.t)));
  return Uint8Array.from(out);
}
const t = (s: string) => ({ t: s });
const body = (frame: Uint8Array) => frame.subarray(4);
const u32 = (n: number) => n.toString(16).padStart(8, "0");

function hex(b: Uint8Array): string {
  return [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
}

const captureSession: MuxNewSession = {
  kind: "NewSession",
  rid: 0,
  reserved: new Uint8Array(0),
  wantTty: false,
  wantX11: false,
  wantAgent: false,
  subsystem: false,
  escapeChar: ESCAPE_NONE,
  term: "xterm",
  command: "echo out; echo err >&2; exit 42",
  env: ["_XXX_TEST=blah", "NOTSENT=1"],
};

// --- encoding rules ------------------------------------------------------------------------------

Deno.test("mux codec: bools are u32 on the wire and any nonzero value decodes as true", () => {
  const frame = encodeMux({ ...captureSession, wantTty: true, wantX11: false, wantAgent: true });
  // type, rid, reserved, then the four bool words.
  assertEquals(hex(frame.subarray(16, 32)), "00000001" + "00000000" + "00000001" + "00000000");
  const b = body(frame).slice();
  b.set(hx("00000002 80000000 ffffffff 00000100"), 12);
  const d = decodeMux(b, "toMaster") as MuxNewSession;
  assertEquals([d.wantTty, d.wantX11, d.wantAgent, d.subsystem], [true, true, true, true]);
});

Deno.test("mux codec: NUL inside a C string is rejected on decode and refused on encode", () => {
  const withNul = (s: string) => bytes("80000003 00000001", u32(s.length), t(s));
  assertThrows(() => decodeMux(withNul("bad\0reason"), "toClient"), DecodeError);
  // The same bytes in a field OpenSSH reads as raw (HELLO extension value) are fine.
  const hello = bytes("00000001 00000004 00000001", t("x"), "00000003 610062");
  assertEquals(decodeMux(hello, "toClient"), {
    kind: "Hello",
    version: 4,
    extensions: [["x", "a\0b"]],
  });
  for (const field of ["term", "command"] as const) {
    const b = body(encodeMux({ ...captureSession, [field]: "ok" }));
    assert(decodeMux(b, "toMaster"));
    assertThrows(() => encodeMux({ ...captureSession, [field]: "n\0" }), RangeError);
  }
  assertThrows(() => encodeMux({ ...captureSession, env: ["A=\0"] }), RangeError);
  const envNul = bytes(hex(body(encodeMux(captureSession))), "00000003 410000");
  assertThrows(() => decodeMux(envNul, "toMaster"), DecodeError);
  assertThrows(
    () => encodeMux({ kind: "Hello", version: 4, extensions: [["a\0", ""]] }),
    RangeError,
  );
  const extNul = bytes("00000001 00000004 00000002 6100 00000000");
  assertThrows(() => decodeMux(extNul, "toMaster"), DecodeError);
});

Deno.test("mux codec: encode refuses non-u32 numbers and out-of-range ports", () => {
  assertThrows(() => encodeMux({ kind: "Ok", rid: -1 }), RangeError);
  assertThrows(() => encodeMux({ kind: "Ok", rid: 2 ** 32 }), RangeError);
  assertThrows(() => encodeMux({ kind: "Alive", rid: 1, pid: 1.5 }), RangeError);
  const fwd = {
    kind: "OpenFwd" as const,
    rid: 0,
    fwdType: 1,
    listenHost: "",
    listenPort: 1,
    connectHost: "h",
    connectPort: 2,
  };
  assertThrows(() => encodeMux({ ...fwd, listenPort: 65536 }), RangeError);
  assertThrows(() => encodeMux({ ...fwd, connectPort: 0xffffffff }), RangeError);
  const stdio = {
    kind: "NewStdioFwd" as const,
    rid: 0,
    reserved: new Uint8Array(0),
    connectHost: "h",
  };
  assertThrows(() => encodeMux({ ...stdio, connectPort: 0x80000000 }), RangeError);
  assertThrows(() => encodeMux({ ...captureSession, command: "x".repeat(256 * 1024) }), RangeError);
});

// --- decoding rules --------------------------------------------------------------------------------

Deno.test("mux codec: OPEN_FWD/CLOSE_FWD ports over 65535 are malformed, 0xfffffffe is a path", () => {
  const fwd = (type: string, lport: string, cport: string) =>
    bytes(type, "00000000 00000001 00000001", t("l"), lport, "00000001", t("c"), cport);
  for (const type of ["10000006", "10000007"]) {
    assert(decodeMux(fwd(type, "0000ffff", "fffffffe"), "toMaster"));
    assertThrows(() => decodeMux(fwd(type, "00010000", "00000001"), "toMaster"), DecodeError);
    assertThrows(() => decodeMux(fwd(type, "00000001", "ffffffff"), "toMaster"), DecodeError);
    assertThrows(() => decodeMux(fwd(type, "fffffffd", "00000001"), "toMaster"), DecodeError);
  }
});

Deno.test("mux codec: NEW_STDIO_FWD port above INT_MAX is malformed unless PORT_STREAMLOCAL", () => {
  const stdio = (port: string) => bytes("10000008 00000000 00000000 00000001", t("h"), port);
  assertEquals(
    (decodeMux(stdio("7fffffff"), "toMaster") as { connectPort: number }).connectPort,
    0x7fffffff,
  );
  assertEquals(
    (decodeMux(stdio("fffffffe"), "toMaster") as { connectPort: number }).connectPort,
    PORT_STREAMLOCAL,
  );
  assertThrows(() => decodeMux(stdio("80000000"), "toMaster"), DecodeError);
  assertThrows(() => decodeMux(stdio("ffffffff"), "toMaster"), DecodeError);
});

Deno.test("mux codec: env strings run to the end of NEW_SESSION, the first 4096 are kept", () => {
  const env = Array.from({ length: MUX_MAX_ENV_VARS + 50 }, (_, i) => `V${i}=${i}`);
  const d = decodeMux(body(encodeMux({ ...captureSession, env })), "toMaster") as MuxNewSession;
  assertEquals(d.env.length, MUX_MAX_ENV_VARS);
  assertEquals(d.env, env.slice(0, MUX_MAX_ENV_VARS));
  // A truncated env string is malformed, even the first one.
  const b = body(encodeMux({ ...captureSession, env: ["A=1"] }));
  assertThrows(() => decodeMux(b.subarray(0, b.length - 1), "toMaster"), DecodeError);
});

Deno.test("mux codec: HELLO keeps unknown extensions for the caller, rejects a malformed list", () => {
  const ext = (...pairs: [string, string][]) =>
    body(encodeMux({ kind: "Hello", version: 4, extensions: pairs }));
  assertEquals(
    (decodeMux(ext(["future@x", "v"], ["info", "0"]), "toClient") as { extensions: unknown })
      .extensions,
    [["future@x", "v"], ["info", "0"]],
  );
  // A name without a value, a dangling byte, and a value length past the end are all malformed.
  assertThrows(
    () => decodeMux(bytes("00000001 00000004 00000004", t("info")), "toClient"),
    DecodeError,
  );
  assertThrows(() => decodeMux(bytes("00000001 00000004 00"), "toMaster"), DecodeError);
  assertThrows(
    () => decodeMux(bytes("00000001 00000004 00000001", t("a"), "00000009 30"), "toClient"),
    DecodeError,
  );
  // Version is reported, not judged: the caller drops (master) or fails hello (client).
  assertEquals(decodeMux(bytes("00000001 00000003"), "toClient"), {
    kind: "Hello",
    version: 3,
    extensions: [],
  });
  const many = Array.from({ length: MUX_MAX_HELLO_EXTENSIONS + 3 }, (_, i) =>
    [`e${i}`, ""] as [
      string,
      string,
    ]);
  const d = decodeMux(ext(...many), "toClient") as { extensions: unknown[] };
  assertEquals(d.extensions.length, MUX_MAX_HELLO_EXTENSIONS);
});

Deno.test("mux codec: trailing bytes after a known message are ignored (forward compatibility)", () => {
  const plus = (m: MuxMessage) => bytes(hex(body(encodeMux(m))), "00000001 00000000");
  assertEquals(decodeMux(plus({ kind: "Alive", rid: 1, pid: 2 }), "toClient"), {
    kind: "Alive",
    rid: 1,
    pid: 2,
  });
  assertEquals(decodeMux(plus({ kind: "ExitMessage", sid: 1, exitValue: 3 }), "toClient"), {
    kind: "ExitMessage",
    sid: 1,
    exitValue: 3,
  });
  assertEquals(decodeMux(plus({ kind: "AliveCheck", rid: 1 }), "toMaster"), {
    kind: "AliveCheck",
    rid: 1,
  });
});
