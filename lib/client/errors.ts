// Errors the mux client branches on (refusals are lib/mux's MuxRequestRefused).

import { ProtocolError } from "../errors.ts";

/** A reply carried another request id: OpenSSH's client treats this as fatal, never retries. */
export class MuxOutOfSequence extends ProtocolError {
  override name = "MuxOutOfSequence";
}

/** The master closed the control connection where a reply was expected. */
export class MuxMasterGone extends Error {
  override name = "MuxMasterGone";
}

/**
 * The mux attempt failed in a way after which OpenSSH's client connects directly instead
 * (no master, hello failed, session refused): main falls back to plain mode. The message has
 * already been logged where ssh logs it.
 */
export class MuxFallback extends Error {
  override name = "MuxFallback";
}
