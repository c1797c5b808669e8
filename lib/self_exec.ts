// How to run sshmux again: the compiled binary itself, or the launcher script next to this
// source tree under `deno run` (it passes the same permission flags). Used where ssh re-runs
// its own argv[0]: ProxyJump hops, and -f going to the background.

/** The program that starts sshmux with the same permissions as this process. */
export function selfExecutable(): string {
  const exe = Deno.execPath();
  if (!/(^|\/)deno(\.exe)?$/.test(exe)) return exe;
  return new URL("../scripts/sshmux", import.meta.url).pathname;
}
