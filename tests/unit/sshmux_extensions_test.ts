// sshmux's own mux requests and what they carry: MUX_C_SSHMUX_SIGNAL / _SET_NAME on the wire
// (and malformed ones), session and signal names, `-O signal=` parsing, the master's listing
// and the client's checks of it (a listing is peer input).

import { assert, assertEquals, assertMatch, assertThrows } from "@std/assert";
import { DecodeError, ProtocolError } from "../../lib/errors.ts";
import { MUX_C_SSHMUX_SET_NAME, MUX_C_SSHMUX_SIGNAL } from "../../lib/mux/constants.ts";
import { decodeMux } from "../../lib/mux/decode.ts";
import { encodeMux } from "../../lib/mux/encode.ts";
import { normalizeSignal, sessionNameProblem } from "../../lib/mux/session_names.ts";
import { parseArgs } from "../../lib/config/argv.ts";
import { ConfigError } from "../../lib/config/errors.ts";
import { buildListing } from "../../lib/master/listing.ts";
import type { ControlClient, SessionFacts } from "../../lib/master/control_client.ts";
import { formatListing, humanAge, humanBytes, parseListing } from "../../lib/client/list_text.ts";

const body = (frame: Uint8Array) => frame.subarray(4);
const hex = (b: Uint8Array) => [...b].map((x) => x.toString(16).padStart(2, "0")).join("");

Deno.test("sshmux mux: SIGNAL and SET_NAME round-trip with the documented layout", () => {
  const sig = encodeMux({ kind: "Signal", rid: 5, target: "build", signal: "TERM" });
  assertEquals(
    hex(sig),
    "00000019" + MUX_C_SSHMUX_SIGNAL.toString(16) + "00000005" + "00000005" +
      hex(new TextEncoder().encode("build")) + "00000004" + hex(new TextEncoder().encode("TERM")),
  );
  assertEquals(decodeMux(body(sig), "toMaster"), {
    kind: "Signal",
    rid: 5,
    target: "build",
    signal: "TERM",
  });
  const name = encodeMux({ kind: "SetName", rid: 0, name: "x" });
  assertEquals(decodeMux(body(name), "toMaster"), { kind: "SetName", rid: 0, name: "x" });
  assertEquals(new DataView(name.buffer).getUint32(4), MUX_C_SSHMUX_SET_NAME);
});

Deno.test("sshmux mux: truncated or NUL-bearing requests are malformed", () => {
  const sig = body(encodeMux({ kind: "Signal", rid: 5, target: "build", signal: "TERM" }));
  assertThrows(() => decodeMux(sig.subarray(0, sig.length - 2), "toMaster"), DecodeError);
  const nul = Uint8Array.from([...body(encodeMux({ kind: "SetName", rid: 1, name: "ab" }))]);
  nul[nul.length - 1] = 0;
  assertThrows(() => decodeMux(nul, "toMaster"), DecodeError);
  assertThrows(() => encodeMux({ kind: "SetName", rid: 1, name: "a\0b" }), RangeError);
  // Sent to a client they are just unknown types (a client never reads them).
  assertEquals(decodeMux(sig, "toClient").kind, "Unknown");
});

Deno.test("sshmux names: session names and signal names", () => {
  assertEquals(sessionNameProblem("build-1.x_y"), undefined);
  assertMatch(sessionNameProblem("123")!, /all digits/);
  assertMatch(sessionNameProblem("")!, /invalid session name/);
  assertMatch(sessionNameProblem("-x")!, /invalid session name/);
  assertMatch(sessionNameProblem("a b")!, /invalid session name/);
  assertMatch(sessionNameProblem("a".repeat(65))!, /invalid session name/);
  assertMatch(sessionNameProblem("a\x1b[2J")!, /"a\?\[2J"/);
  assertEquals(
    ["TERM", "sigint", "SIGHUP", "9", "usr1", "BOGUS", "SIGSTOP", ""].map(normalizeSignal),
    ["TERM", "INT", "HUP", "KILL", "USR1", undefined, undefined, undefined],
  );
});

Deno.test("sshmux argv: -O list, list-json and signal=SIG:TARGET", () => {
  assertEquals(parseArgs(["-O", "list", "h"]).muxCommand, "list");
  assertEquals(parseArgs(["-O", "list-json", "h"]).muxCommand, "list-json");
  const s = parseArgs(["-O", "signal=sigterm:build", "h"]);
  assertEquals([s.muxCommand, s.muxSignal], ["signal", { signal: "TERM", target: "build" }]);
  assertEquals(parseArgs(["-O", "signal=INT:12", "h"]).muxSignal, { signal: "INT", target: "12" });
  for (const bad of ["signal=", "signal=TERM", "signal=TERM:", "signal=:x"]) {
    assertThrows(() => parseArgs(["-O", bad, "h"]), ConfigError, "-O signal=SIG:TARGET");
  }
  assertThrows(() => parseArgs(["-O", "signal=FOO:x", "h"]), ConfigError, 'Unknown signal "FOO"');
  assertThrows(() => parseArgs(["-O", "signal=TERM:a b", "h"]), ConfigError, "invalid session");
  assertThrows(() => parseArgs(["-O", "lists", "h"]), ConfigError, "Invalid multiplex command.");
});

function fakeClient(
  id: number,
  o: { name?: string; pid?: number; facts?: SessionFacts; closed?: boolean },
): ControlClient {
  return {
    id,
    name: o.name,
    closed: o.closed ?? false,
    peer: { pid: o.pid, passesFds: true },
    connectedAt: 1_000,
    proxy: undefined,
    session: o.facts ? { abandon() {}, done: Promise.resolve(), facts: () => o.facts! } : undefined,
  } as unknown as ControlClient;
}

Deno.test("sshmux listing: built from the clients, parsed back, printed aligned", () => {
  const facts = (id: number, command: string, tty: boolean): SessionFacts => ({
    kind: "session",
    id,
    command,
    subsystem: false,
    tty,
    startedAt: 1_000,
    bytesIn: 3000,
    bytesOut: 12,
  });
  const listing = buildListing({
    pid: 42,
    host: "h",
    startedAt: 0,
    now: 76_000,
    clients: [
      fakeClient(1, { name: "build", pid: 100, facts: facts(4, "make", false) }),
      fakeClient(2, { pid: 101, facts: facts(2, "", true) }),
      fakeClient(3, {}), // a control connection with nothing running: not listed
      fakeClient(4, { facts: facts(9, "gone", false), closed: true }),
    ],
    forwards: [{
      kind: "remote",
      spec: { listenPort: 0, connectPort: 80 },
      allocatedPort: 4242,
      description: "RemoteForward: listen 0, connect localhost:80",
    }],
  });
  assertEquals(listing.sessions.map((s) => [s.id, s.name, s.clientPid]), [
    [2, null, 101],
    [4, "build", 100],
  ]);
  assertEquals(listing.sessions[1].ageSeconds, 75);
  const back = parseListing(JSON.stringify(listing));
  assertEquals(back, listing);
  assertEquals(
    formatListing(back),
    "Master pid 42 for h, up 1m16s\n" +
      "ID  NAME   PID  TTY  AGE    IN    OUT  COMMAND\n" +
      "2   -      101  yes  1m15s  2.9K  12   (shell)\n" +
      "4   build  100  no   1m15s  2.9K  12   make\n" +
      "Forwards:\n" +
      "  remote RemoteForward: listen 0, connect localhost:80 (allocated port 4242)\n",
  );
});

Deno.test("sshmux listing: what a hostile master sends is checked and escaped", () => {
  assertThrows(() => parseListing("not json"), ProtocolError, "not JSON");
  assertThrows(() => parseListing("[]"), ProtocolError, "not an object");
  assertThrows(() => parseListing(`{"schema":"other/9"}`), ProtocolError, "unknown listing schema");
  const base = { schema: "sshmux-list/1", master: { pid: 1, host: "h", ageSeconds: 0 } };
  assertThrows(
    () => parseListing(JSON.stringify({ ...base, sessions: [{ kind: "session", id: "1" }] })),
    ProtocolError,
    "id is not a number",
  );
  assertThrows(
    () => parseListing(JSON.stringify({ ...base, sessions: {} })),
    ProtocolError,
    "malformed listing",
  );
  const evil = parseListing(JSON.stringify({
    ...base,
    sessions: [{
      id: 1,
      name: "x",
      kind: "session",
      clientPid: null,
      command: "\x1b]0;pwned\x07\nrm",
      tty: false,
      ageSeconds: 0,
      bytesFromServer: 0,
      bytesToServer: 0,
    }],
  }));
  const text = formatListing(evil);
  assert(!text.includes("\x1b"), text);
  assertMatch(text, /\\033\]0;pwned\\007\\012rm\n$/);
});

Deno.test("sshmux listing: byte and age units", () => {
  assertEquals([0, 1023, 1024, 1536, 10 * 1024, 5 * 1024 ** 3].map(humanBytes), [
    "0",
    "1023",
    "1.0K",
    "1.5K",
    "10K",
    "5.0G",
  ]);
  assertEquals([0, 59.9, 60, 3599, 3600, 90_000].map(humanAge), [
    "0s",
    "59s",
    "1m00s",
    "59m59s",
    "1h00m",
    "1d01h",
  ]);
});

Deno.test("stdio control stream: exact reads across writes, EOF rules, no fds", async () => {
  const { FdIo, pipe, EofError } = await import("../../ffi/mod.ts");
  const { StdioControlStream } = await import("../../lib/master/stdio_stream.ts");
  const [inR, inW] = pipe();
  const [outR, outW] = pipe();
  const s = new StdioControlStream(inR, outW);
  const feed = new FdIo(inW);
  const drain = new FdIo(outR);
  try {
    await feed.write(Uint8Array.of(1, 2, 3));
    const exact = s.readExact(5);
    await feed.write(Uint8Array.of(4, 5, 6, 7));
    assertEquals([...(await exact)!], [1, 2, 3, 4, 5]);
    assertEquals([...(await s.readSome(10))!], [6, 7]);
    await s.write(Uint8Array.of(9, 8));
    const got = new Uint8Array(4);
    assertEquals(await drain.read(got), 2);
    await assertRejectsMsg(s.recvFd(), "cannot be passed");
    await feed.write(Uint8Array.of(1));
    feed.close();
    await assertRejectsMsg(s.readExact(3), "after 1 of 3", EofError);
    assertEquals(await s.readExact(1), null);
    assertEquals(await s.readSome(1), null);
  } finally {
    s.close();
    s.close();
    feed.close();
    drain.close();
  }
});

async function assertRejectsMsg(
  p: Promise<unknown>,
  msg: string,
  // deno-lint-ignore no-explicit-any
  type: new (...a: any[]) => Error = Error,
): Promise<void> {
  try {
    await p;
  } catch (e) {
    assert(e instanceof type, String(e));
    assert(String((e as Error).message).includes(msg), String(e));
    return;
  }
  throw new Error(`expected a rejection with "${msg}"`);
}
