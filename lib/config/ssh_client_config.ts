// The one place the SSH client's own config types are built from the CLI's Options: transport,
// authentication, host key policy and forwards. lib/ssh never sees Options itself, so a mux
// master can hold connections made from several configs, and tests build these directly.
import type { Options } from "./options.ts";
import type { AuthConfig } from "../ssh/auth/config.ts";
import type { HostKeyConfig } from "../ssh/known_hosts/config.ts";
import type { ForwardConfig } from "../ssh/forward/mod.ts";
import type { SshClientConfig, SshTransportConfig } from "../ssh/client_config.ts";

export function transportConfig(opts: Options): SshTransportConfig {
  return {
    host: opts.hostName,
    port: opts.port,
    connectTimeoutMs: opts.connectTimeout ? opts.connectTimeout * 1000 : undefined,
    bindAddress: opts.bindAddress,
    bindInterface: opts.bindInterface,
    addressFamily: opts.addressFamily,
    connectionAttempts: opts.connectionAttempts,
    // ssh's packet timeout (ServerAliveInterval × CountMax) bounds every wait in kex and auth.
    readTimeoutMs: opts.serverAliveInterval > 0 && opts.serverAliveCountMax > 0
      ? opts.serverAliveInterval * opts.serverAliveCountMax * 1000
      : 0,
    proxyCommand: opts.proxyCommand,
    ciphers: opts.ciphers,
    kexAlgorithms: opts.kexAlgorithms,
    hostKeyAlgorithms: opts.hostKeyAlgorithms,
    macs: opts.macs,
    rekeyLimitBytes: opts.rekeyLimitBytes,
    rekeyLimitSeconds: opts.rekeyLimitSeconds,
  };
}

export function authConfig(opts: Options): AuthConfig {
  return {
    user: opts.user,
    hostName: opts.hostName,
    port: opts.port,
    hostKeyAlias: opts.hostKeyAlias,
    quiet: opts.quiet,
    preferredAuthentications: opts.preferredAuthentications,
    pubkeyAuthentication: opts.pubkeyAuthentication,
    passwordAuthentication: opts.passwordAuthentication,
    kbdInteractiveAuthentication: opts.kbdInteractiveAuthentication,
    batchMode: opts.batchMode,
    numberOfPasswordPrompts: opts.numberOfPasswordPrompts,
    identityFiles: opts.identityFiles,
    certificateFiles: opts.certificateFiles,
    identitiesOnly: opts.identitiesOnly,
    identityAgent: opts.identityAgent,
    pubkeyAcceptedAlgorithms: opts.pubkeyAcceptedAlgorithms,
  };
}

export function hostKeyConfig(opts: Options): HostKeyConfig {
  return {
    hostName: opts.hostName,
    port: opts.port,
    hostKeyAlias: opts.hostKeyAlias,
    userKnownHostsFiles: opts.userKnownHostsFiles,
    globalKnownHostsFiles: opts.globalKnownHostsFiles,
    strictHostKeyChecking: opts.strictHostKeyChecking,
    batchMode: opts.batchMode,
    proxyCommand: opts.proxyCommand,
    // Keywords sshmux reads but Options keeps only in `raw` (as ssh_config wrote them).
    revokedHostKeys: opts.raw.get("revokedhostkeys"),
    hashKnownHosts: (opts.raw.get("hashknownhosts") ?? "no").toLowerCase() === "yes",
  };
}

export function forwardConfig(opts: Options): ForwardConfig {
  return {
    localForwards: opts.localForwards,
    remoteForwards: opts.remoteForwards,
    clearAllForwardings: opts.clearAllForwardings,
    exitOnForwardFailure: opts.exitOnForwardFailure,
  };
}

/** Everything connectSshClient needs to connect, verify the server and log in. */
export function sshClientConfig(opts: Options): SshClientConfig {
  return {
    transport: transportConfig(opts),
    auth: authConfig(opts),
    hostKeys: hostKeyConfig(opts),
  };
}
