// ssh's escape sequences on a tty session (clientloop.c process_escapes): the escape character
// (default `~`) is special only right after a newline (or at the very start). Supported:
//   ~.  disconnect          ~?  help            ~~  send one ~
//   ~B  send BREAK          ~#  list channels
// Anything else after the escape char is sent as typed (both bytes), like ssh.

export type EscapeAction = "disconnect" | "help" | "break" | "list";

export interface EscapeResult {
  /** Bytes to send to the server. */
  forward: Uint8Array;
  /** Commands recognised in this chunk, in order. */
  actions: EscapeAction[];
}

export class EscapeFilter {
  private readonly esc: number;
  /** True at the start of a line (after \r or \n, or initially). */
  private lineStart = true;
  /** The escape char was seen at a line start; the next byte decides. */
  private pending = false;

  constructor(escapeChar: string) {
    this.esc = escapeChar.charCodeAt(0);
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
        switch (b) {
          case 0x2e: // .
            actions.push("disconnect");
            return { forward: Uint8Array.from(out), actions };
          case 0x3f: // ?
            actions.push("help");
            continue;
          case 0x42: // B
            actions.push("break");
            continue;
          case 0x23: // #
            actions.push("list");
            continue;
          default:
            if (b !== this.esc) out.push(this.esc);
            out.push(b);
            this.lineStart = b === 0x0d || b === 0x0a;
            continue;
        }
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

export function escapeHelp(esc: string): string {
  return [
    "Supported escape sequences:",
    ` ${esc}.   - terminate connection`,
    ` ${esc}B   - send a BREAK to the remote system`,
    ` ${esc}#   - list forwarded connections`,
    ` ${esc}?   - this message`,
    ` ${esc}${esc}   - send the escape character by typing it twice`,
    "(Note that escapes are only recognized immediately after newline.)",
    "",
  ].join("\r\n");
}
