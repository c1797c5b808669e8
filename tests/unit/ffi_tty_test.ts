// Terminals through a real pty: isatty, window size, termios → pty-req modes, raw mode, and
// FdIo on a tty (blocking fd, poll first).
import { assert, assertEquals, assertNotEquals } from "@std/assert";
import {
  decodeTtyModes,
  enterRawMode,
  FdIo,
  getWinsize,
  isatty,
  openpty,
  pipe,
  setWinsize,
  ttyModes,
} from "../../ffi/mod.ts";
import { reactorIdle } from "../../ffi/reactor.ts";
import { getStatusFlags } from "../../ffi/fd_flags.ts";
import { liveFd } from "../../ffi/raw_fd.ts";
import { tcgetattr } from "../../ffi/tty.ts";
import { abi } from "../../ffi/abi/mod.ts";

Deno.test("ffi tty: isatty tells a pty from a pipe", () => {
  const { master, slave } = openpty();
  const [r, w] = pipe();
  assert(isatty(slave));
  assert(isatty(master));
  assert(!isatty(r));
  assert(!isatty(w));
  for (const f of [master, slave, r, w]) f.close();
});

Deno.test("ffi tty: setWinsize on the master is what getWinsize reads on the slave", () => {
  const { master, slave } = openpty();
  const ws = { rows: 40, cols: 132, xpixel: 800, ypixel: 600 };
  setWinsize(master, ws);
  assertEquals(getWinsize(slave), ws);
  setWinsize(slave, { rows: 24, cols: 80, xpixel: 0, ypixel: 0 });
  assertEquals(getWinsize(master), { rows: 24, cols: 80, xpixel: 0, ypixel: 0 });
  const [r, w] = pipe();
  assertEquals(getWinsize(r), null, "a pipe has no window size");
  for (const f of [master, slave, r, w]) f.close();
});

Deno.test("ffi tty: ttyModes of a fresh pty describe a cooked terminal and end with TTY_OP_END", () => {
  const { master, slave } = openpty();
  const modes = ttyModes(slave);
  assert(modes.length > 100);
  assertEquals(modes[modes.length - 1], 0);
  assertEquals((modes.length - 1) % 5, 0, "opcode + uint32 pairs");
  const m = decodeTtyModes(modes);
  assertEquals(m.get(1), 3, "VINTR is ^C");
  assertEquals(m.get(3), 0x7f, "VERASE is DEL");
  assertEquals(m.get(51), 1, "ICANON on");
  assertEquals(m.get(53), 1, "ECHO on");
  assertEquals(m.get(50), 1, "ISIG on");
  assertEquals(m.get(91), 1, "CS8 on");
  assertEquals(m.get(129), 38400, "output speed of a Linux pty");
  assertEquals(m.get(128), 38400);
  assertEquals(m.get(7), 255, "VEOL2 unset → _POSIX_VDISABLE → 255");
  // opcodes appear in ascending order after the two speeds
  const ops = [...m.keys()].slice(2);
  assertEquals(ops, [...ops].sort((a, b) => a - b));
  for (const f of [master, slave]) f.close();
});

Deno.test("ffi tty: ttyModes of a non-tty is an all-zero termios, like OpenSSH's mux master", () => {
  const [r, w] = pipe();
  const m = decodeTtyModes(ttyModes(r));
  assertEquals(m.get(129), 0);
  assertEquals(m.get(128), 0);
  assertEquals(m.get(1), abi.const.POSIX_VDISABLE === 0 ? 255 : 0);
  assertEquals(m.get(53), 0);
  assertEquals(ttyModes(r, "end-only"), new Uint8Array([0]), "plain ssh's choice");
  for (const f of [r, w]) f.close();
});

Deno.test("ffi tty: enterRawMode changes the modes ssh changes, and restore brings them back", () => {
  const { master, slave } = openpty();
  const before = tcgetattr(slave)!;
  const restore = enterRawMode(slave);
  const raw = decodeTtyModes(ttyModes(slave));
  assertEquals(raw.get(51), 0, "ICANON off");
  assertEquals(raw.get(53), 0, "ECHO off");
  assertEquals(raw.get(50), 0, "ISIG off");
  assertEquals(raw.get(59), 0, "IEXTEN off");
  assertEquals(raw.get(36), 0, "ICRNL off");
  assertEquals(raw.get(38), 0, "IXON off");
  assertEquals(raw.get(70), 0, "OPOST off");
  assertEquals(raw.get(30), 1, "IGNPAR on");
  assertEquals(raw.get(91), 1, "CS8 untouched");
  const t = tcgetattr(slave)!;
  assertEquals(t[abi.termios.cc + abi.cc.VMIN!], 1);
  assertEquals(t[abi.termios.cc + abi.cc.VTIME!], 0);
  assertNotEquals(t, before);
  restore();
  assertEquals(tcgetattr(slave), before);
  restore(); // idempotent
  assertEquals(tcgetattr(slave), before);
  for (const f of [master, slave]) f.close();
});

Deno.test("ffi tty: FdIo keeps a tty blocking and moves bytes both ways", async () => {
  const { master, slave } = openpty();
  const restore = enterRawMode(slave); // no echo, no line discipline in the way
  const flagsBefore = getStatusFlags(liveFd(slave, "t"));
  const s = new FdIo(slave);
  const m = new FdIo(master);
  assertEquals(s.kind, "tty");
  assertEquals(getStatusFlags(liveFd(slave, "t")), flagsBefore, "tty left blocking");
  const data = new Uint8Array(10_000).map((_, i) => 32 + (i % 90));
  const got: number[] = [];
  const reader = (async () => {
    const buf = new Uint8Array(4096);
    while (got.length < data.length) {
      const n = await m.read(buf);
      if (n === 0) break;
      got.push(...buf.subarray(0, n));
    }
  })();
  await s.write(data);
  await reader;
  assertEquals(new Uint8Array(got), data);
  // slave gone → the master reads EIO, which FdIo reports as EOF
  restore();
  s.close();
  const buf = new Uint8Array(16);
  assertEquals(await m.read(buf), 0);
  m.close();
  await reactorIdle();
});
