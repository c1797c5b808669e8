// The reason strings OpenSSH's master puts in MUX_S_PERMISSION_DENIED / MUX_S_FAILURE (mux.c
// reply_error calls) and in MUX_S_EXT_INFO. Clients print them verbatim ("Master refused
// session request: Permission denied", "forwarding request failed: port not forwarded"), and
// scripts match on that output, so a compatible master sends the same text.

/** Every refusal after an ask/autoask prompt is answered "no". */
export const REASON_PERMISSION_DENIED = "Permission denied";
/** A request type the master has no handler for (the connection stays open). */
export const REASON_UNSUPPORTED_REQUEST = "unsupported request";
/** NEW_SESSION / NEW_STDIO_FWD whose fds did not arrive (the connection is then dropped). */
export const REASON_NO_FDS = "did not receive file descriptors";
/** sshmux: NEW_SESSION / NEW_STDIO_FWD on a control connection over stdin/stdout (`-S -`). */
export const REASON_NO_FD_PASSING =
  "file descriptors cannot be passed over stdin/stdout; use proxy mode (MUX_C_PROXY)";
/** A second NEW_SESSION / NEW_STDIO_FWD on one control connection. */
export const REASON_MULTIPLE_SESSIONS = "Multiple sessions not supported";
/** sshmux: PROXY on a control connection that already carries a session or -W forward. */
export const REASON_PROXY_AFTER_SESSION = "Proxy mode not supported on a connection with a session";
/** The server refused the session (or -W) channel open. */
export const REASON_SESSION_OPEN_REFUSED = "Session open refused by peer";
/** OPEN_FWD failing validation (unknown type, dynamic with a path, local with port 0 …). */
export const REASON_INVALID_FORWARD = "Invalid forwarding request";
/** OPEN_FWD local/dynamic listener setup failed. */
export const REASON_FORWARD_FAILED = "Port forwarding failed";
/** CLOSE_FWD for a forward the master does not have. */
export const REASON_PORT_NOT_FORWARDED = "port not forwarded";
/** CLOSE_FWD of a remote forward whose cancel request could not be sent. */
export const REASON_PORT_NOT_PERMITTED = "port not in permitted opens";
/** CLOSE_FWD of a local/dynamic forward without a listener. */
export const REASON_PORT_NOT_FOUND = "port not found";
/** MUX_S_EXT_INFO (status 0) message for an info name other than connection/channels. */
export const REASON_INFO_NOT_SUPPORTED = "info request type not supported";

/** The FAILURE reason when the server refuses a remote forward (tcpip-forward). */
export function remoteForwardFailedReason(listen: { path: string } | { port: number }): string {
  return "path" in listen
    ? `remote port forwarding failed for listen path ${listen.path}`
    : `remote port forwarding failed for listen port ${listen.port}`;
}
