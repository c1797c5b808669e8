// What host key verification needs to know: the name to look up, the files, the policy.
// lib/config builds it from Options (lib/config/ssh_client_config.ts hostKeyConfig).

export type StrictHostKeyChecking = "yes" | "no" | "accept-new" | "ask";

export interface HostKeyConfig {
  /** The host connected to (after HostName); looked up as "[host]:port" unless port is 22. */
  hostName: string;
  port: number;
  /** Looked up (and recorded) instead of hostName when set. */
  hostKeyAlias?: string;
  /** Expanded paths; the first is where a new key is recorded. */
  userKnownHostsFiles: string[];
  /** Paths, `~` allowed. */
  globalKnownHostsFiles: string[];
  strictHostKeyChecking: StrictHostKeyChecking;
  /** No "ask" prompt: an unknown key fails. */
  batchMode: boolean;
  /** Set when connecting through a ProxyCommand (the "ask" prompt then has no address). */
  proxyCommand?: string;
  /** RevokedHostKeys file (`~` allowed), or "none"/undefined. */
  revokedHostKeys: string | undefined;
  /** HashKnownHosts: record new keys under a hashed name. */
  hashKnownHosts: boolean;
}
