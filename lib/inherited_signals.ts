// Signals this process inherited as ignored (nohup ignores SIGHUP; a non-interactive shell's
// `cmd &` ignores SIGINT and SIGQUIT) stay ignored, like ssh's client loop keeps them (and rsh
// before it). Deno gets in the way: as soon as any signal listener is added, it installs its
// own handler for SIGHUP, SIGINT and SIGTERM (not SIGQUIT), and such a signal with no listener
// then gets its default action, ignored or not (measured on 2.9: a WINCH listener let a
// nohup'ed process die of SIGHUP). So listeners go through listenForSignal(): the first call
// reads the inherited dispositions (before Deno's handlers replace them) and gives each of
// those three, if ignored, a listener that does nothing.
//
// A mux client adds its listeners directly (client/signals.ts): like ssh's, it ends on
// HUP/INT/TERM even when they were ignored, and it never listens for SIGQUIT.
import { signalIgnored } from "../ffi/mod.ts";

/**
 * The signals ssh's client loop ends on (clientloop.c signal_handler), with their numbers for
 * "Killed by signal N." (the same on Linux and macOS: they date from V7 Unix).
 */
export const CLIENT_LOOP_SIGNALS = [
  ["SIGHUP", 1],
  ["SIGINT", 2],
  ["SIGQUIT", 3],
  ["SIGTERM", 15],
] as const;
/** The ones Deno takes over at its first listener (SIGQUIT it leaves alone). */
const TAKEN_OVER: readonly Deno.Signal[] = ["SIGHUP", "SIGINT", "SIGTERM"];

let ignored: Set<Deno.Signal> | undefined;

function keepInheritedIgnores(): Set<Deno.Signal> {
  if (ignored) return ignored;
  ignored = new Set();
  for (const [sig, signo] of CLIENT_LOOP_SIGNALS) {
    try {
      if (!signalIgnored(signo)) continue;
    } catch {
      continue; // unknown: treat it as not ignored
    }
    ignored.add(sig);
    if (TAKEN_OVER.includes(sig)) Deno.addSignalListener(sig, () => {});
  }
  return ignored;
}

/** Deno.addSignalListener, after making sure inherited ignores survive it. */
export function listenForSignal(sig: Deno.Signal, handler: () => void): void {
  keepInheritedIgnores();
  Deno.addSignalListener(sig, handler);
}

/** Whether `sig` was ignored when this process started. */
export function inheritedIgnored(sig: Deno.Signal): boolean {
  return keepInheritedIgnores().has(sig);
}
