// Local terminal raw mode for a mux session with a tty, restored on every exit path: the normal
// end, TTY_ALLOC_FAIL, exceptions, and process exit (main's Deno.exit runs the unload hook).

import { enterRawMode, isatty, type RawFd } from "../../ffi/mod.ts";
import { log } from "../log.ts";

const pendingRestores = new Set<() => void>();
let unloadHooked = false;

/** Restores every terminal still in raw mode; safe to call any number of times. */
export function restoreAllTerminals(): void {
  for (const r of [...pendingRestores]) r();
}

/** Puts `fd` into ssh's raw mode if it is a tty; returns an idempotent restore, or undefined. */
export function enterRawModeIfTty(fd: RawFd): (() => void) | undefined {
  if (!isatty(fd)) return undefined;
  let restoreRaw: () => void;
  try {
    restoreRaw = enterRawMode(fd);
  } catch (e) {
    log.debug(`enter raw mode: ${e instanceof Error ? e.message : e}`);
    return undefined;
  }
  if (!unloadHooked) {
    unloadHooked = true;
    // Last line of defence: an uncaught error or Deno.exit elsewhere still restores the tty.
    globalThis.addEventListener("unload", restoreAllTerminals);
  }
  const restore = () => {
    if (!pendingRestores.delete(restore)) return;
    try {
      restoreRaw();
    } catch (e) {
      log.debug(`leave raw mode: ${e instanceof Error ? e.message : e}`);
    }
  };
  pendingRestores.add(restore);
  return restore;
}
