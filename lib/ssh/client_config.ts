// The SSH client's own config: how to reach the server, how to check its host key, how to log
// in. lib/config/ssh_client_config.ts builds it from the command line's Options; a mux master
// or a test builds one directly.
import type { AuthConfig } from "./auth/config.ts";
import type { HostKeyConfig } from "./known_hosts/config.ts";
import type { TransportConfig } from "./transport/mod.ts";

/** TransportConfig's settings; its host key parts come from HostKeyConfig. */
export type SshTransportConfig = Omit<TransportConfig, "knownHostKeyTypes" | "verifyHostKey">;

export interface SshClientConfig {
  transport: SshTransportConfig;
  auth: AuthConfig;
  hostKeys: HostKeyConfig;
}
