// Signal handling for a running mux session or -W, as OpenSSH's client does it after
// SESSION_OPENED: SIGHUP/SIGINT/SIGTERM end the client (close the control socket, exit 255 for
// sessions), SIGWINCH is relayed to the master's pid so it re-reads the passed tty's size.

import { log } from "../log.ts";

const TERMINATING: Deno.Signal[] = ["SIGHUP", "SIGINT", "SIGTERM"];

export interface SignalScope {
  /** The terminating signal received, if any. */
  readonly received: Deno.Signal | undefined;
  /** Removes every listener (idempotent). */
  dispose(): void;
}

/**
 * Installs the handlers. `onTerminate` runs once, on the first terminating signal.
 * `relayWinchTo` is the master pid from MUX_S_ALIVE; relayed only when > 1, like ssh.
 */
export function installSessionSignals(
  onTerminate: (sig: Deno.Signal) => void,
  relayWinchTo?: number,
): SignalScope {
  let received: Deno.Signal | undefined;
  const removers: (() => void)[] = [];
  for (const sig of TERMINATING) {
    const handler = () => {
      if (received !== undefined) return;
      received = sig;
      onTerminate(sig);
    };
    Deno.addSignalListener(sig, handler);
    removers.push(() => Deno.removeSignalListener(sig, handler));
  }
  if (relayWinchTo !== undefined && relayWinchTo > 1) {
    const pid = relayWinchTo;
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
