// Typed refusal for mux clients: the master answered a request with MUX_S_PERMISSION_DENIED
// or MUX_S_FAILURE. Callers branch on `kind` (stock ssh prints "Master refused …" for the first
// and "… request failed: …" for the second) and show `reason` as the master wrote it.

import type { MuxFailure, MuxPermissionDenied } from "./messages.ts";

export type MuxRefusalKind = "PermissionDenied" | "Failure";

export class MuxRequestRefused extends Error {
  override name = "MuxRequestRefused";
  constructor(readonly reason: string, readonly kind: MuxRefusalKind) {
    super(kind === "PermissionDenied" ? `master refused request: ${reason}` : reason);
  }

  /** The error for a PERMISSION_DENIED or FAILURE reply. */
  static fromReply(reply: MuxPermissionDenied | MuxFailure): MuxRequestRefused {
    return new MuxRequestRefused(reply.reason, reply.kind);
  }
}
