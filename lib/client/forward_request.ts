// Maps a parsed -L/-R/-D forward onto the fields of MUX_C_OPEN_FWD / MUX_C_CLOSE_FWD exactly as
// OpenSSH's client fills them (mux.c mux_client_forward), so a master's exact-match lookup for
// `-O cancel` finds the forward that `-O forward` or a session's -L opened.

import {
  MUX_FWD_DYNAMIC,
  MUX_FWD_LOCAL,
  MUX_FWD_REMOTE,
  PORT_STREAMLOCAL,
} from "../mux/constants.ts";
import type { ForwardSpec } from "../ssh/forward/spec.ts";

export interface ForwardRequestFields {
  fwdType: number;
  listenHost: string;
  listenPort: number;
  connectHost: string;
  connectPort: number;
}

/**
 * `remote` says whether the spec came from -R/RemoteForward. Local specs with connect port 0 are
 * dynamic (-D, encoded by the parser as connectHost "socks", connectPort 0).
 */
export function forwardRequestFields(spec: ForwardSpec, remote: boolean): ForwardRequestFields {
  let fwdType: number;
  if (remote) fwdType = MUX_FWD_REMOTE;
  else if (spec.connectPath === undefined && spec.connectPort === 0) fwdType = MUX_FWD_DYNAMIC;
  else fwdType = MUX_FWD_LOCAL;

  // ssh sends a NULL listen host as "" and an explicitly empty one (`-L :1234:h:p`) as "*".
  let listenHost: string;
  let listenPort = spec.listenPort;
  if (spec.listenPath !== undefined) {
    listenHost = spec.listenPath;
    listenPort = PORT_STREAMLOCAL;
  } else if (spec.listenHost === undefined) {
    listenHost = "";
  } else if (spec.listenHost === "") {
    listenHost = "*";
  } else {
    listenHost = spec.listenHost;
  }

  let connectHost: string;
  let connectPort = spec.connectPort;
  if (spec.connectPath !== undefined) {
    connectHost = spec.connectPath;
    connectPort = PORT_STREAMLOCAL;
  } else {
    connectHost = spec.connectHost ?? "";
  }
  return { fwdType, listenHost, listenPort, connectHost, connectPort };
}

/**
 * ssh's human description of a forward from the OPEN_FWD/CLOSE_FWD fields, as mux.c's client
 * logs it ("local forward LOCALHOST:1 -> b:2"; a listen host "" reads LOCALHOST). The SSH
 * forwarders describe a ForwardSpec with lib/ssh/forward's describeForward instead.
 */
export function describeMuxForward(f: ForwardRequestFields): string {
  const side = (host: string, port: number) =>
    port === PORT_STREAMLOCAL ? host : `${host === "" ? "LOCALHOST" : host}:${port}`;
  const kind = f.fwdType === MUX_FWD_REMOTE
    ? "remote forward"
    : f.fwdType === MUX_FWD_DYNAMIC
    ? "dynamic forward"
    : "local forward";
  const target = f.fwdType === MUX_FWD_DYNAMIC ? "*" : side(f.connectHost, f.connectPort);
  return `${kind} ${side(f.listenHost, f.listenPort)} -> ${target}`;
}
