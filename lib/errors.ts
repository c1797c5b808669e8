// Typed errors for the cases callers branch on. Messages are written for the user.

/** The peer broke a protocol rule (malformed message, bad length, unexpected type). */
export class ProtocolError extends Error {
  override name = "ProtocolError";
}

/** A read ran past the end of a message: a truncated or malformed encoding. */
export class DecodeError extends ProtocolError {
  override name = "DecodeError";
}

/** A length field or count exceeded a cap we enforce on peer input. */
export class SizeLimitError extends ProtocolError {
  override name = "SizeLimitError";
}

/** The peer or the local user ended the connection. */
export class DisconnectError extends Error {
  override name = "DisconnectError";
  constructor(message: string, readonly reasonCode = 0) {
    super(message);
  }
}

/** A user-facing fatal condition: main prints the message and exits with `exitCode`. */
export class FatalError extends Error {
  override name = "FatalError";
  constructor(message: string, readonly exitCode = 255) {
    super(message);
  }
}
