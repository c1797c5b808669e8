// The state one authentication run shares between methods: the transport, who we are, and
// reading the server's next auth message while printing any USERAUTH_BANNER on the way.

import type { AuthConfig } from "./config.ts";
import { FatalError, ProtocolError } from "../../errors.ts";
import { getLogLevel, log, LogLevel } from "../../log.ts";
import type { PacketTransport } from "../packet_transport.ts";
import {
  MAX_AUTH_TEXT,
  parseBanner,
  parseFailure,
  sanitizeForTerminal,
  SSH_MSG_USERAUTH_BANNER,
  SSH_MSG_USERAUTH_FAILURE,
  SSH_MSG_USERAUTH_SUCCESS,
  type UserauthFailure,
} from "./messages.ts";
import type { Prompter } from "./prompter.ts";

/** What auth needs from the transport: packets, the session id, and the server's sig algs. */
export type AuthTransport = PacketTransport & {
  readonly sessionId: Uint8Array;
  readonly serverSigAlgs?: readonly string[] | undefined;
};

/** How one method run ended. "unavailable" = it sent nothing (no keys, no tty, disabled). */
export type Outcome =
  | { kind: "success" }
  | { kind: "failure"; failure: UserauthFailure }
  | { kind: "unavailable" };

/** A bound on messages per authentication, so a server cannot keep us in auth forever. */
const MAX_AUTH_MESSAGES = 1024;

export class AuthSession {
  readonly user: string;
  /** The host name in "Permission denied" (HostName, after substitution). */
  readonly host: string;
  /** The host name in password and keyboard-interactive prompts: HostKeyAlias if set, as ssh. */
  readonly promptHost: string;
  private received = 0;
  /** The most recent failure list, for methods that end without a FAILURE of their own. */
  lastFailure: UserauthFailure = { methods: [], partialSuccess: false };

  constructor(
    readonly transport: AuthTransport,
    readonly opts: AuthConfig,
    readonly prompter: Prompter,
  ) {
    this.user = opts.user;
    this.host = opts.hostName;
    this.promptHost = opts.hostKeyAlias ?? opts.hostName;
  }

  send(msg: Uint8Array): Promise<void> {
    return this.transport.send(msg);
  }

  /** The next message that is not a banner. Banners are shown unless LogLevel is below INFO. */
  async next(): Promise<Uint8Array> {
    for (;;) {
      if (++this.received > MAX_AUTH_MESSAGES) {
        throw new ProtocolError("too many authentication messages from server");
      }
      const msg = await this.transport.receive();
      if (msg === null) {
        throw new FatalError(`Connection closed by ${this.host} port ${this.opts.port}`);
      }
      if (msg.length === 0) throw new ProtocolError("empty message during authentication");
      if (msg[0] === SSH_MSG_USERAUTH_BANNER) {
        this.showBanner(parseBanner(msg));
        continue;
      }
      if (msg[0] === SSH_MSG_USERAUTH_FAILURE) this.lastFailure = parseFailure(msg);
      return msg;
    }
  }

  private showBanner(text: string): void {
    if (getLogLevel() < LogLevel.INFO || this.opts.quiet) return;
    const shown = text.slice(0, MAX_AUTH_TEXT);
    if (shown.length === 0) return;
    if (this.prompter.show) this.prompter.show(sanitizeForTerminal(shown));
    // The logger escapes control bytes itself.
    else log.info(shown.replace(/\r?\n$/, ""));
  }

  /** Classifies a reply that ends an attempt: SUCCESS or FAILURE; anything else is a violation. */
  endOfAttempt(msg: Uint8Array, during: string): Outcome {
    if (msg[0] === SSH_MSG_USERAUTH_SUCCESS) return { kind: "success" };
    if (msg[0] === SSH_MSG_USERAUTH_FAILURE) return { kind: "failure", failure: this.lastFailure };
    throw new ProtocolError(`unexpected message type ${msg[0]} during ${during}`);
  }
}
