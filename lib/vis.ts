// Text from peers and files made safe for a terminal the way ssh's logger makes it (log.c runs
// every line through strnvis(VIS_SAFE|VIS_OCTAL)): so no escape sequence, NUL or other control
// byte from a server, a config file or a key comment reaches the user's terminal raw, and what
// we print matches ssh's output byte for byte.

const utf8 = new TextEncoder();

/** Bytes vis(3) leaves alone under VIS_SAFE: printable ASCII, space, tab, LF, BS, BEL, CR. */
function visible(b: number): boolean {
  return (b > 0x20 && b < 0x7f) || b === 0x20 || b === 0x09 || b === 0x0a || b === 0x08 ||
    b === 0x07 || b === 0x0d;
}

/**
 * ssh's log sanitising: the UTF-8 bytes of `s`; every byte that is not visible becomes a
 * three-digit octal escape ("\033"), and a backslash is doubled so escapes stay unambiguous.
 */
export function visLog(s: string): string {
  // Fast path: most lines are plain ASCII with nothing to escape.
  // deno-lint-ignore no-control-regex
  if (!/[^\x20-\x5b\x5d-\x7e\t\n\r\x07\x08]/.test(s)) return s;
  let out = "";
  for (const b of utf8.encode(s)) {
    if (b === 0x5c) out += "\\\\";
    else if (visible(b)) out += String.fromCharCode(b);
    else out += "\\" + b.toString(8).padStart(3, "0");
  }
  return out;
}
