// What the master's own configuration decides for every mux client (OpenSSH applies the
// master's options, not the client's: SendEnv/SetEnv, RequestTTY, ForwardAgent, LogLevel),
// taken from Options once, so nothing under lib/master reads the whole CLI state.

import type { ControlMasterMode, Options, RequestTTY } from "../config/options.ts";
import { LogLevel } from "../log.ts";

export interface MasterPolicy {
  /** Host name for messages ("Allow shared connection to H?", connection info). */
  host: string;
  /** The master's SendEnv patterns: a client's env string passes only if one matches. */
  sendEnv: readonly string[];
  /** The master's SetEnv: sent on every mux session after the client's variables. */
  setEnv: readonly string[];
  /** The master's RequestTTY: with yes/force a refused pty ends the session. */
  requestTty: RequestTTY;
  /** The master's ForwardAgent (and its agent socket): honoured for clients that want it. */
  agentSocket?: string;
  /** Below ERROR (-q) the master writes no "... request failed" lines to clients' stderr. */
  quiet: boolean;
  /** ask/autoask: confirm each request with the user (ssh-askpass). */
  controlMaster: ControlMasterMode;
  /** ServerAlive for the shared connection. */
  serverAliveInterval: number;
  serverAliveCountMax: number;
}

export function masterPolicy(opts: Options, logLevel: LogLevel): MasterPolicy {
  return {
    host: opts.hostName,
    sendEnv: [...opts.sendEnv],
    setEnv: [...opts.setEnv],
    requestTty: opts.requestTTY,
    agentSocket: opts.forwardAgent ? Deno.env.get("SSH_AUTH_SOCK") || undefined : undefined,
    quiet: logLevel < LogLevel.ERROR,
    controlMaster: opts.controlMaster,
    serverAliveInterval: opts.serverAliveInterval,
    serverAliveCountMax: opts.serverAliveCountMax,
  };
}
