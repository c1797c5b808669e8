// ssh's escape sequences on a tty session (clientloop.c process_escapes): the escape character
// (default `~`) is special only right after a newline (or at the very start). Recognised:
//   ~.  disconnect          ~B  send BREAK          ~R  rekey
//   ~V  less verbose        ~v  more verbose        ~^Z suspend
//   ~#  list channels       ~?  help                ~C  command line (answered "disabled")
//   ~~  send one ~
// Anything else after the escape char is sent as typed (both bytes), like ssh. `~&` (fork into
// the background) is not offered: a Deno process cannot fork.

export type EscapeAction =
  | "disconnect"
  | "help"
  | "break"
  | "list"
  | "rekey"
  | "quieter"
  | "louder"
  | "suspend"
  | "cmdline"
  /** `~&`: only recognised where asked for (a mux session answers it; plain mode cannot fork). */
  | "background";

export interface EscapeResult {
  /** Bytes to send to the server. */
  forward: Uint8Array;
  /** Commands recognised in this chunk, in order. */
  actions: EscapeAction[];
}

/** The command bytes after the escape char; ^Z is 0x1a. */
const COMMANDS: Record<number, EscapeAction> = {
  0x2e: "disconnect", // .
  0x3f: "help", // ?
  0x42: "break", // B
  0x23: "list", // #
  0x52: "rekey", // R
  0x56: "quieter", // V
  0x76: "louder", // v
  0x1a: "suspend", // ^Z
  0x43: "cmdline", // C
};

export class EscapeFilter {
  private readonly esc: number;
  private readonly commands: Record<number, EscapeAction>;
  /** True at the start of a line (after \r or \n, or initially). */
  private lineStart = true;
  /** The escape char was seen at a line start; the next byte decides. */
  private pending = false;

  /** `withBackground`: also recognise `~&` (mux sessions say it is not available). */
  constructor(escapeChar: string, withBackground = false) {
    this.esc = escapeChar.charCodeAt(0);
    this.commands = withBackground ? { ...COMMANDS, 0x26: "background" } : COMMANDS;
  }

  process(data: Uint8Array): EscapeResult {
    const out: number[] = [];
    const actions: EscapeAction[] = [];
    // Fast path: the input passes through untouched unless an escape char shows up.
    let touched = this.pending;
    for (const b of data) {
      if (this.pending) {
        touched = true;
        this.pending = false;
        const action = this.commands[b];
        if (action) {
          actions.push(action);
          // Nothing typed after ~. is sent: the connection is going away.
          if (action === "disconnect") return { forward: Uint8Array.from(out), actions };
          continue;
        }
        if (b !== this.esc) out.push(this.esc);
        out.push(b);
        this.lineStart = b === 0x0d || b === 0x0a;
        continue;
      }
      if (this.lineStart && b === this.esc) {
        this.pending = true;
        touched = true;
        continue;
      }
      out.push(b);
      this.lineStart = b === 0x0d || b === 0x0a;
    }
    return { forward: touched ? Uint8Array.from(out) : data, actions };
  }
}

/** ssh's `~?` text: the given command rows between its header and its two fixed lines. */
export function escapeHelpText(esc: string, rows: Array<[string, string]>): string {
  const line = ([cmd, text]: [string, string]) => ` ${esc}${cmd.padEnd(3)} - ${text}`;
  return [
    `${esc}?`,
    "Supported escape sequences:",
    ...rows.map(line),
    ` ${esc}${esc}   - send the escape character by typing it twice`,
    "(Note that escapes are only recognized immediately after newline.)",
    "",
  ].join("\r\n");
}

/** ssh's `~?` text for a session it owns (not a mux client), logging to stderr. */
export function escapeHelp(esc: string): string {
  return escapeHelpText(esc, [
    [".", "terminate connection (and any multiplexed sessions)"],
    ["B", "send a BREAK to the remote system"],
    ["R", "request rekey"],
    ["V/v", "decrease/increase verbosity (LogLevel)"],
    ["^Z", "suspend ssh"],
    ["#", "list forwarded connections"],
    ["?", "this message"],
  ]);
}
