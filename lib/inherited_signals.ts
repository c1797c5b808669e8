// Signals this process inherited as ignored (nohup ignores SIGHUP; a non-interactive shell's
// `cmd &` ignores SIGINT and SIGQUIT) stay ignored, like ssh's client loop keeps them (and rsh
// before it). Deno gets in the way: as soon as any signal listener is added, it installs its
// own handler for SIGHUP, SIGINT and SIGTERM (not SIGQUIT), and such a signal with no listener
// then gets its default action, ignored or not (measured on 2.9: a WINCH listener let a
// nohup'ed process die of SIGHUP). So every place that adds a listener calls
// keepInheritedIgnores() first: the first call reads the inherited dispositions (before
// Deno's handlers replace them) and gives each of those three, if ignored, a listener that
// does nothing.
import { signalIgnored } from "../ffi/mod.ts";

const WATCHED = ["SIGHUP", "SIGINT", "SIGQUIT", "SIGTERM"] as const;
/** The ones Deno takes over at its first listener (SIGQUIT it leaves alone). */
const TAKEN_OVER: readonly Deno.Signal[] = ["SIGHUP", "SIGINT", "SIGTERM"];

let ignored: Set<Deno.Signal> | undefined;

/** Idempotent; call it before adding any signal listener. */
export function keepInheritedIgnores(): void {
  if (ignored) return;
  ignored = new Set();
  for (const sig of WATCHED) {
    try {
      if (!signalIgnored(sig)) continue;
    } catch {
      continue; // unknown: treat it as not ignored
    }
    ignored.add(sig);
    if (TAKEN_OVER.includes(sig)) Deno.addSignalListener(sig, () => {});
  }
}

/** Whether `sig` was ignored when this process started (keepInheritedIgnores ran first). */
export function inheritedIgnored(sig: Deno.Signal): boolean {
  keepInheritedIgnores();
  return ignored!.has(sig);
}
