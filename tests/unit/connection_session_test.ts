// Session requests and the session runner against a scripted server: request order and
// payloads, exit codes, stdout/stderr separation, stdin EOF, failures, ServerAlive.

import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import {
  encodeChannelReply,
  encodeChannelRequest,
  encodeClose,
  encodeData,
  encodeEof,
  encodeExtendedData,
  encodeOpenConfirmation,
  encodeRequestReply,
  SshConnection,
} from "../../lib/ssh/connection/mod.ts";
import { ScriptedPeer } from "../helpers/scripted_peer.ts";
import {
  decodeExitSignal,
  encodeEnv,
  encodeString,
  EscapeFilter,
  fdStdio,
  type LocalStdio,
  runSession,
  type RunSessionOptions,
  sessionEnv,
} from "../../lib/ssh/session/mod.ts";
import { matchPattern } from "../../lib/match.ts";
import { WireReader } from "../../lib/wire/reader.ts";
import { WireWriter } from "../../lib/wire/writer.ts";
import { captureLog } from "../../lib/log.ts";
import { FdIo, pipe } from "../../ffi/mod.ts";
import { decideTty, sessionKind } from "../../lib/ssh/plain.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

interface MemStdio extends LocalStdio {
  out: string[];
  err: string[];
  rawEntered: number;
  rawRestored: number;
}

function memStdio(input: string[], tty = false): MemStdio {
  const s: MemStdio = {
    out: [],
    err: [],
    rawEntered: 0,
    rawRestored: 0,
    stdin: {
      read(buf) {
        const next = input.shift();
        if (next === undefined) return Promise.resolve(0);
        const b = enc.encode(next);
        buf.set(b);
        return Promise.resolve(b.length);
      },
      write: () => Promise.resolve(),
    },
    stdout: {
      read: () => Promise.resolve(0),
      write: (d) => (s.out.push(dec.decode(d)), Promise.resolve()),
    },
    stderr: {
      read: () => Promise.resolve(0),
      write: (d) => (s.err.push(dec.decode(d)), Promise.resolve()),
    },
    terminal: {
      isTty: () => tty,
      size: () => ({ cols: 132, rows: 43, widthPx: 0, heightPx: 0 }),
      modes: () => Uint8Array.of(53, 0, 0, 0, 1, 0), // ECHO=1, TTY_OP_END
      enterRaw: () => {
        s.rawEntered++;
        return () => s.rawRestored++;
      },
      onResize: () => () => {},
    },
  };
  return s;
}

function opts(over: Partial<RunSessionOptions> = {}): RunSessionOptions {
  return {
    kind: "exec",
    command: "do it",
    tty: false,
    term: "xterm",
    env: [],
    stdinNull: false,
    host: "example",
    serverAliveInterval: 0,
    serverAliveCountMax: 3,
    ...over,
  };
}

function u32(n: number): Uint8Array {
  return new WireWriter(4).u32(n).finish();
}

Deno.test("exec session: request order, stdin through, stdout/stderr apart, exit 44", async () => {
  const peer = new ScriptedPeer();
  const conn = new SshConnection(peer.local);
  const stdio = memStdio(["hello ", "world"]);
  const running = runSession(conn, opts({ env: [["_XXX_TEST", "v1"]] }), stdio);
  const { localId, open } = await peer.acceptOpen();
  assertEquals(open.window, 2 * 1024 * 1024);
  assertEquals(open.maxPacket, 32 * 1024);
  const env = await peer.expect("channel-request");
  assertEquals([env.name, env.wantReply], ["env", false]);
  assertEquals(env.data, encodeEnv("_XXX_TEST", "v1"));
  const exec = await peer.expect("channel-request");
  assertEquals([exec.name, exec.wantReply], ["exec", true]);
  assertEquals(exec.data, encodeString("do it"));
  await peer.send(encodeChannelReply(localId, true));
  let input = "";
  for (;;) {
    const m = await peer.next();
    if (m.kind === "eof") break;
    assertEquals(m.kind, "data");
    if (m.kind === "data") input += dec.decode(m.data);
  }
  assertEquals(input, "hello world");
  await peer.send(encodeData(localId, enc.encode("to stdout")));
  await peer.send(encodeExtendedData(localId, 1, enc.encode("to stderr")));
  await peer.send(encodeChannelRequest(localId, "exit-status", false, u32(44)));
  await peer.send(encodeEof(localId));
  await peer.send(encodeClose(localId));
  assertEquals(await running, 44);
  assertEquals(stdio.out.join(""), "to stdout");
  assertEquals(stdio.err.join(""), "to stderr");
  assertEquals(stdio.rawEntered, 0);
  conn.close();
});

Deno.test("tty session: halved window, pty-req payload, raw mode restored, closed message", async () => {
  const peer = new ScriptedPeer();
  const conn = new SshConnection(peer.local);
  const stdio = memStdio([], true);
  const running = runSession(conn, opts({ kind: "shell", tty: true }), stdio);
  const { localId, open } = await peer.acceptOpen();
  assertEquals([open.window, open.maxPacket], [1024 * 1024, 16 * 1024]);
  const pty = await peer.expect("channel-request");
  assertEquals([pty.name, pty.wantReply], ["pty-req", true]);
  const r = new WireReader(pty.data);
  assertEquals(r.text(), "xterm");
  assertEquals([r.u32(), r.u32(), r.u32(), r.u32()], [132, 43, 0, 0]);
  assertEquals(r.string(), Uint8Array.of(53, 0, 0, 0, 1, 0));
  const shell = await peer.expect("channel-request");
  assertEquals([shell.name, shell.data.length], ["shell", 0]);
  await peer.send(encodeChannelReply(localId, true));
  await peer.send(encodeChannelReply(localId, true));
  await peer.expect("eof"); // stdin at EOF
  await peer.send(encodeChannelRequest(localId, "exit-status", false, u32(0)));
  await peer.send(encodeClose(localId));
  assertEquals(await running, 0);
  assertEquals(stdio.rawEntered, 1);
  assertEquals(stdio.rawRestored >= 1, true);
  assertEquals(stdio.err.join(""), "Connection to example closed.\r\n");
  conn.close();
});

Deno.test("exec refused → 255 with ssh's message; pty refused → goes on without raw mode", async () => {
  const peer = new ScriptedPeer();
  const conn = new SshConnection(peer.local);
  const lines: string[] = [];
  const restore = captureLog(lines);
  try {
    const stdio = memStdio([], true);
    const running = runSession(conn, opts({ tty: true, stdinNull: true }), stdio);
    const { localId } = await peer.acceptOpen();
    await peer.expect("channel-request");
    await peer.expect("channel-request");
    await peer.send(encodeChannelReply(localId, false)); // pty-req
    await peer.send(encodeChannelReply(localId, false)); // exec
    await peer.expect("close");
    await peer.send(encodeClose(localId));
    assertEquals(await running, 255);
    assertEquals(stdio.rawEntered, 0);
    assertStringIncludes(lines.join(""), "PTY allocation request failed on channel 0");
    assertStringIncludes(lines.join(""), "exec request failed on channel 0");
  } finally {
    restore();
    conn.close();
  }
});

Deno.test("exit-signal → 255; signal decoded", async () => {
  const peer = new ScriptedPeer();
  const conn = new SshConnection(peer.local);
  const running = runSession(conn, opts({ stdinNull: true }), memStdio([]));
  const { localId } = await peer.acceptOpen();
  await peer.expect("channel-request");
  await peer.send(encodeChannelReply(localId, true));
  const sig = new WireWriter(32).string("TERM").bool(false).string("").string("").finish();
  assertEquals(decodeExitSignal(sig), { name: "TERM", coreDumped: false, message: "" });
  await peer.send(encodeChannelRequest(localId, "exit-signal", false, sig));
  await peer.send(encodeClose(localId));
  assertEquals(await running, 255);
  conn.close();
});

Deno.test("connection lost mid-session → 255 with a message", async () => {
  const peer = new ScriptedPeer();
  const conn = new SshConnection(peer.local);
  const lines: string[] = [];
  const restore = captureLog(lines);
  try {
    const running = runSession(conn, opts({ stdinNull: true }), memStdio([]));
    const { localId } = await peer.acceptOpen();
    await peer.expect("channel-request");
    await peer.send(encodeChannelReply(localId, true));
    peer.close();
    assertEquals(await running, 255);
    assertStringIncludes(lines.join(""), "Connection to example closed by remote host.");
  } finally {
    restore();
  }
});

Deno.test("ServerAlive: unanswered keepalives → timeout message and 255", async () => {
  const peer = new ScriptedPeer();
  const conn = new SshConnection(peer.local);
  const lines: string[] = [];
  const restore = captureLog(lines);
  // The probe timer is unref'd (a real socket keeps the process alive); memory does not.
  const hold = setInterval(() => {}, 1000);
  try {
    const running = runSession(
      conn,
      opts({ stdinNull: true, serverAliveInterval: 0.05, serverAliveCountMax: 2 }),
      memStdio([]),
    );
    const { localId } = await peer.acceptOpen();
    await peer.expect("channel-request");
    await peer.send(encodeChannelReply(localId, true));
    await peer.expect("eof");
    const k1 = await peer.expect("global-request");
    assertEquals([k1.name, k1.wantReply], ["keepalive@openssh.com", true]);
    // An answer counts as life: the counter starts again.
    await peer.send(encodeRequestReply(false));
    const k2 = await peer.expect("global-request");
    const k3 = await peer.expect("global-request");
    assertEquals([k2.name, k3.name], ["keepalive@openssh.com", "keepalive@openssh.com"]);
    assertEquals(await running, 255);
    assertStringIncludes(lines.join(""), "Timeout, server example not responding.");
    assert((await peer.nextOrClose()) === null, "connection closed after the timeout");
  } finally {
    clearInterval(hold);
    restore();
  }
});

Deno.test("SendEnv patterns and SetEnv", () => {
  assert(matchPattern("LC_ALL", "LC_*"));
  assert(matchPattern("LANG", "LAN?"));
  assert(!matchPattern("LANGUAGE", "LAN?"));
  assert(matchPattern("_XXX_TEST", "*"));
  assert(matchPattern("ab", "a*b*"));
  assert(!matchPattern("abc", "a*b"));
  const env = sessionEnv(["LC_*", "_XXX_*"], ["_XXX_TEST=set=value", "bad", "FOO=bar"], {
    LC_ALL: "C",
    _XXX_TEST: "from-env",
    _XXX_OTHER: "o",
    HOME: "/root",
  });
  assertEquals(env, [
    ["LC_ALL", "C"],
    ["_XXX_OTHER", "o"],
    ["_XXX_TEST", "set=value"],
    ["FOO", "bar"],
  ]);
  assertEquals(sessionEnv([], [], { A: "b" }), []);
});

Deno.test("escape filter: ~. ~? ~~ ~B ~# ~R ~v ~V ~^Z ~C only at line start, split across chunks", () => {
  const f = new EscapeFilter("~");
  const r1 = f.process(enc.encode("ls ~/x\n~"));
  assertEquals(dec.decode(r1.forward), "ls ~/x\n");
  assertEquals(r1.actions, []);
  const r2 = f.process(enc.encode("~a\r~?~"));
  assertEquals(dec.decode(r2.forward), "~a\r");
  assertEquals(r2.actions, ["help"]);
  const r3 = f.process(enc.encode("B"));
  assertEquals([r3.forward.length, r3.actions], [0, ["break"]]);
  const r4 = f.process(enc.encode("\n~x"));
  assertEquals(dec.decode(r4.forward), "\n~x", "unknown command: both bytes sent");
  const r5 = f.process(enc.encode("\n~#\n~.ignored"));
  assertEquals(dec.decode(r5.forward), "\n\n");
  assertEquals(r5.actions, ["list", "disconnect"]);
  const r6 = new EscapeFilter("~").process(enc.encode("~R\r~v\r~V\r~\x1a\r~C\r~&"));
  assertEquals(r6.actions, ["rekey", "louder", "quieter", "suspend", "cmdline"]);
  assertEquals(dec.decode(r6.forward), "\r\r\r\r\r~&", "~& is not offered: sent as typed");
  const plain = enc.encode("no escapes here ~ ~. at all");
  const f2 = new EscapeFilter("~");
  f2.process(enc.encode("x"));
  assert(f2.process(plain).forward === plain, "untouched input is passed through as is");
});

Deno.test("tty session: SIGWINCH → window-change; ~. disconnects with 255", async () => {
  const peer = new ScriptedPeer();
  const conn = new SshConnection(peer.local);
  const stdio = memStdio([], true);
  let resize: (() => void) | undefined;
  stdio.terminal.onResize = (cb) => {
    resize = cb;
    return () => resize = undefined;
  };
  let size = { cols: 80, rows: 24, widthPx: 0, heightPx: 0 };
  stdio.terminal.size = () => size;
  const keys: string[] = [];
  let wake: (() => void) | undefined;
  stdio.stdin.read = async (buf) => {
    while (keys.length === 0) await new Promise<void>((r) => wake = r);
    const b = enc.encode(keys.shift()!);
    buf.set(b);
    return b.length;
  };
  const type = (s: string) => {
    keys.push(s);
    wake?.();
  };
  const running = runSession(conn, opts({ kind: "shell", tty: true, escapeChar: "~" }), stdio);
  const { localId } = await peer.acceptOpen();
  await peer.expect("channel-request");
  await peer.expect("channel-request");
  await peer.send(encodeChannelReply(localId, true));
  await peer.send(encodeChannelReply(localId, true));
  await new Promise((r) => setTimeout(r, 10));
  size = { cols: 120, rows: 50, widthPx: 0, heightPx: 0 };
  resize!();
  const wc = await peer.expect("channel-request");
  assertEquals([wc.name, wc.wantReply], ["window-change", false]);
  const r = new WireReader(wc.data);
  assertEquals([r.u32(), r.u32()], [120, 50]);
  type("echo ~ok\r");
  assertEquals(dec.decode((await peer.expect("data")).data), "echo ~ok\r");
  type("~.");
  assertEquals(await running, 255);
  assertEquals(stdio.rawRestored >= 1, true);
  assertEquals(stdio.err.join(""), "Connection to example closed.\r\n");
  assert(resize === undefined, "SIGWINCH listener removed");
});

Deno.test("tty decision follows ssh.c: RequestTTY, command, -N, -n, stdin a terminal", () => {
  const o = (
    requestTTY: "auto" | "no" | "yes" | "force",
    command = "",
    sessionType: "default" | "none" | "subsystem" = "default",
    stdinNull = false,
  ) => ({
    requestTTY,
    command,
    sessionType,
    stdinNull,
    remoteCommand: undefined,
    muxCommand: undefined,
  });
  const lines: string[] = [];
  const restore = captureLog(lines);
  try {
    assertEquals(decideTty(o("auto"), true), true, "no command on a terminal: tty");
    assertEquals(decideTty(o("auto", "ls"), true), false, "a command: no tty");
    assertEquals(decideTty(o("yes", "ls"), true), true, "-t");
    assertEquals(lines.length, 0);
    assertEquals(decideTty(o("yes", "ls"), false), false, "-t without a terminal");
    assertStringIncludes(lines.join(""), "Pseudo-terminal will not be allocated");
    assertEquals(decideTty(o("yes", "ls", "default", true), true), false, "-t -n");
    assertEquals(decideTty(o("force", "ls"), false), true, "-tt");
    assertEquals(decideTty(o("no"), true), false, "-T");
    assertEquals(decideTty(o("force", "", "none"), true), false, "-N");
  } finally {
    restore();
  }
  assertEquals(sessionKind({ sessionType: "none" }, "x"), "none");
  assertEquals(sessionKind({ sessionType: "subsystem" }, "sftp"), "subsystem");
  assertEquals(sessionKind({ sessionType: "default" }, ""), "shell");
  assertEquals(sessionKind({ sessionType: "default" }, "ls"), "exec");
});

Deno.test("fdStdio: a session on passed fds (pipes) — stdin in, stdout/stderr out, all closed", async () => {
  const [inR, inW] = pipe();
  const [outR, outW] = pipe();
  const [errR, errW] = pipe();
  const stdio = fdStdio(inR, outW, errW);
  const feed = new FdIo(inW);
  const outReader = new FdIo(outR);
  const errReader = new FdIo(errR);
  const readAll = async (io: FdIo) => {
    const buf = new Uint8Array(4096);
    let s = "";
    for (;;) {
      const n = await io.read(buf);
      if (n === 0) return s;
      s += dec.decode(buf.subarray(0, n));
    }
  };
  const peer = new ScriptedPeer();
  const conn = new SshConnection(peer.local);
  try {
    assertEquals(stdio.terminal.isTty(), false);
    const running = runSession(conn, opts(), stdio);
    const { localId } = await peer.acceptOpen();
    await peer.expect("channel-request");
    await peer.send(encodeChannelReply(localId, true));
    await feed.write(enc.encode("from a pipe"));
    feed.close();
    let input = "";
    for (;;) {
      const m = await peer.next();
      if (m.kind === "eof") break;
      if (m.kind === "data") input += dec.decode(m.data);
    }
    assertEquals(input, "from a pipe");
    await peer.send(encodeData(localId, enc.encode("out")));
    await peer.send(encodeExtendedData(localId, 1, enc.encode("err")));
    await peer.send(encodeChannelRequest(localId, "exit-status", false, u32(3)));
    await peer.send(encodeClose(localId));
    assertEquals(await running, 3);
    stdio.close!();
    assertEquals(await readAll(outReader), "out");
    assertEquals(await readAll(errReader), "err");
    assert(inR.closed && outW.closed && errW.closed, "the passed fds were closed");
  } finally {
    stdio.close!();
    feed.close();
    outReader.close();
    errReader.close();
    conn.close();
  }
});

Deno.test("connection lost while the session starts → 255, no unhandled rejection", async () => {
  for (const tty of [false, true]) {
    const peer = new ScriptedPeer();
    const conn = new SshConnection(peer.local);
    const lines: string[] = [];
    const restore = captureLog(lines);
    try {
      const running = runSession(
        conn,
        opts({ tty, env: [["A", "b"]], stdinNull: true }),
        memStdio([], tty),
      );
      const open = await peer.expect("channel-open");
      // Confirm and drop the connection at once: every pipelined request fails.
      await peer.send(encodeOpenConfirmation(open.sender, 7, 1 << 20, 32768));
      peer.close();
      assertEquals(await running, 255);
      assertStringIncludes(lines.join(""), "Connection to example closed");
    } finally {
      restore();
    }
  }
});
