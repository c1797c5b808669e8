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

/**
 * Errors that ended the SSH connection the way ssh's sshpkt_fatal() does ("Connection closed
 * by H port P", "Unable to negotiate ...", "Received disconnect ..."). ssh logs those at INFO
 * before exiting 255, so `-o LogLevel=ERROR` hides them; other fatal errors print at ERROR.
 * A WeakSet rather than a class, because the same errors are also thrown as their own types.
 */
const connectionEnds = new WeakSet<object>();

/** Marks `e` as reported at LogLevel INFO; returns it. */
export function reportAtInfo<E extends Error>(e: E): E {
  connectionEnds.add(e);
  return e;
}

/** True when `e`, or an error it wraps (`cause`), was marked by reportAtInfo. */
export function reportedAtInfo(e: unknown): boolean {
  for (let depth = 0; depth < 8 && typeof e === "object" && e !== null; depth++) {
    if (connectionEnds.has(e)) return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}
