// Port forwarding for the SSH client and the mux master: -L, -R, -D and -W.
export { ForwardManager } from "./manager.ts";
export type { ActiveForward, AddResult, ForwardManagerOptions } from "./manager.ts";
export { ForwardError } from "./errors.ts";
export type { ForwardErrorKind } from "./errors.ts";
export { LocalForward } from "./local.ts";
export { remoteBindHost, RemoteForwarder } from "./remote.ts";
export { runStdioForward, stdioEndpoint } from "./stdio.ts";
export { localKind, setupConfiguredForwards } from "./startup.ts";
export { describeForward, type ForwardKind, isDynamicTarget, sameForward } from "./spec.ts";
export type { BridgeFn, ByteEndpoint, ForwardChannel, ForwardConnection } from "./conn_api.ts";
