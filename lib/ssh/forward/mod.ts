// Port forwarding for the SSH client and the mux master: -L, -R, -D and -W.
//
// One ForwardManager per SSH connection:
//   const fwd = new ForwardManager({ conn, gatewayPorts });
//   await fwd.add(spec, "local" | "remote" | "dynamic")  → { boundPort?, allocatedPort?, duplicate }
//   await fwd.cancel(spec, kind)                         exact match of every spec field
//   fwd.list(); await fwd.closeAll();
// Failures are ForwardError: kind "invalid" | "listen-failed" | "remote-failed" | "not-found" |
// "cancel-failed", message in ssh's words. For a mux master (mux.c): "invalid" → FAILURE
// "Invalid forwarding request"; "listen-failed" → FAILURE "Port forwarding failed";
// "remote-failed" → FAILURE with err.message ("remote port forwarding failed for listen port N");
// "not-found" → FAILURE "port not forwarded"; "cancel-failed" → "port not in permitted opens";
// a remote add with listen port 0 → REMOTE_PORT allocatedPort (also for duplicates); else OK.
// setupConfiguredForwards() applies Options (-L/-R/-D, ExitOnForwardFailure) like ssh.c.
export { ForwardManager } from "./manager.ts";
export type { ActiveForward, AddResult, ForwardManagerOptions } from "./manager.ts";
export { ForwardError } from "./errors.ts";
export type { ForwardErrorKind } from "./errors.ts";
export { LocalForward } from "./local.ts";
export { remoteBindHost, RemoteForwarder } from "./remote.ts";
export { openStdioForwardChannel, runStdioForward, stdioEndpoint } from "./stdio.ts";
export type { StdioStreams } from "./stdio.ts";
export { localKind, setupConfiguredForwards } from "./startup.ts";
export type { ForwardConfig } from "./startup.ts";
export { describeForward, type ForwardKind, isDynamicTarget, sameForward } from "./spec.ts";
export type { BridgeFn, ForwardConnection } from "./conn_api.ts";
