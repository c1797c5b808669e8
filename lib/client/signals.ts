// Signal handling for a running mux session or -W, as OpenSSH's client does it after
// SESSION_OPENED: SIGHUP/SIGINT/SIGTERM end the client (close the control socket, exit 255 for
// sessions), SIGWINCH is relayed to the master's pid so it re-reads the passed tty's size.
// Beyond OpenSSH: a session without a tty on sshmux's master passes HUP/INT/TERM to its remote
// process instead (a tty session gets ^C through the pty already).

import { log } from "../log.ts";

const TERMINATING: Deno.Signal[] = ["SIGHUP", "SIGINT", "SIGTERM"];

export interface SignalScope {
  /** The terminating signal received, if any. */
  readonly received: Deno.Signal | undefined;
  /** Removes every listener (idempotent). */
  dispose(): void;
}

/**
 * How many terminating signals are passed on to the remote process before one ends us after
 * all (a remote process that ignores them must not make the client unkillable by ^C).
 */
export const FORWARDED_SIGNALS_BEFORE_LOCAL = 2;

/**
 * Installs the handlers. `onTerminate` runs once, on the first terminating signal.
 * `relayWinchTo` is the master pid from MUX_S_ALIVE (a u32); relayed only when it is > 1 as a
 * pid_t, like ssh.
 * With `forward` (sshmux's master, no tty), HUP/INT/TERM go to the remote process instead
 * ("HUP", "INT", "TERM"); the third one ends the client as ssh would.
 */
export function installSessionSignals(
  onTerminate: (sig: Deno.Signal) => void,
  relayWinchTo?: number,
  forward?: (name: string) => void,
): SignalScope {
  let received: Deno.Signal | undefined;
  let forwarded = 0;
  const removers: (() => void)[] = [];
  // Deno.addSignalListener itself, not listenForSignal (inherited_signals.ts): like ssh's mux
  // client, this one ends on HUP/INT/TERM even when they were inherited as ignored.
  for (const sig of TERMINATING) {
    const handler = () => {
      if (received !== undefined) return;
      if (forward && forwarded < FORWARDED_SIGNALS_BEFORE_LOCAL) {
        forwarded++;
        log.debug(`passing ${sig} to the remote process`);
        forward(sig.slice(3));
        return;
      }
      received = sig;
      onTerminate(sig);
    };
    Deno.addSignalListener(sig, handler);
    removers.push(() => Deno.removeSignalListener(sig, handler));
  }
  // The pid is a u32 on the wire and a pid_t to ssh, so 0xffffffff is -1: ssh's "> 1" skips
  // it, while compared unsigned it passed and Deno.kill made it kill(-1), a SIGWINCH to every
  // process we may signal (and 2^32-N to process group N).
  const pid = (relayWinchTo ?? 0) | 0;
  if (pid > 1) {
    const winch = () => {
      log.debug(`relaying SIGWINCH to ${pid}`);
      try {
        Deno.kill(pid, "SIGWINCH");
      } catch (e) {
        log.debug(`SIGWINCH relay to ${pid}: ${e instanceof Error ? e.message : e}`);
      }
    };
    Deno.addSignalListener("SIGWINCH", winch);
    removers.push(() => Deno.removeSignalListener("SIGWINCH", winch));
  }
  let disposed = false;
  return {
    get received() {
      return received;
    },
    dispose() {
      if (disposed) return;
      disposed = true;
      for (const r of removers) r();
    },
  };
}
