// The "keyboard-interactive" method (RFC 4256): the server sends prompts (INFO_REQUEST), we
// answer each on the tty with the echo flag it asked for. Up to NumberOfPasswordPrompts rounds.

import { log } from "../../log.ts";
import {
  encodeInfoResponse,
  encodeKbdIntRequest,
  parseInfoRequest,
  sanitizeForTerminal,
  SSH_MSG_USERAUTH_INFO_REQUEST,
} from "./messages.ts";
import type { AuthSession, Outcome } from "./session.ts";

/** INFO_REQUESTs accepted within one attempt (PAM conversations are a handful). */
const MAX_INFO_ROUNDS = 64;

export async function tryKeyboardInteractive(s: AuthSession): Promise<Outcome> {
  let outcome: Outcome = { kind: "unavailable" };
  for (let attempt = 0; attempt < s.opts.numberOfPasswordPrompts; attempt++) {
    await s.send(encodeKbdIntRequest(s.user));
    let cancelled = false;
    let rounds = 0;
    for (;;) {
      const msg = await s.next();
      if (msg[0] !== SSH_MSG_USERAUTH_INFO_REQUEST) {
        outcome = s.endOfAttempt(msg, "keyboard-interactive authentication");
        break;
      }
      if (++rounds > MAX_INFO_ROUNDS) {
        log.error("Too many keyboard-interactive prompts from the server.");
        return { kind: "failure", failure: s.lastFailure };
      }
      const req = parseInfoRequest(msg);
      // Raw, as ssh logs them: the logger escapes control bytes (escaping twice would garble).
      if (req.name) log.info(req.name);
      if (req.instruction) log.info(req.instruction);
      const answers: string[] = [];
      for (const p of req.prompts) {
        // ssh 9.x shows whose login each prompt is for: "(user@host) Password: ".
        const shown = `(${s.user}@${s.promptHost}) ${sanitizeForTerminal(p.prompt)}`;
        const a = cancelled ? null : await s.prompter.ask(shown, p.echo);
        if (a === null) cancelled = true;
        answers.push(a ?? "");
      }
      await s.send(encodeInfoResponse(answers));
    }
    if (outcome.kind !== "failure") return outcome;
    if (cancelled || outcome.failure.partialSuccess) break;
    if (!outcome.failure.methods.includes("keyboard-interactive")) break;
  }
  return outcome;
}
