// MUX_C_OPEN_FWD / MUX_C_CLOSE_FWD fields → the ForwardManager's spec and kind, the inverse of
// what a client encodes (lib/client/forward_request.ts): an empty host is "none" (OpenSSH turns
// "" into NULL), PORT_STREAMLOCAL means the host field is a unix socket path.

import type { ForwardSpec } from "../ssh/forward/spec.ts";
import {
  MUX_FWD_DYNAMIC,
  MUX_FWD_LOCAL,
  MUX_FWD_REMOTE,
  PORT_STREAMLOCAL,
} from "../mux/constants.ts";
import type { MuxForwardFields } from "../mux/messages.ts";
import type { ForwardKind } from "../ssh/forward/spec.ts";

const KINDS: Record<number, ForwardKind> = {
  [MUX_FWD_LOCAL]: "local",
  [MUX_FWD_REMOTE]: "remote",
  [MUX_FWD_DYNAMIC]: "dynamic",
};

/** The kind, or undefined for a type OpenSSH refuses as "Invalid forwarding request". */
export function forwardKind(fwdType: number): ForwardKind | undefined {
  return KINDS[fwdType];
}

export function forwardSpec(f: Omit<MuxForwardFields, "rid">): ForwardSpec {
  const spec: ForwardSpec = { listenPort: 0, connectPort: 0 };
  if (f.listenPort === PORT_STREAMLOCAL) spec.listenPath = f.listenHost;
  else {
    spec.listenPort = f.listenPort;
    if (f.listenHost !== "") spec.listenHost = f.listenHost;
  }
  if (f.connectPort === PORT_STREAMLOCAL) spec.connectPath = f.connectHost;
  else {
    spec.connectPort = f.connectPort;
    if (f.connectHost !== "") spec.connectHost = f.connectHost;
  }
  return spec;
}
