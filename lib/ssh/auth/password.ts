// The "password" method (RFC 4252 §8): prompt on the tty, up to NumberOfPasswordPrompts tries.
// A password change request (PASSWD_CHANGEREQ) is not supported: the method ends there.

import { log } from "../../log.ts";
import { encodePasswordRequest, SSH_MSG_USERAUTH_PASSWD_CHANGEREQ } from "./messages.ts";
import type { AuthSession, Outcome } from "./session.ts";

export async function tryPassword(s: AuthSession): Promise<Outcome> {
  let outcome: Outcome = { kind: "unavailable" };
  const prompt = `${s.user}@${s.promptHost}'s password: `;
  for (let attempt = 0; attempt < s.opts.numberOfPasswordPrompts; attempt++) {
    if (attempt > 0) log.error("Permission denied, please try again.");
    const password = await s.prompter.ask(prompt, false);
    if (password === null) break;
    await s.send(encodePasswordRequest(s.user, password));
    const reply = await s.next();
    if (reply[0] === SSH_MSG_USERAUTH_PASSWD_CHANGEREQ) {
      log.error("The server requires a password change, which sshmux does not support.");
      return { kind: "failure", failure: s.lastFailure };
    }
    outcome = s.endOfAttempt(reply, "password authentication");
    if (outcome.kind !== "failure") return outcome;
    if (outcome.failure.partialSuccess || !outcome.failure.methods.includes("password")) break;
  }
  return outcome;
}
