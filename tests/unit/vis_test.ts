// lib/vis.ts escapes like ssh's logger (strnvis with VIS_SAFE|VIS_OCTAL), and lib/log.ts applies
// it to every line, so peer and file text cannot drive the terminal.

import { assertEquals } from "@std/assert";
import { visLog } from "../../lib/vis.ts";
import { captureLog, log } from "../../lib/log.ts";

Deno.test("visLog: control bytes and non-ASCII become octal escapes, backslash doubles", () => {
  assertEquals(visLog("plain text: ok [1] ~"), "plain text: ok [1] ~");
  assertEquals(visLog("bad \x1b[31mthing\x00"), "bad \\033[31mthing\\000");
  // VIS_SAFE keeps tab, newline, carriage return, backspace and bell.
  assertEquals(visLog("a\tb\nc\rd\x08e\x07"), "a\tb\nc\rd\x08e\x07");
  assertEquals(visLog("\x7f\x01"), "\\177\\001");
  assertEquals(visLog("back\\slash"), "back\\\\slash");
  // UTF-8 bytes, as ssh sees them: é = C3 A9; a C1 control U+009B = C2 9B.
  assertEquals(visLog("é\u009b"), "\\303\\251\\302\\233");
});

Deno.test("log: every line is escaped once, whatever its level", () => {
  const lines: string[] = [];
  const restore = captureLog(lines);
  try {
    log.error("Received disconnect: \x1b]0;owned\x07");
  } finally {
    restore();
  }
  assertEquals(lines, ["Received disconnect: \\033]0;owned\x07\r\n"]);
});
