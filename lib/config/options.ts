// The options every mode runs from: ssh's command line merged with ssh_config, after
// Host matching, defaults and token expansion. Produced by lib/config, consumed by main.ts,
// lib/client, lib/master and plain mode (lib/ssh/plain.ts); the SSH client library gets its own
// narrow configs built from it (ssh_client_config.ts). Names follow ssh_config keywords.

import type { ForwardSpec } from "../ssh/forward/spec.ts";
import type { StrictHostKeyChecking } from "../ssh/known_hosts/config.ts";

export type ControlMasterMode = "no" | "yes" | "auto" | "ask" | "autoask";
export type MuxCommand =
  | "check"
  | "exit"
  | "stop"
  | "forward"
  | "cancel"
  | "conninfo"
  | "channels"
  | "proxy"
  | "list"
  | "list-json"
  | "signal";
export type RequestTTY = "auto" | "no" | "yes" | "force";

export interface Options {
  // --- destination ---
  /** Host as given on the command line (%n). */
  hostArg: string;
  /** Host to connect to after HostName substitution (%h). */
  hostName: string;
  port: number;
  /** Remote user (%r). */
  user: string;
  /** Remote command words joined by spaces ("" = none). */
  command: string;

  // --- mux ---
  controlPath?: string; // expanded; undefined or "none" = no multiplexing
  controlMaster: ControlMasterMode;
  /** undefined = no; 0 = yes (forever); N = seconds. */
  controlPersist?: number;
  /** ControlHeal (sshmux only): a master reconnects when its SSH connection is lost. */
  controlHeal?: boolean;
  muxCommand?: MuxCommand;
  /** `-O signal=SIG:TARGET` (sshmux): the signal (RFC 4254 name) and session id or name. */
  muxSignal?: { signal: string; target: string };
  /** SessionName (sshmux): the name this client's session gets in its master's listing. */
  sessionName?: string;

  // --- session ---
  /** -t count minus nothing: 0 = not given, 1 = -t, 2 = -tt. -T sets requestTTY "no". */
  requestTTY: RequestTTY;
  /** Derived: whether to ask for a tty (ssh.c tty_flag rules applied in main). */
  stdinNull: boolean; // -n
  sessionType: "default" | "none" | "subsystem"; // -N → none, -s → subsystem
  forkAfterAuthentication: boolean; // -f
  escapeChar: string | "none"; // -e, default "~"
  sendEnv: string[]; // patterns, "-pattern" removals already applied
  setEnv: string[]; // NAME=value
  forwardAgent: boolean;
  forwardX11: boolean;
  remoteCommand?: string;

  // --- forwards ---
  localForwards: ForwardSpec[]; // -L and -D (dynamic: connectHost "socks", connectPort 0)
  remoteForwards: ForwardSpec[]; // -R
  clearAllForwardings: boolean;
  exitOnForwardFailure: boolean;
  gatewayPorts: boolean;
  /** -W host:port (port PORT_STREAMLOCAL for a path). */
  stdioForward?: { host: string; port: number };

  // --- transport / auth (lib/ssh) ---
  identityFiles: string[]; // expanded paths; -i first, then IdentityFile, then defaults
  certificateFiles: string[]; // CertificateFile, expanded; when set, no implicit <key>-cert.pub
  identitiesOnly: boolean;
  identityAgent?: string; // SSH_AUTH_SOCK unless set; "none" disables
  batchMode: boolean;
  strictHostKeyChecking: StrictHostKeyChecking;
  userKnownHostsFiles: string[];
  globalKnownHostsFiles: string[];
  hostKeyAlias?: string;
  ciphers?: string; // raw -o value (may start with + - ^)
  kexAlgorithms?: string;
  hostKeyAlgorithms?: string;
  macs?: string;
  pubkeyAcceptedAlgorithms?: string;
  passwordAuthentication: boolean;
  kbdInteractiveAuthentication: boolean;
  pubkeyAuthentication: boolean;
  preferredAuthentications?: string;
  numberOfPasswordPrompts: number;
  connectTimeout?: number; // seconds
  /** Rounds over the address list before giving up (>= 1). */
  connectionAttempts: number;
  serverAliveInterval: number; // seconds, 0 = off
  serverAliveCountMax: number;
  rekeyLimitBytes?: number;
  rekeyLimitSeconds?: number;
  proxyCommand?: string;
  proxyJump?: string;
  addressFamily: "any" | "inet" | "inet6";
  bindAddress?: string;
  bindInterface?: string;
  compression: boolean;

  // --- logging / misc ---
  logLevel: number; // lib/log LogLevel
  logFile?: string; // -E
  quiet: boolean; // -q
  /** Every -o / config keyword seen, lowercased key → first value (first one wins, like ssh). */
  raw: Map<string, string>;
  /** The config file used (-F), if any. */
  configFile?: string;
}
