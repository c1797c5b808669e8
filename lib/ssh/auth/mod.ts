// SSH user authentication (RFC 4252) like ssh's sshconnect2.c: request the ssh-userauth
// service, try "none", then the methods the server lists in PreferredAuthentications order
// (default publickey, keyboard-interactive, password), honouring partial success. Failing all
// ends like ssh: "user@host: Permission denied (methods)." and exit status 255.

import type { AuthConfig } from "./config.ts";
import { FatalError, ProtocolError } from "../../errors.ts";
import { log } from "../../log.ts";
import type { AgentClient } from "../keys/agent.ts";
import { agentFor, collectIdentities, type Identity } from "./identities.ts";
import { tryKeyboardInteractive } from "./kbd_interactive.ts";
import {
  encodeNoneRequest,
  encodeServiceRequest,
  parseServiceAccept,
  SERVICE_USERAUTH,
} from "./messages.ts";
import { SSH_MSG_SERVICE_ACCEPT } from "../transport/constants.ts";
import { tryPassword } from "./password.ts";
import type { Prompter } from "./prompter.ts";
import { tryPublickey } from "./publickey.ts";
import { AuthSession, type AuthTransport, type Outcome } from "./session.ts";

export type { AuthTransport } from "./session.ts";
export type { Prompter } from "./prompter.ts";
export { ScriptedPrompter, TtyPrompter } from "./prompter.ts";

export const DEFAULT_PREFERRED_AUTHENTICATIONS = "publickey,keyboard-interactive,password";

export interface AuthOptions {
  /** The agent to use; null = none; undefined = from IdentityAgent / SSH_AUTH_SOCK. */
  agent?: AgentClient | null;
  /**
   * How the "Authenticated to H (...)" line names the connection: "[ADDR]:PORT" on a socket,
   * "via proxy" through a ProxyCommand, as ssh's does. Left out when unknown.
   */
  peer?: string;
}

function peerNote(o: AuthOptions): string {
  return o.peer === undefined ? "" : ` (${o.peer})`;
}

/** Methods we may run under these options, in preference order. */
export function methodsToTry(opts: AuthConfig): string[] {
  const preferred = (opts.preferredAuthentications ?? DEFAULT_PREFERRED_AUTHENTICATIONS)
    .split(",").map((m) => m.trim()).filter((m) => m);
  return preferred.filter((m) => {
    if (m === "publickey") return opts.pubkeyAuthentication;
    // Both need answers typed by a person: never in BatchMode.
    if (m === "password") return opts.passwordAuthentication && !opts.batchMode;
    if (m === "keyboard-interactive") return opts.kbdInteractiveAuthentication && !opts.batchMode;
    return false; // gssapi-with-mic, hostbased: not implemented
  });
}

export async function authenticate(
  transport: AuthTransport,
  opts: AuthConfig,
  prompter: Prompter,
  authOpts: AuthOptions = {},
): Promise<void> {
  const s = new AuthSession(transport, opts, prompter);
  await transport.send(encodeServiceRequest(SERVICE_USERAUTH));
  const accept = await s.next();
  if (accept[0] !== SSH_MSG_SERVICE_ACCEPT) {
    throw new ProtocolError(`expected SERVICE_ACCEPT, got message type ${accept[0]}`);
  }
  const service = parseServiceAccept(accept);
  if (service !== "" && service !== SERVICE_USERAUTH) {
    throw new ProtocolError(`server accepted service "${service}", not ${SERVICE_USERAUTH}`);
  }

  await s.send(encodeNoneRequest(s.user));
  const none = s.endOfAttempt(await s.next(), "none authentication");
  if (none.kind === "success") {
    log.verbose(`Authenticated to ${s.host}${peerNote(authOpts)} using "none".`);
    return;
  }

  const agent = authOpts.agent === undefined ? agentFor(opts) : authOpts.agent ?? undefined;
  let identities: Identity[] | undefined;
  try {
    const preferred = methodsToTry(opts);
    let list = s.lastFailure.methods;
    let tried = new Set<string>();
    for (;;) {
      const method = preferred.find((m) => list.includes(m) && !tried.has(m));
      if (!method) break;
      tried.add(method);
      log.debug(`Next authentication method: ${method}`);
      let outcome: Outcome;
      if (method === "publickey") {
        identities ??= await collectIdentities(opts, { agent, prompter });
        outcome = await tryPublickey(s, identities);
      } else if (method === "password") {
        outcome = await tryPassword(s);
      } else {
        outcome = await tryKeyboardInteractive(s);
      }
      if (outcome.kind === "success") {
        log.verbose(`Authenticated to ${s.host}${peerNote(authOpts)} using "${method}".`);
        return;
      }
      const next = s.lastFailure.methods;
      if (outcome.kind === "failure" && outcome.failure.partialSuccess) {
        log.verbose(`Authenticated using "${method}" with partial success.`);
        tried = new Set();
      } else if (next.join(",") !== list.join(",")) {
        tried = new Set();
      }
      list = next;
    }
    throw new FatalError(`${s.user}@${s.host}: Permission denied (${list.join(",")}).`);
  } finally {
    agent?.close();
  }
}
