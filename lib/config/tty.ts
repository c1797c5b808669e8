// ssh.c's tty_flag: whether a session asks the server for a pseudo-terminal.
import type { Options } from "./options.ts";

type TtyInputs = Pick<
  Options,
  "requestTTY" | "command" | "remoteCommand" | "muxCommand" | "sessionType" | "stdinNull"
>;

/**
 * The decision plus whether ssh would print "Pseudo-terminal will not be allocated because
 * stdin is not a terminal." (it does when a tty was wanted but stdin is not one).
 */
export function wantTtyDecision(
  o: TtyInputs,
  stdinIsTty: boolean,
): { tty: boolean; warn: boolean } {
  let tty = o.requestTTY === "yes" || o.requestTTY === "force";
  // No command: a shell, which gets a tty unless RequestTTY=no.
  if (o.command === "" && o.remoteCommand === undefined) tty = o.requestTTY !== "no";
  if (
    o.requestTTY === "no" || (o.muxCommand !== undefined && o.muxCommand !== "proxy") ||
    o.sessionType === "none"
  ) tty = false;
  let warn = false;
  if ((!stdinIsTty || o.stdinNull) && o.requestTTY !== "force") {
    warn = tty;
    tty = false;
  }
  return { tty, warn };
}

export function wantTty(o: TtyInputs, stdinIsTty: boolean): boolean {
  return wantTtyDecision(o, stdinIsTty).tty;
}
