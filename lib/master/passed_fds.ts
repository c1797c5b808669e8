// Checks on fds a mux client passed, before the master uses them: each must be open for the
// direction the session needs (stdin readable, stdout/stderr writable). A directory or a
// write-only stdin would otherwise fail later, in the middle of the session.

import { accessMode, type RawFd } from "../../ffi/mod.ts";

export type Direction = "read" | "write";

/** A reason to refuse the fds, or null when they fit. */
export function checkPassedFds(fds: RawFd[], want: Direction[]): string | null {
  const names = ["stdin", "stdout", "stderr"];
  for (let i = 0; i < fds.length; i++) {
    let mode;
    try {
      mode = accessMode(fds[i]);
    } catch (e) {
      return `passed ${names[i]} is unusable: ${e instanceof Error ? e.message : e}`;
    }
    if (mode === "path" || (mode !== "readwrite" && mode !== want[i])) {
      return `passed ${names[i]} is not open for ${want[i] === "read" ? "reading" : "writing"}`;
    }
  }
  return null;
}
