// Typed errors of the connection layer, for callers that branch on them (forwarding maps
// ChannelOpenError to SOCKS replies and mux failures; sessions map ConnectionLostError to 255).

/** The server refused SSH_MSG_CHANNEL_OPEN (RFC 4254 §5.1 reason codes). */
export class ChannelOpenError extends Error {
  override name = "ChannelOpenError";
  /** `localId`: our number of the refused channel, for ssh's "channel N: open failed" line. */
  constructor(
    readonly reasonCode: number,
    readonly description: string,
    readonly localId?: number,
  ) {
    super(`channel open failed: ${description || "no reason given"} (reason ${reasonCode})`);
  }
}

/** Writing to / requesting on a channel that is closed, or whose peer sent eow@openssh.com. */
export class ChannelClosedError extends Error {
  override name = "ChannelClosedError";
}

/** The SSH connection under the channel ended (transport closed, protocol error, disconnect). */
export class ConnectionLostError extends Error {
  override name = "ConnectionLostError";
  constructor(message: string, override readonly cause?: unknown) {
    super(message);
  }
}
