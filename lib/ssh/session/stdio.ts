// The local side of a session: our stdin/stdout/stderr as ByteEndpoints plus the terminal
// operations a tty session needs (size, modes, raw mode, SIGWINCH). An interface, so the mux
// master can hand in the passed fds and tests can hand in memory streams.

import { enterRawMode, FdIo, getWinsize, isatty, RawFd, ttyModes } from "../../../ffi/mod.ts";
import { listenForSignal } from "../../inherited_signals.ts";
import { log } from "../../log.ts";
import type { ByteEndpoint } from "../connection/bridge.ts";
import { NO_TTY_MODES, type WindowSize } from "./requests.ts";

export interface LocalTerminal {
  /** Is stdin a terminal? */
  isTty(): boolean;
  size(): WindowSize | null;
  /** pty-req modes (RFC 4254 §8) read from the terminal. */
  modes(): Uint8Array;
  /** Puts the terminal in raw mode; returns the restore function (idempotent). */
  enterRaw(): () => void;
  /** Calls `cb` on SIGWINCH; returns the unsubscribe function. */
  onResize(cb: () => void): () => void;
  /** Stops this process like ^Z (SIGTSTP); returns once it was continued. Absent: no job control. */
  suspend?(): void;
}

/** Job-control stop of our own process (ssh's `~^Z`); kill() to ourselves returns after SIGCONT. */
function suspendSelf(): void {
  try {
    Deno.kill(Deno.pid, "SIGTSTP");
  } catch (e) {
    log.debug(`suspend: ${e instanceof Error ? e.message : e}`);
  }
}

export interface LocalStdio {
  stdin: ByteEndpoint;
  stdout: ByteEndpoint;
  stderr: ByteEndpoint;
  terminal: LocalTerminal;
  /** Gives back what was borrowed (fd status flags). Idempotent. */
  close?(): void;
}

async function writeAll(w: { write(p: Uint8Array): Promise<number> }, data: Uint8Array) {
  let off = 0;
  while (off < data.length) off += await w.write(data.subarray(off));
}

function stream(
  r: { read(p: Uint8Array): Promise<number | null> } | null,
  w: { write(p: Uint8Array): Promise<number> } | null,
): ByteEndpoint {
  return {
    read: async (buf) => r ? (await r.read(buf)) ?? 0 : 0,
    write: (data) => w ? writeAll(w, data) : Promise.resolve(),
  };
}

function onResize(cb: () => void): () => void {
  try {
    listenForSignal("SIGWINCH", cb);
  } catch {
    return () => {};
  }
  return () => Deno.removeSignalListener("SIGWINCH", cb);
}

/**
 * Our own stdio through ffi's FdIo (poll reactor: fast pipes, real termios modes). stderr stays
 * on Deno's handle, which the logger also writes to synchronously: FdIo would make a pipe
 * non-blocking under it. Falls back to Deno's APIs when FFI is unavailable.
 */
export function processStdio(): LocalStdio {
  try {
    return ffiStdio();
  } catch (e) {
    log.debug(`stdio: ffi unavailable (${e instanceof Error ? e.message : e}), using Deno's`);
    return denoStdio();
  }
}

function ffiStdio(): LocalStdio {
  const in0 = RawFd.std(0);
  const stdin = new FdIo(in0);
  let stdout: FdIo;
  try {
    stdout = new FdIo(RawFd.std(1));
  } catch (e) {
    stdin.close();
    throw e;
  }
  let closed = false;
  return {
    stdin,
    stdout,
    stderr: stream(null, Deno.stderr),
    terminal: {
      isTty: () => isatty(in0),
      size: () => {
        const w = getWinsize(in0);
        return w ? { cols: w.cols, rows: w.rows, widthPx: w.xpixel, heightPx: w.ypixel } : null;
      },
      // Our stdin is no terminal under -tt from a pipe or /dev/null: as ssh, send no modes at
      // all so the server's defaults (echo, onlcr, isig...) apply, not an all-zero termios.
      modes: () => ttyModes(in0, "end-only"),
      enterRaw: () => enterRawMode(in0),
      onResize,
      suspend: suspendSelf,
    },
    close: () => {
      if (closed) return;
      closed = true;
      stdin.close();
      stdout.close();
    },
  };
}

/**
 * A session's stdio on fds handed to us (a mux master's passed fds): FdIo on each, terminal
 * queries on stdin. Raw mode and SIGWINCH stay with whoever owns the terminal (the mux client),
 * so enterRaw is a no-op and resizes come from `onResize` callers. close() closes the three
 * FdIo (restoring their status flags; owned RawFds are closed, std ones only released).
 */
export function fdStdio(stdin: RawFd, stdout: RawFd, stderr: RawFd): LocalStdio {
  const ios: FdIo[] = [];
  try {
    // The client's terminal may stall (nobody reads it, or its input is taken by another
    // reader): that must stall this session only.
    for (const fd of [stdin, stdout, stderr]) ios.push(new FdIo(fd, { ownTty: true }));
  } catch (e) {
    for (const io of ios) io.close();
    throw e;
  }
  const [i, o, e] = ios;
  let closed = false;
  return {
    stdin: i,
    stdout: o,
    stderr: e,
    terminal: {
      isTty: () => !stdin.closed && isatty(stdin),
      size: () => {
        const w = stdin.closed ? null : getWinsize(stdin);
        return w ? { cols: w.cols, rows: w.rows, widthPx: w.xpixel, heightPx: w.ypixel } : null;
      },
      modes: () => ttyModes(stdin),
      enterRaw: () => () => {},
      onResize: () => () => {},
    },
    close: () => {
      if (closed) return;
      closed = true;
      for (const io of ios) io.close();
    },
  };
}

/** Our own process stdio through Deno's APIs. */
export function denoStdio(): LocalStdio {
  return {
    stdin: stream(Deno.stdin, null),
    stdout: stream(null, Deno.stdout),
    stderr: stream(null, Deno.stderr),
    terminal: {
      isTty: () => Deno.stdin.isTerminal(),
      size: () => {
        for (const f of [Deno.stdin, Deno.stdout, Deno.stderr]) {
          if (!f.isTerminal()) continue;
          try {
            const { columns, rows } = Deno.consoleSize();
            return { cols: columns, rows, widthPx: 0, heightPx: 0 };
          } catch { /* not a terminal after all */ }
        }
        return null;
      },
      // Deno exposes no tcgetattr: the server's defaults apply (ffi provides real modes).
      modes: () => NO_TTY_MODES,
      enterRaw: () => {
        if (!Deno.stdin.isTerminal()) return () => {};
        Deno.stdin.setRaw(true);
        let restored = false;
        return () => {
          if (restored) return;
          restored = true;
          try {
            Deno.stdin.setRaw(false);
          } catch { /* terminal gone */ }
        };
      },
      onResize,
      suspend: suspendSelf,
    },
  };
}
