// ProxyJump → the ProxyCommand ssh implies for it (ssh.c): run ssh again with -W to the
// destination, through the remaining hops.
import type { Options } from "./options.ts";
import { parseJump } from "./values.ts";
import { selfExecutable } from "../self_exec.ts";

/**
 * The command ssh would use for `opts.proxyJump`, or undefined without a jump. `sshCommand`
 * is the program to run for the hop (ssh uses its own argv[0]); `verbose` is the -v count.
 * The result still contains `%h` / `%p`, expanded at connect time like any ProxyCommand.
 */
export function impliedProxyCommand(
  opts: Pick<Options, "proxyJump" | "configFile">,
  sshCommand: string,
  verbose = 0,
): string | undefined {
  if (opts.proxyJump === undefined) return undefined;
  const j = parseJump(opts.proxyJump, false);
  if (j === undefined || j === "none") return undefined;
  let cmd = sshCommand;
  if (j.user !== undefined) cmd += ` -l ${j.user}`;
  if (j.port !== undefined && j.port > 0) cmd += ` -p ${j.port}`;
  if (j.extra !== undefined) cmd += ` -J ${j.extra}`;
  if (opts.configFile !== undefined) cmd += ` -F ${opts.configFile}`;
  if (verbose > 0) cmd += ` -${"v".repeat(Math.min(verbose, 3))}`;
  return `${cmd} -W '[%h]:%p' ${j.host}`;
}

/** Quotes a word for `sh -c` when it needs it (a path with spaces, say). */
function shellWord(w: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(w) ? w : `'${w.replace(/'/g, "'\\''")}'`;
}

/** How to run sshmux itself for a jump hop, as a shell word (ssh re-runs its own argv[0]). */
export function selfCommand(): string {
  return shellWord(selfExecutable());
}
