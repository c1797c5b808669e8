// The per-OS ABI tables: struct size/offset arithmetic for Linux and macOS (no Mac runs here,
// so its table is checked on paper: alignment, no overlaps, the header-derived numbers),
// the cmsg walk for both layouts, and the pty-req mode encoding from synthetic termios bytes.
import { assert, assertEquals, assertThrows } from "@std/assert";
import {
  type Abi,
  cmsgDataOffset,
  cmsgLen,
  cmsgSpace,
  darwinAbi,
  linuxAbi,
} from "../../ffi/abi/mod.ts";
import { parseControl } from "../../ffi/fdpass.ts";
import {
  CC_OPCODES,
  decodeTtyModes,
  encodeTtyModes,
  TTY_OP_ISPEED,
  TTY_OP_OSPEED,
} from "../../ffi/ttymodes.ts";

/** Fields [name, offset, width] must be naturally aligned, inside `size`, and not overlap. */
function checkStruct(what: string, size: number, fields: [string, number, number][]): void {
  const sorted = [...fields].sort((a, b) => a[1] - b[1]);
  let end = 0;
  for (const [name, off, width] of sorted) {
    assertEquals(off % width, 0, `${what}.${name} misaligned`);
    assert(off >= end, `${what}.${name} overlaps the previous field`);
    end = off + width;
  }
  assert(end <= size, `${what} fields run past its size`);
  const maxAlign = Math.max(...fields.map((f) => f[2]));
  assertEquals(size % maxAlign, 0, `${what} size not a multiple of its alignment`);
}

function checkMsghdr(a: Abi): void {
  const m = a.msghdr;
  checkStruct(`${a.os} msghdr`, m.size, [
    ["name", m.name, 8],
    ["namelen", m.namelen, 4],
    ["iov", m.iov, 8],
    ["iovlen", m.iovlen, m.iovlenWidth],
    ["control", m.control, 8],
    ["controllen", m.controllen, m.controllenWidth],
    ["flags", m.flags, 4],
  ]);
}

/** _IOC(dir, type, nr, size) as BSD's sys/ioccom.h builds it. */
function bsdIoc(dir: "r" | "w", type: string, nr: number, size: number): number {
  const IOC_OUT = 0x40000000, IOC_IN = 0x80000000;
  return ((dir === "r" ? IOC_OUT : IOC_IN) | ((size & 0x1fff) << 16) |
    (type.charCodeAt(0) << 8) | nr) >>> 0;
}

Deno.test("ffi abi: Linux LP64 layouts", () => {
  const a = linuxAbi;
  assertEquals(a.msghdr.size, 56);
  checkMsghdr(a);
  assertEquals([a.msghdr.iovlen, a.msghdr.control, a.msghdr.controllen, a.msghdr.flags], [
    24,
    32,
    40,
    48,
  ]);
  assertEquals(cmsgLen(a, 4), 20);
  assertEquals(cmsgSpace(a, 4), 24);
  assertEquals(cmsgSpace(a, 32), 48);
  assertEquals(cmsgDataOffset(a), 16);
  assertEquals(a.sockaddrUn.size, a.sockaddrUn.pathOffset + a.sockaddrUn.pathSize);
  assertEquals(a.sockaddrUn.pathSize, 108);
  // termios: 4 flags, c_line, c_cc[32], then c_ispeed/c_ospeed
  assertEquals(a.termios.cc + a.termios.nccs, 49);
  assertEquals(a.termios.size, 60);
  for (const idx of Object.values(a.cc)) assert(idx! < a.termios.nccs);
  assertEquals(a.const.TIOCGWINSZ, 0x5413);
  assertEquals(a.const.MSG_CMSG_CLOEXEC, 0x40000000);
  assertEquals(a.const.MSG_NOSIGNAL, 0x4000);
  assertEquals(a.const.O_NONBLOCK, 0o4000);
  assertEquals(a.const.SOL_SOCKET, 1);
  assertEquals(a.const.SCM_RIGHTS, 1);
  assertEquals(a.peerCred?.SO_PEERCRED, 17);
});

Deno.test("ffi abi: macOS layouts (header arithmetic; no Mac here)", () => {
  const a = darwinAbi;
  assertEquals(a.msghdr.size, 48);
  checkMsghdr(a);
  assertEquals(a.msghdr.iovlenWidth, 4);
  assertEquals(a.msghdr.controllenWidth, 4);
  assertEquals(a.cmsg.lenWidth, 4);
  assertEquals(cmsgLen(a, 4), 16);
  assertEquals(cmsgSpace(a, 4), 16);
  assertEquals(cmsgSpace(a, 4 * 8), 44);
  assertEquals(cmsgDataOffset(a), 12);
  // sockaddr_un: sun_len, sun_family, sun_path[104]
  assertEquals(a.sockaddrUn.size, 106);
  assertEquals(a.sockaddrUn.pathSize, 104);
  assertEquals(a.sockaddrUn.lenOffset, 0);
  // termios: 4 × unsigned long, c_cc[20], padding, 2 × speed_t (unsigned long)
  const t = a.termios;
  checkStruct("darwin termios", t.size, [
    ["iflag", t.iflag, 8],
    ["oflag", t.oflag, 8],
    ["cflag", t.cflag, 8],
    ["lflag", t.lflag, 8],
    ["ispeed", t.ispeed!, 8],
    ["ospeed", t.ospeed!, 8],
  ]);
  assertEquals(t.cc, 32);
  assertEquals(t.ispeed, 56);
  assertEquals(t.size, 72);
  for (const idx of Object.values(a.cc)) assert(idx! < t.nccs);
  assertEquals(new Set(Object.values(a.cc)).size, Object.keys(a.cc).length, "no index twice");
  assertEquals(a.const.TIOCGWINSZ, bsdIoc("r", "t", 104, 8));
  assertEquals(a.const.TIOCSWINSZ, bsdIoc("w", "t", 103, 8));
  assertEquals(a.const.TIOCGWINSZ, 0x40087468);
  assertEquals(a.const.MSG_CMSG_CLOEXEC, 0, "absent: FD_CLOEXEC after receive");
  assertEquals(a.const.MSG_NOSIGNAL, 0, "absent: SO_NOSIGPIPE instead");
  assertEquals(a.peerCred, null, "getpeereid");
  assertEquals(a.const.SOL_SOCKET, 0xffff);
  assertEquals(a.errno.EAGAIN, 35);
  assertEquals(a.errno.ENAMETOOLONG, 63);
  assertEquals(a.nfdsWidth, 4);
});

Deno.test("ffi abi: every ABI names the errno values ffi/ branches on, without clashes", () => {
  for (const a of [linuxAbi, darwinAbi]) {
    for (const name of ["EAGAIN", "EINTR", "EPIPE", "EIO", "EBADF", "EEXIST", "ENOENT"]) {
      assert(a.errno[name] > 0, `${a.os} ${name}`);
    }
    const values = Object.values(a.errno);
    assertEquals(new Set(values).size, values.length, `${a.os}: an errno value listed twice`);
  }
});

/** Builds a control buffer with one cmsg per entry, laid out per ABI `a`. */
function buildControl(a: Abi, cmsgs: { level: number; type: number; ints: number[] }[]) {
  const total = cmsgs.reduce((n, c) => n + cmsgSpace(a, 4 * c.ints.length), 0);
  const buf = new Uint8Array(total);
  const v = new DataView(buf.buffer);
  let off = 0;
  for (const c of cmsgs) {
    const len = cmsgLen(a, 4 * c.ints.length);
    if (a.cmsg.lenWidth === 8) v.setBigUint64(off, BigInt(len), true);
    else v.setUint32(off, len, true);
    v.setInt32(off + a.cmsg.level, c.level, true);
    v.setInt32(off + a.cmsg.type, c.type, true);
    c.ints.forEach((x, i) => v.setInt32(off + cmsgDataOffset(a) + 4 * i, x, true));
    off += cmsgSpace(a, 4 * c.ints.length);
  }
  return buf;
}

Deno.test("ffi abi: cmsg walk finds SCM_RIGHTS fds in Linux and macOS layouts", () => {
  for (const a of [linuxAbi, darwinAbi]) {
    const S = a.const.SOL_SOCKET;
    const ctl = buildControl(a, [
      { level: S, type: 2, /* SCM_CREDENTIALS-like */ ints: [1, 2, 3] },
      { level: S, type: a.const.SCM_RIGHTS, ints: [7] },
      { level: S, type: a.const.SCM_RIGHTS, ints: [8, 9] },
    ]);
    assertEquals(parseControl(ctl, ctl.length, a), { fds: [7, 8, 9], other: 1 }, a.os);
    // a controllen cut inside the last cmsg stops the walk before it
    const cut = parseControl(ctl, ctl.length - 6, a);
    assertEquals(cut.fds, [7], a.os);
    assertEquals(parseControl(ctl, 0, a), { fds: [], other: 0 });
  }
});

Deno.test("ffi abi: cmsg walk survives garbage without throwing or looping", () => {
  for (const a of [linuxAbi, darwinAbi]) {
    for (let i = 0; i < 2000; i++) {
      const buf = crypto.getRandomValues(new Uint8Array(1 + (i % 96)));
      const r = parseControl(buf, buf.length + (i % 3) * 7, a);
      assert(r.fds.length <= buf.length / 4);
    }
  }
});

/** A termios buffer for ABI `a` with the given flags, c_cc entries and (BSD) speeds. */
function termios(
  a: Abi,
  f: { i?: number; o?: number; c?: number; l?: number; cc?: Record<number, number> },
): Uint8Array {
  const t = new Uint8Array(a.termios.size);
  const v = new DataView(t.buffer);
  v.setUint32(a.termios.iflag, f.i ?? 0, true);
  v.setUint32(a.termios.oflag, f.o ?? 0, true);
  v.setUint32(a.termios.cflag, f.c ?? 0, true);
  v.setUint32(a.termios.lflag, f.l ?? 0, true);
  for (const [idx, val] of Object.entries(f.cc ?? {})) t[a.termios.cc + Number(idx)] = val;
  return t;
}

Deno.test("ffi ttymodes: Linux termios → RFC 4254 modes", () => {
  const a = linuxAbi;
  const t = termios(a, {
    i: a.iflag.ICRNL! | a.iflag.IUTF8! | a.iflag.IUCLC!,
    o: a.oflag.OPOST! | a.oflag.ONLCR!,
    c: a.cflag.CS8 | a.cflag.PARENB,
    l: a.lflag.ECHO! | a.lflag.ICANON! | a.lflag.XCASE!,
    cc: { [a.cc.VINTR!]: 3, [a.cc.VEOL!]: 0, 7 /* VSWTC */: 26 },
  });
  const bytes = encodeTtyModes(a, t, 0o10002, 15);
  const m = decodeTtyModes(bytes);
  assertEquals(bytes.subarray(0, 10), new Uint8Array([129, 0, 0, 0x96, 0, 128, 0, 1, 0xc2, 0]));
  assertEquals(m.get(TTY_OP_OSPEED), 38400);
  assertEquals(m.get(TTY_OP_ISPEED), 115200);
  assertEquals(m.get(1), 3);
  assertEquals(m.get(6), 255, "VEOL 0 = _POSIX_VDISABLE on Linux → 255");
  assertEquals(m.has(16), false, "Linux VSWTC is not OpenSSH's VSWTCH");
  assertEquals(m.has(11), false, "no VDSUSP on Linux");
  assertEquals(m.get(36), 1);
  assertEquals(m.get(42), 1, "IUTF8");
  assertEquals(m.get(37), 1, "IUCLC exists on Linux");
  assertEquals(m.get(52), 1, "XCASE exists on Linux");
  assertEquals(m.get(53), 1);
  assertEquals(m.get(51), 1);
  assertEquals(m.get(50), 0);
  assertEquals(m.get(70), 1);
  assertEquals(m.get(72), 1);
  assertEquals(m.get(73), 0);
  assertEquals(m.get(91), 1);
  assertEquals(m.get(90), 1, "CS8 includes CS7's bit, as OpenSSH reports it");
  assertEquals(m.get(92), 1);
  assertEquals(m.get(93), 0);
  // 14 chars + 13 iflag + 13 lflag + 6 oflag + 4 cflag + 2 speeds, 5 bytes each, + END
  assertEquals(bytes.length, (2 + 14 + 13 + 13 + 6 + 4) * 5 + 1);
  // a B-code OpenSSH does not know (B4000000) is sent as 9600
  assertEquals(decodeTtyModes(encodeTtyModes(a, t, 0o10017, 0o10017)).get(TTY_OP_OSPEED), 9600);
});

Deno.test("ffi ttymodes: macOS termios → RFC 4254 modes", () => {
  const a = darwinAbi;
  const t = termios(a, {
    i: a.iflag.IXON! | a.iflag.IMAXBEL!,
    c: a.cflag.CS7,
    l: a.lflag.ECHO! | a.lflag.NOFLSH! | a.lflag.PENDIN!,
    cc: { [a.cc.VINTR!]: 3, [a.cc.VSTATUS!]: 0x14, [a.cc.VDSUSP!]: 0xff, [a.cc.VERASE!]: 0x7f },
  });
  const m = decodeTtyModes(encodeTtyModes(a, t, 9600, 57600));
  assertEquals(m.get(TTY_OP_OSPEED), 57600);
  assertEquals(m.get(TTY_OP_ISPEED), 9600);
  assertEquals(m.get(1), 3);
  assertEquals(m.get(3), 0x7f);
  assertEquals(m.get(17), 0x14, "VSTATUS exists on macOS");
  assertEquals(m.get(11), 255, "VDSUSP disabled (0xff) → 255");
  assertEquals(m.has(37), false, "no IUCLC on macOS");
  assertEquals(m.has(52), false, "no XCASE on macOS");
  assertEquals(m.has(71), false, "no OLCUC on macOS");
  assertEquals(m.get(38), 1);
  assertEquals(m.get(41), 1);
  assertEquals(m.get(53), 1);
  assertEquals(m.get(57), 1, "NOFLSH is bit 31 on macOS");
  assertEquals(m.get(62), 1);
  assertEquals(m.get(90), 1);
  // macOS CS8 (0x300) shares a bit with CS7 (0x200): OpenSSH's "any bit" test reports it on too
  assertEquals(m.get(91), 1);
  assertEquals(m.get(92), 0);
  // rates OpenSSH does not list become 9600
  assertEquals(decodeTtyModes(encodeTtyModes(a, t, 300000, 300000)).get(TTY_OP_ISPEED), 9600);
});

Deno.test("ffi ttymodes: every opcode table entry is a valid RFC 4254 opcode", () => {
  for (const [, op] of CC_OPCODES) assert(op >= 1 && op <= 18);
  assertThrows(() => encodeTtyModes(linuxAbi, new Uint8Array(10), 0, 0), RangeError);
});

Deno.test("ffi ttymodes: decoding random bytes gives typed errors only", () => {
  for (let i = 0; i < 3000; i++) {
    const buf = crypto.getRandomValues(new Uint8Array(i % 40));
    try {
      decodeTtyModes(buf);
    } catch (e) {
      assert(e instanceof RangeError, String(e));
    }
  }
});
