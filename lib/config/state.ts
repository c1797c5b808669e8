// The options as ssh accumulates them while reading the command line and config files:
// undefined = not set yet. The first value set wins (ssh's "-1 means unset" rule), except
// for the list options that append (SendEnv, IdentityFile, forwards).
import type { ControlMasterMode, RequestTTY } from "./options.ts";
import type { StrictHostKeyChecking } from "../ssh/known_hosts/config.ts";
import type { ForwardSpec } from "../ssh/forward/spec.ts";

export interface JumpSpec {
  /** The hop ssh connects through directly before the destination (%j). */
  host: string;
  user?: string;
  port?: number;
  /** Earlier hops, comma-separated, for the implied `-J` of the jump ssh. */
  extra?: string;
}

export interface ConfigState {
  hostName?: string;
  port?: number;
  user?: string;
  controlPath?: string;
  controlMaster?: ControlMasterMode;
  /** "no" = off; a number = on with that idle timeout in seconds (0 = forever). */
  controlPersist?: number | "no";
  /** SessionName (sshmux only; stock ssh needs `IgnoreUnknown SessionName`). */
  sessionName?: string;
  /** sshmux's ControlHeal: the master reconnects when its connection is lost. */
  controlHeal?: boolean;
  sendEnv: string[];
  setEnv?: string[];
  localForwards: ForwardSpec[];
  remoteForwards: ForwardSpec[];
  clearAllForwardings?: boolean;
  exitOnForwardFailure?: boolean;
  gatewayPorts?: boolean;
  /** One character, or "none". */
  escapeChar?: string;
  requestTTY?: RequestTTY;
  sessionType?: "default" | "none" | "subsystem";
  stdinNull?: boolean;
  forkAfterAuthentication?: boolean;
  remoteCommand?: string;
  identityFiles: string[];
  certificateFiles: string[];
  identitiesOnly?: boolean;
  identityAgent?: string;
  batchMode?: boolean;
  strictHostKeyChecking?: StrictHostKeyChecking;
  userKnownHostsFiles?: string[];
  globalKnownHostsFiles?: string[];
  hostKeyAlias?: string;
  ciphers?: string;
  kexAlgorithms?: string;
  hostKeyAlgorithms?: string;
  macs?: string;
  pubkeyAcceptedAlgorithms?: string;
  passwordAuthentication?: boolean;
  kbdInteractiveAuthentication?: boolean;
  pubkeyAuthentication?: boolean;
  preferredAuthentications?: string;
  numberOfPasswordPrompts?: number;
  /** Seconds; -1 = "none". */
  connectTimeout?: number;
  connectionAttempts?: number;
  serverAliveInterval?: number;
  serverAliveCountMax?: number;
  rekeyLimit?: number;
  rekeyInterval?: number;
  proxyCommand?: string;
  /** ProxyJump; "none" = explicitly disabled. */
  jump?: JumpSpec | "none";
  addressFamily?: "any" | "inet" | "inet6";
  bindAddress?: string;
  bindInterface?: string;
  compression?: boolean;
  logLevel?: number;
  forwardAgent?: boolean;
  /** ForwardAgent given a socket path (or $VAR) instead of yes/no. */
  forwardAgentPath?: string;
  forwardX11?: boolean;
  forwardX11Trusted?: boolean;
  /** IgnoreUnknown pattern list. */
  ignoreUnknown?: string;
  /** Every keyword seen while active: canonical lowercase name → first raw value. */
  raw: Map<string, string>;
}

export function emptyState(): ConfigState {
  return {
    sendEnv: [],
    localForwards: [],
    remoteForwards: [],
    identityFiles: [],
    certificateFiles: [],
    raw: new Map(),
  };
}
