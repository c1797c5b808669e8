// Escapes on a mux client's tty session, as OpenSSH's master handles them for a session that
// belongs to a control connection (clientloop.c process_escapes with c->ctl_chan set): `~.`
// ends that session only, the commands that act on the local process (suspend, LogLevel, the
// command line) say they are not available, and `~?` shows the shorter help.

import type { Channel } from "../ssh/connection/channel.ts";
import type { SshConnection } from "../ssh/connection/connection.ts";
import { type EscapeAction, escapeHelpText } from "../ssh/session/escape.ts";
import { runEscape } from "../ssh/session/escape_commands.ts";

/** ssh's `~?` for multiplexed sessions (the SUPPRESS_MUXCLIENT rows hidden). */
export function muxEscapeHelp(esc: string): string {
  return escapeHelpText(esc, [
    [".", "terminate session"],
    ["B", "send a BREAK to the remote system"],
    ["R", "request rekey"],
    ["#", "list forwarded connections"],
    ["?", "this message"],
  ]);
}

const UNAVAILABLE: Partial<Record<EscapeAction, string>> = {
  suspend: "^Z",
  quieter: "V",
  louder: "v",
  cmdline: "C",
  background: "&",
};

export interface MuxEscapeContext {
  esc: string;
  conn: SshConnection;
  channel: Channel;
  /** Writes to the client's stderr fd. */
  say(text: string): Promise<void>;
}

/** Runs one escape command other than `~.` (which the session handles: it ends). */
export function runMuxEscape(action: EscapeAction, x: MuxEscapeContext): Promise<void> {
  const name = UNAVAILABLE[action];
  if (name) return x.say(`${x.esc}${name} escape not available to multiplexed sessions\r\n`);
  if (action === "help") return x.say(muxEscapeHelp(x.esc));
  return runEscape(action, {
    ...x,
    suspend: () => Promise.resolve(),
  });
}
