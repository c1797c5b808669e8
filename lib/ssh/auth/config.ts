// What user authentication needs to know, and nothing else of the command line. lib/config
// builds it from Options (lib/config/ssh_client_config.ts authConfig); tests build it directly.

export interface AuthConfig {
  /** The remote user. */
  user: string;
  /** HostName: named in "Permission denied" and "Connection closed by" messages. */
  hostName: string;
  port: number;
  /** Named in password and keyboard-interactive prompts instead of hostName when set. */
  hostKeyAlias?: string;
  /** LogLevel QUIET (-q): banners are not shown. */
  quiet: boolean;
  /** Comma-separated methods in preference order; default publickey,keyboard-interactive,password. */
  preferredAuthentications?: string;
  pubkeyAuthentication: boolean;
  passwordAuthentication: boolean;
  kbdInteractiveAuthentication: boolean;
  /** Never prompt (no password, keyboard-interactive or passphrase questions). */
  batchMode: boolean;
  numberOfPasswordPrompts: number;
  /** Private key files, already tilde- and %-expanded, in the order to offer them. */
  identityFiles: string[];
  /** Certificate files, expanded; when non-empty, no implicit `<key>-cert.pub`. */
  certificateFiles: string[];
  identitiesOnly: boolean;
  /** The agent socket; "none" or undefined = no agent. */
  identityAgent?: string;
  /** PubkeyAcceptedAlgorithms as written (+append, -remove, ^prepend). */
  pubkeyAcceptedAlgorithms?: string;
}
