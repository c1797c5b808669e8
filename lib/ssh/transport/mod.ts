// The SSH transport layer's entry point: connect (TCP or ProxyCommand), exchange versions,
// run the first key exchange and return a PacketTransport for the auth and connection layers.

import { FatalError } from "../../errors.ts";
import { AlgorithmListError, preferHostKeyTypes, resolveAlgorithms } from "./algorithms.ts";
import { keyTypeForAlgorithm } from "../keys/public_key.ts";
import { type ByteStream, connectTcp, spawnProxyCommand } from "./byte_stream.ts";
import { takeEarlyConnect } from "./early_connect.ts";
import { SshTransport } from "./transport.ts";

export { SshTransport } from "./transport.ts";
export { resolveAlgorithms, SUPPORTED } from "./algorithms.ts";
export * from "./constants.ts";

export interface TransportConfig {
  host: string;
  port: number;
  connectTimeoutMs?: number;
  /** BindAddress / BindInterface: the connection's source (not with a ProxyCommand). */
  bindAddress?: string;
  bindInterface?: string;
  /** AddressFamily: which of the destination's addresses are tried (not with a ProxyCommand). */
  addressFamily?: "any" | "inet" | "inet6";
  /** ConnectionAttempts: rounds over the address list, one second apart (default 1). */
  connectionAttempts?: number;
  /**
   * ssh's packet timeout (ServerAliveInterval × ServerAliveCountMax, in ms; 0/undefined = off):
   * from the version line on, waiting this long for the server ends the connection. The caller
   * turns it off (setReadTimeout(0)) once the session's own keepalives take over.
   */
  readTimeoutMs?: number;
  proxyCommand?: string;
  /** Raw `-o` values (ssh_config syntax: +append, -remove, ^prepend, wildcards). */
  ciphers?: string;
  kexAlgorithms?: string;
  hostKeyAlgorithms?: string;
  macs?: string;
  /** Default 1 GiB. */
  rekeyLimitBytes?: number;
  /** Default 3600 s. */
  rekeyLimitSeconds?: number;
  /**
   * Key types ("ssh-ed25519", "ssh-rsa", ...) known_hosts already has for this host. With the
   * default HostKeyAlgorithms their algorithms are offered first, as ssh does.
   */
  knownHostKeyTypes?: string[];
  /** Called during kex with the server's host key blob, after its signature over H verified. Throw to refuse. */
  verifyHostKey(hostKeyBlob: Uint8Array, algorithm: string): Promise<void>;
}

export const DEFAULT_REKEY_BYTES = 1024 * 1024 * 1024;
/** As ssh: no time-based rekey unless RekeyLimit sets one (the data limit still applies). */
export const DEFAULT_REKEY_SECONDS = 0;

/**
 * Connects and completes the first key exchange. Throws FatalError (connect failures, bad
 * `-o` lists), ProtocolError (negotiation, bad signature, malformed input) or DisconnectError;
 * an error thrown by `verifyHostKey` is rethrown as is. `serverSigAlgs` is filled in when the
 * server's EXT_INFO arrives, which is before its reply to the first service request.
 */
export async function connectTransport(cfg: TransportConfig): Promise<SshTransport> {
  let lists;
  try {
    lists = {
      kex: resolveAlgorithms("kex", cfg.kexAlgorithms),
      hostKey: cfg.hostKeyAlgorithms === undefined && cfg.knownHostKeyTypes?.length
        ? preferHostKeyTypes(
          resolveAlgorithms("hostkey"),
          cfg.knownHostKeyTypes,
          keyTypeForAlgorithm,
        )
        : resolveAlgorithms("hostkey", cfg.hostKeyAlgorithms),
      ciphers: resolveAlgorithms("ciphers", cfg.ciphers),
      macs: resolveAlgorithms("macs", cfg.macs),
    };
  } catch (e) {
    if (e instanceof AlgorithmListError) throw new FatalError(e.message);
    throw e;
  }
  const proxied = !!cfg.proxyCommand && cfg.proxyCommand !== "none";
  const early = proxied ? undefined : takeEarlyConnect(cfg);
  const stream: ByteStream = proxied
    ? spawnProxyCommand(cfg.proxyCommand!, cfg.host, cfg.port)
    : await (early ?? connectTcp(cfg));
  const t = new SshTransport(stream, {
    host: cfg.host,
    port: cfg.port,
    lists,
    rekeyLimitBytes: cfg.rekeyLimitBytes ?? DEFAULT_REKEY_BYTES,
    rekeyLimitSeconds: cfg.rekeyLimitSeconds ?? DEFAULT_REKEY_SECONDS,
    connectTimeoutMs: cfg.connectTimeoutMs,
    readTimeoutMs: cfg.readTimeoutMs,
    versionSent: early !== undefined,
    verifyHostKey: cfg.verifyHostKey,
  });
  try {
    await t.handshake();
  } catch (e) {
    t.close();
    throw e;
  }
  return t;
}
