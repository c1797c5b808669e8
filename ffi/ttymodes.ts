// RFC 4254 §8 "encoded terminal modes" from a struct termios, as OpenSSH's tty_make_modes()
// builds them for pty-req: output speed (129), input speed (128), the special characters
// (opcodes 1-18), the flag bits (30-42 iflag, 50-62 lflag, 70-75 oflag, 90-93 cflag), each
// as opcode byte + uint32, then TTY_OP_END. Only modes the OS defines are sent, in opcode order.
// Pure: the termios bytes and the ABI table in, the bytes out (so macOS is testable here).
import type { Abi, CcName, CflagName, IflagName, LflagName, OflagName } from "./abi/types.ts";

export const TTY_OP_END = 0;
export const TTY_OP_ISPEED = 128;
export const TTY_OP_OSPEED = 129;

/** Special characters: c_cc name → RFC 4254 opcode. */
export const CC_OPCODES: ReadonlyArray<readonly [CcName, number]> = [
  ["VINTR", 1],
  ["VQUIT", 2],
  ["VERASE", 3],
  ["VKILL", 4],
  ["VEOF", 5],
  ["VEOL", 6],
  ["VEOL2", 7],
  ["VSTART", 8],
  ["VSTOP", 9],
  ["VSUSP", 10],
  ["VDSUSP", 11],
  ["VREPRINT", 12],
  ["VWERASE", 13],
  ["VLNEXT", 14],
  ["VFLUSH", 15],
  ["VSWTCH", 16],
  ["VSTATUS", 17],
  ["VDISCARD", 18],
];

export const IFLAG_OPCODES: ReadonlyArray<readonly [IflagName, number]> = [
  ["IGNPAR", 30],
  ["PARMRK", 31],
  ["INPCK", 32],
  ["ISTRIP", 33],
  ["INLCR", 34],
  ["IGNCR", 35],
  ["ICRNL", 36],
  ["IUCLC", 37],
  ["IXON", 38],
  ["IXANY", 39],
  ["IXOFF", 40],
  ["IMAXBEL", 41],
  ["IUTF8", 42],
];

export const LFLAG_OPCODES: ReadonlyArray<readonly [LflagName, number]> = [
  ["ISIG", 50],
  ["ICANON", 51],
  ["XCASE", 52],
  ["ECHO", 53],
  ["ECHOE", 54],
  ["ECHOK", 55],
  ["ECHONL", 56],
  ["NOFLSH", 57],
  ["TOSTOP", 58],
  ["IEXTEN", 59],
  ["ECHOCTL", 60],
  ["ECHOKE", 61],
  ["PENDIN", 62],
];

export const OFLAG_OPCODES: ReadonlyArray<readonly [OflagName, number]> = [
  ["OPOST", 70],
  ["OLCUC", 71],
  ["ONLCR", 72],
  ["OCRNL", 73],
  ["ONOCR", 74],
  ["ONLRET", 75],
];

export const CFLAG_OPCODES: ReadonlyArray<readonly [CflagName, number]> = [
  ["CS7", 90],
  ["CS8", 91],
  ["PARENB", 92],
  ["PARODD", 93],
];

/** Reads one tcflag_t field (4 or 8 bytes) of a termios buffer. */
export function termiosFlag(t: Uint8Array, offset: number): number {
  const v = new DataView(t.buffer, t.byteOffset, t.byteLength);
  // Every flag we map sits in the low 32 bits, which on little-endian targets are the first
  // 4 bytes also where tcflag_t is 64-bit (macOS).
  return v.getUint32(offset, true);
}

/** speed_t → baud as OpenSSH's speed_to_baud does (unknown rates become 9600). */
export function speedToBaud(abi: Abi, speed: number): number {
  return abi.speedToBaud.get(speed) ?? 9600;
}

/**
 * Encodes termios `t` (abi.termios.size bytes) with the given speed_t values (as
 * cfgetispeed/cfgetospeed return them) into the pty-req modes string contents.
 */
export function encodeTtyModes(
  abi: Abi,
  t: Uint8Array,
  ispeed: number,
  ospeed: number,
): Uint8Array {
  if (t.length < abi.termios.size) throw new RangeError("termios buffer too short");
  const out: number[] = [];
  const put = (op: number, value: number) => {
    out.push(op, (value >>> 24) & 0xff, (value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff);
  };
  put(TTY_OP_OSPEED, speedToBaud(abi, ospeed));
  put(TTY_OP_ISPEED, speedToBaud(abi, ispeed));
  for (const [name, op] of CC_OPCODES) {
    const idx = abi.cc[name];
    if (idx === undefined) continue;
    const c = t[abi.termios.cc + idx];
    put(op, c === abi.const.POSIX_VDISABLE ? 255 : c);
  }
  const L = abi.termios;
  const groups: Array<[ReadonlyArray<readonly [string, number]>, Record<string, number>, number]> =
    [
      [IFLAG_OPCODES, abi.iflag, L.iflag],
      [LFLAG_OPCODES, abi.lflag, L.lflag],
      [OFLAG_OPCODES, abi.oflag, L.oflag],
      [CFLAG_OPCODES, abi.cflag, L.cflag],
    ];
  for (const [table, bits, offset] of groups) {
    const field = termiosFlag(t, offset);
    for (const [name, op] of table) {
      const bit = bits[name];
      if (bit === undefined) continue;
      // Like OpenSSH: "any of the mask's bits set" (so CS8 also reports CS7 as on).
      put(op, (field & bit) !== 0 ? 1 : 0);
    }
  }
  out.push(TTY_OP_END);
  return new Uint8Array(out);
}

/** Decodes an encoded modes string into opcode → value (tests, logs); throws on malformed input. */
export function decodeTtyModes(modes: Uint8Array): Map<number, number> {
  const m = new Map<number, number>();
  let i = 0;
  while (i < modes.length) {
    const op = modes[i++];
    if (op === TTY_OP_END) return m;
    if (op >= 160) throw new RangeError(`undefined tty mode opcode ${op}`);
    if (i + 4 > modes.length) throw new RangeError("truncated tty mode argument");
    m.set(op, ((modes[i] << 24) | (modes[i + 1] << 16) | (modes[i + 2] << 8) | modes[i + 3]) >>> 0);
    i += 4;
  }
  throw new RangeError("tty modes without TTY_OP_END");
}
