// Typed forwarding failures. The message is the line ssh prints for the failure (the mux master
// sends its own short text instead); `details` holds the lines ssh printed before it.

export type ForwardErrorKind =
  /** No local listener could be opened (-L, -D). */
  | "listen-failed"
  /** The server refused tcpip-forward / streamlocal-forward (-R). */
  | "remote-failed"
  /** The spec cannot be forwarded as given. */
  | "invalid"
  /** cancel() found no such forward. */
  | "not-found"
  /** The server refused the cancel request. */
  | "cancel-failed";

export class ForwardError extends Error {
  override name = "ForwardError";
  constructor(
    readonly kind: ForwardErrorKind,
    message: string,
    readonly details: readonly string[] = [],
  ) {
    super(message);
  }
}
