// Helpers over ForwardSpec: classification, exact comparison (mux.c compare_forward: every
// field, undefined equals only undefined) and the text ssh uses for a forward in messages.

import { PORT_STREAMLOCAL } from "../../mux/constants.ts";

/** A -L/-R/-D forward. A path field set means that side is a unix socket (port PORT_STREAMLOCAL). */
export interface ForwardSpec {
  /** Listen host; undefined = not given (localhost), "" = given empty (`:port`, all interfaces). */
  listenHost?: string;
  listenPort: number;
  listenPath?: string;
  /** Connect host; "socks" with connectPort 0 for dynamic forwards, as OpenSSH encodes them. */
  connectHost?: string;
  connectPort: number;
  connectPath?: string;
}

export type ForwardKind = "local" | "remote" | "dynamic";

/** A dynamic (SOCKS) forward: connect host "socks", connect port 0, as OpenSSH encodes it. */
export function isDynamicTarget(spec: ForwardSpec): boolean {
  return spec.connectPath === undefined && spec.connectPort === 0 &&
    (spec.connectHost === undefined || spec.connectHost === "socks");
}

export function sameForward(a: ForwardSpec, b: ForwardSpec): boolean {
  const listenPortA = a.listenPath !== undefined ? PORT_STREAMLOCAL : a.listenPort;
  const listenPortB = b.listenPath !== undefined ? PORT_STREAMLOCAL : b.listenPort;
  const connectPortA = a.connectPath !== undefined ? PORT_STREAMLOCAL : a.connectPort;
  const connectPortB = b.connectPath !== undefined ? PORT_STREAMLOCAL : b.connectPort;
  return a.listenHost === b.listenHost && a.listenPath === b.listenPath &&
    listenPortA === listenPortB && a.connectHost === b.connectHost &&
    a.connectPath === b.connectPath && connectPortA === connectPortB;
}

/** "host:port" or the path, for the listen side. */
export function listenText(spec: ForwardSpec): string {
  if (spec.listenPath !== undefined) return spec.listenPath;
  return `${spec.listenHost ?? "LOCALHOST"}:${spec.listenPort}`;
}

/** "host:port" or the path, for the connect side ("socks" for dynamic ones). */
export function connectText(spec: ForwardSpec): string {
  if (spec.connectPath !== undefined) return spec.connectPath;
  return `${spec.connectHost ?? ""}:${spec.connectPort}`;
}

/** PORT_STREAMLOCAL as OpenSSH prints it: a signed int. */
const STREAMLOCAL_AS_INT = -2;

/**
 * A forward as OpenSSH's master names it in its log lines and ask prompts (mux.c
 * format_forward): a unix socket side prints its path with port -2 (PORT_STREAMLOCAL), a local
 * or dynamic forward without a listen host prints "*" under GatewayPorts, else "LOCALHOST".
 */
export function formatForwardLikeOpenssh(
  kind: ForwardKind,
  spec: ForwardSpec,
  gatewayPorts: boolean,
): string {
  const defaultListen = gatewayPorts && kind !== "remote" ? "*" : "LOCALHOST";
  const listen = spec.listenPath !== undefined
    ? `${spec.listenPath}:${STREAMLOCAL_AS_INT}`
    : `${spec.listenHost ?? defaultListen}:${spec.listenPort}`;
  if (kind === "dynamic") return `dynamic forward ${listen} -> *`;
  const connect = spec.connectPath !== undefined
    ? `${spec.connectPath}:${STREAMLOCAL_AS_INT}`
    : `${spec.connectHost ?? ""}:${spec.connectPort}`;
  return `${kind} forward ${listen} -> ${connect}`;
}

/** One line per forward for -O list and debug logs: "local forward h:p -> h:p", bare paths. */
export function describeForward(kind: ForwardKind, spec: ForwardSpec): string {
  if (kind === "dynamic") return `dynamic forward ${listenText(spec)} -> *`;
  return `${kind} forward ${listenText(spec)} -> ${connectText(spec)}`;
}

/** Validates a spec for its kind (mux.c's "Invalid forwarding request" rules); null if fine. */
export function invalidReason(kind: ForwardKind, spec: ForwardSpec): string | null {
  const validPort = (p: number) => Number.isInteger(p) && p >= 0 && p <= 0xffff;
  if (spec.listenPath === undefined && !validPort(spec.listenPort)) return "invalid listen port";
  if (spec.connectPath === undefined && !validPort(spec.connectPort)) {
    return "invalid connect port";
  }
  if (kind === "dynamic") {
    if (spec.listenPath !== undefined) return "streamlocal and dynamic forwards are exclusive";
    return null;
  }
  if (kind === "local" && spec.connectPath === undefined && spec.connectPort === 0) {
    return "missing connect port";
  }
  if (spec.connectPath === undefined && !spec.connectHost) return "missing connect host";
  return null;
}
