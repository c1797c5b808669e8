// PROTOCOL.mux message codecs: byte-exact against OpenSSH 9.2 captures
// (../shared/reference/openssh-mux.md §2.4, §8), round trips, and the malformed-input rules.

import { assert, assertEquals, assertInstanceOf, assertThrows } from "@std/assert";
import { DecodeError } from "../../lib/errors.ts";
import {
  ESCAPE_NONE,
  MUX_C_ALIVE_CHECK,
  MUX_C_NEW_SESSION,
  MUX_C_PROXY,
  MUX_FWD_DYNAMIC,
  MUX_FWD_LOCAL,
  MUX_FWD_REMOTE,
  MUX_S_EXT_INFO,
  MUX_S_OK,
  muxTypeName,
  PORT_STREAMLOCAL,
  SSHMUX_VER,
} from "../../lib/mux/constants.ts";
import { decodeMux } from "../../lib/mux/decode.ts";
import { encodeMux, muxMessageType } from "../../lib/mux/encode.ts";
import type { MuxDirection, MuxMessage, MuxNewSession } from "../../lib/mux/messages.ts";
import { MuxRequestRefused } from "../../lib/mux/errors.ts";

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

function assertFrame(msg: MuxMessage, expected: Uint8Array, direction: MuxDirection) {
  const frame = encodeMux(msg);
  assertEquals(hex(frame), hex(expected), `encode ${msg.kind}`);
  assertEquals(decodeMux(body(expected), direction), msg, `decode ${msg.kind}`);
}
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

// --- byte-exact captures ---------------------------------------------------------------------

Deno.test("mux codec: NEW_SESSION matches the 9.2 capture with two env strings", () => {
  const capture = bytes(
    "0000006b 10000002 00000000 00000000 00000000 00000000 00000000 00000000 ffffffff",
    "00000005",
    t("xterm"),
    "0000001f",
    t("echo out; echo err >&2; exit 42"),
    "0000000e",
    t("_XXX_TEST=blah"),
    "00000009",
    t("NOTSENT=1"),
  );
  assertFrame(captureSession, capture, "toMaster");
});

Deno.test("mux codec: HELLO 9.2 (no extensions) and 10.3 (info=0) captures", () => {
  assertFrame(
    { kind: "Hello", version: SSHMUX_VER, extensions: [] },
    bytes("00000008 00000001 00000004"),
    "toClient",
  );
  const hello103 = bytes("00000015 00000001 00000004 00000004", t("info"), "00000001", t("0"));
  assertFrame({ kind: "Hello", version: 4, extensions: [["info", "0"]] }, hello103, "toClient");
  // The master reads a client HELLO with the same layout.
  assertEquals(decodeMux(body(hello103), "toMaster"), {
    kind: "Hello",
    version: 4,
    extensions: [["info", "0"]],
  });
});

Deno.test("mux codec: ALIVE_CHECK / ALIVE captures", () => {
  assertFrame({ kind: "AliveCheck", rid: 7 }, bytes("00000008 10000004 00000007"), "toMaster");
  assertFrame(
    { kind: "Alive", rid: 7, pid: 0x3b2b },
    bytes("0000000c 80000005 00000007 00003b2b"),
    "toClient",
  );
});

Deno.test("mux codec: unknown request decodes with its rid; the FAILURE reply capture", () => {
  const unknownReq = bytes("0000000c 1000000a 00000008 deadbeef");
  assertEquals(decodeMux(body(unknownReq), "toMaster"), {
    kind: "Unknown",
    type: 0x1000000a,
    rid: 8,
    data: Uint8Array.of(0xde, 0xad, 0xbe, 0xef),
  });
  assertEquals(decodeMux(bytes("1000000a 00000008"), "toMaster"), {
    kind: "Unknown",
    type: 0x1000000a,
    rid: 8,
    data: new Uint8Array(0),
  });
  assertFrame(
    { kind: "Failure", rid: 8, reason: "unsupported request" },
    bytes("0000001f 80000003 00000008 00000013", t("unsupported request")),
    "toClient",
  );
});

Deno.test("mux codec: session-opened, tty-alloc-fail, exit-message, failure captures", () => {
  assertFrame(
    { kind: "SessionOpened", rid: 0, sid: 2 },
    bytes("0000000c 80000006 00000000 00000002"),
    "toClient",
  );
  assertFrame({ kind: "TtyAllocFail", sid: 2 }, bytes("00000008 80000008 00000002"), "toClient");
  assertFrame(
    { kind: "ExitMessage", sid: 2, exitValue: 42 },
    bytes("0000000c 80000004 00000002 0000002a"),
    "toClient",
  );
  assertFrame(
    { kind: "Failure", rid: 3, reason: "Multiple sessions not supported" },
    bytes("0000002b 80000003 00000003 0000001f", t("Multiple sessions not supported")),
    "toClient",
  );
  assertFrame(
    { kind: "Failure", rid: 1, reason: "Session open refused by peer" },
    bytes("00000028 80000003 00000001 0000001c", t("Session open refused by peer")),
    "toClient",
  );
  assertFrame({ kind: "ProxyOk", rid: 5 }, bytes("00000008 8000000f 00000005"), "toClient");
  assertFrame({ kind: "Terminate", rid: 0 }, bytes("00000008 10000005 00000000"), "toMaster");
});

Deno.test("mux codec: -O forward -D 1080 and -R 0:127.0.0.1:22 captures", () => {
  assertFrame(
    {
      kind: "OpenFwd",
      rid: 0,
      fwdType: MUX_FWD_DYNAMIC,
      listenHost: "",
      listenPort: 1080,
      connectHost: "socks",
      connectPort: 0,
    },
    bytes("00000021 10000006 00000000 00000003 00000000 00000438 00000005", t("socks"), "00000000"),
    "toMaster",
  );
  assertFrame(
    {
      kind: "OpenFwd",
      rid: 1,
      fwdType: MUX_FWD_REMOTE,
      listenHost: "",
      listenPort: 0,
      connectHost: "127.0.0.1",
      connectPort: 22,
    },
    bytes(
      "00000025 10000006 00000001 00000002 00000000 00000000 00000009",
      t("127.0.0.1"),
      "00000016",
    ),
    "toMaster",
  );
});

Deno.test("mux codec: NEW_STDIO_FWD carries the port as a u32 (9.2 capture)", () => {
  assertFrame(
    {
      kind: "NewStdioFwd",
      rid: 1,
      reserved: new Uint8Array(0),
      connectHost: "127.0.0.1",
      connectPort: 0x56ce,
    },
    bytes("0000001d 10000008 00000001 00000000 00000009", t("127.0.0.1"), "000056ce"),
    "toMaster",
  );
});

// --- round trips of every message --------------------------------------------------------------

const requests: MuxMessage[] = [
  { kind: "Hello", version: 4, extensions: [["info", "0"], ["x-sshmux-list@example", "1"]] },
  {
    ...captureSession,
    rid: 0xffffffff,
    reserved: Uint8Array.of(1, 2, 0, 3),
    wantTty: true,
    wantAgent: true,
    escapeChar: 0x7e,
    term: "xterm-256color",
    command: "sftp",
    subsystem: true,
    env: ["LANG=C.UTF-8", "GRÜSSE=✓"],
  },
  { ...captureSession, env: [], command: "", term: "" },
  { kind: "AliveCheck", rid: 1 },
  { kind: "Terminate", rid: 2 },
  {
    kind: "OpenFwd",
    rid: 3,
    fwdType: MUX_FWD_LOCAL,
    listenHost: "/tmp/l.sock",
    listenPort: PORT_STREAMLOCAL,
    connectHost: "/tmp/r.sock",
    connectPort: PORT_STREAMLOCAL,
  },
  {
    kind: "CloseFwd",
    rid: 4,
    fwdType: MUX_FWD_LOCAL,
    listenHost: "*",
    listenPort: 65535,
    connectHost: "h",
    connectPort: 1,
  },
  {
    kind: "NewStdioFwd",
    rid: 5,
    reserved: new Uint8Array(0),
    connectHost: "/run/x.sock",
    connectPort: PORT_STREAMLOCAL,
  },
  {
    kind: "NewStdioFwd",
    rid: 5,
    reserved: new Uint8Array(0),
    connectHost: "h",
    connectPort: 0x7fffffff,
  },
  { kind: "StopListening", rid: 6 },
  { kind: "Proxy", rid: 7 },
  { kind: "ExtInfoRequest", rid: 8, name: "connection" },
  { kind: "Unknown", type: 0x10000003, rid: 9, data: Uint8Array.of(9, 9) },
];
const replies: MuxMessage[] = [
  { kind: "Hello", version: 4, extensions: [] },
  { kind: "Ok", rid: 1 },
  { kind: "PermissionDenied", rid: 2, reason: "Permission denied" },
  { kind: "Failure", rid: 3, reason: "port not forwarded" },
  { kind: "ExitMessage", sid: 4, exitValue: 0xffffffff },
  { kind: "Alive", rid: 5, pid: 12345 },
  { kind: "SessionOpened", rid: 6, sid: 7 },
  { kind: "RemotePort", rid: 8, port: 33323 },
  { kind: "TtyAllocFail", sid: 9 },
  { kind: "ProxyOk", rid: 10 },
  {
    kind: "ExtInfoReply",
    rid: 11,
    status: 1,
    message: "Connection information for h pid 1\r\n  duration 1s\r\n",
  },
  { kind: "Unknown", type: 0x9000000f, rid: 1, data: new Uint8Array(0) },
  { kind: "Unknown", type: 0x9000000f, data: new Uint8Array(0) },
];

Deno.test("mux codec: every message round-trips in its direction", () => {
  for (const m of requests) {
    const frame = encodeMux(m);
    assertEquals(new DataView(frame.buffer, frame.byteOffset).getUint32(0), frame.length - 4);
    assertEquals(decodeMux(body(frame), "toMaster"), m, m.kind);
  }
  for (const m of replies) assertEquals(decodeMux(body(encodeMux(m)), "toClient"), m, m.kind);
  assertEquals(muxMessageType({ kind: "Proxy", rid: 0 }), MUX_C_PROXY);
  assertEquals(
    muxMessageType({ kind: "ExtInfoReply", rid: 0, status: 0, message: "" }),
    MUX_S_EXT_INFO,
  );
});

Deno.test("mux codec: a type from the other direction decodes as Unknown", () => {
  assertEquals(decodeMux(body(encodeMux({ kind: "Ok", rid: 4 })), "toMaster"), {
    kind: "Unknown",
    type: MUX_S_OK,
    rid: 4,
    data: new Uint8Array(0),
  });
  assertEquals(decodeMux(body(encodeMux({ kind: "AliveCheck", rid: 4 })), "toClient"), {
    kind: "Unknown",
    type: MUX_C_ALIVE_CHECK,
    rid: 4,
    data: new Uint8Array(0),
  });
  // The master needs a rid to answer "unsupported request"; OpenSSH drops a request without one.
  assertThrows(() => decodeMux(bytes("1000000a"), "toMaster"), DecodeError);
  assertEquals(decodeMux(bytes("9000000a"), "toClient"), {
    kind: "Unknown",
    type: 0x9000000a,
    data: new Uint8Array(0),
  });
});

Deno.test("mux codec: a body truncated at any cut point is a DecodeError (or a shorter valid message)", () => {
  for (const [list, direction] of [[requests, "toMaster"], [replies, "toClient"]] as const) {
    for (const m of list) {
      const full = body(encodeMux(m));
      // Optional trailing fields (env strings, hello extensions, unknown data) make some cut
      // points valid: the message with fewer of them. Collect those lengths first.
      const shorter = new Map<number, MuxMessage>();
      if (m.kind === "NewSession") {
        for (let k = 0; k < m.env.length; k++) {
          const p = { ...m, env: m.env.slice(0, k) };
          shorter.set(body(encodeMux(p)).length, p);
        }
      } else if (m.kind === "Hello") {
        for (let k = 0; k < m.extensions.length; k++) {
          const p = { ...m, extensions: m.extensions.slice(0, k) };
          shorter.set(body(encodeMux(p)).length, p);
        }
      } else if (m.kind === "Unknown") {
        // A client-side Unknown needs only its type; a master-side one needs type and rid.
        for (let k = direction === "toClient" ? 4 : 8; k < full.length; k++) shorter.set(k, m);
      }
      for (let cut = 0; cut < full.length; cut++) {
        const part = full.slice(0, cut);
        if (shorter.has(cut)) {
          const d = decodeMux(part, direction);
          if (m.kind !== "Unknown") assertEquals(d, shorter.get(cut), `${m.kind} cut ${cut}`);
          continue;
        }
        const err = assertThrows(() => decodeMux(part, direction));
        assertInstanceOf(err, DecodeError, `${m.kind} cut at ${cut}`);
      }
    }
  }
});

Deno.test("mux constants: muxTypeName names every code and hex-formats the rest", () => {
  assertEquals(muxTypeName(MUX_C_NEW_SESSION), "MUX_C_NEW_SESSION");
  assertEquals(muxTypeName(0x1000000f), "MUX_C_PROXY");
  assertEquals(muxTypeName(0x20000001), "MUX_C_EXT_INFO");
  assertEquals(muxTypeName(0x8000000f), "MUX_S_PROXY");
  assertEquals(muxTypeName(0x90000001), "MUX_S_EXT_INFO");
  assertEquals(muxTypeName(0x80000008), "MUX_S_TTY_ALLOC_FAIL");
  assertEquals(muxTypeName(0x1000000a), "0x1000000a");
  for (const m of [...requests, ...replies]) {
    if (m.kind !== "Unknown") assert(muxTypeName(muxMessageType(m)).startsWith("MUX_"));
  }
});

Deno.test("mux errors: MuxRequestRefused carries the reply's reason and kind", () => {
  const denied = MuxRequestRefused.fromReply({
    kind: "PermissionDenied",
    rid: 1,
    reason: "Permission denied",
  });
  assertEquals([denied.kind, denied.reason], ["PermissionDenied", "Permission denied"]);
  assertInstanceOf(denied, Error);
  const failed = MuxRequestRefused.fromReply({
    kind: "Failure",
    rid: 1,
    reason: "port not forwarded",
  });
  assertEquals([failed.kind, failed.message], ["Failure", "port not forwarded"]);
});
