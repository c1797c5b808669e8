// Session channels: requests, env selection, local stdio, ServerAlive and the session runner.
export { Session, SessionStartError } from "./session.ts";
export type { SessionExit, SessionKind, SessionSetup } from "./session.ts";
export * from "./requests.ts";
export { sessionEnv } from "./env.ts";
export { denoStdio, fdStdio, processStdio } from "./stdio.ts";
export type { LocalStdio, LocalTerminal } from "./stdio.ts";
export { startServerAlive } from "./keepalive.ts";
export { runSession } from "./run_session.ts";
export type { RunSessionOptions } from "./run_session.ts";
export { EscapeFilter, escapeHelp } from "./escape.ts";
