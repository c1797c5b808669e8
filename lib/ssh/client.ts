// The SSH client as one object: transport (TCP or ProxyCommand, key exchange, host key check),
// user authentication, then the connection layer. Given a ready PacketTransport (a mux proxy
// socket), it skips straight to the connection layer: the master did the rest.

import type { Options } from "../config/options.ts";
import { log } from "../log.ts";
import { authenticate } from "./auth/mod.ts";
import { TtyPrompter } from "./auth/prompter.ts";
import { SshConnection } from "./connection/connection.ts";
import { knownHostKeyTypes } from "./known_hosts/known_types.ts";
import { makeHostKeyVerifier } from "./known_hosts/verifier.ts";
import type { PacketTransport } from "./packet_transport.ts";
import { connectTransport, type SshTransport } from "./transport/mod.ts";

/** SSH2_DISCONNECT_BY_APPLICATION: what ssh sends when the user's session is over. */
const SSH2_DISCONNECT_BY_APPLICATION = 11;

export interface SshClient {
  readonly connection: SshConnection;
  readonly transport: PacketTransport;
  /** The encrypted transport when we made it ourselves (stats, algorithms), else undefined. */
  readonly sshTransport?: SshTransport;
  /** Says goodbye (SSH_MSG_DISCONNECT when we own the transport) and closes. Idempotent. */
  close(): Promise<void>;
}

export async function connectSsh(opts: Options, transport?: PacketTransport): Promise<SshClient> {
  if (transport) return wrap(transport, undefined);
  const prompter = new TtyPrompter();
  const t = await connectTransport({
    host: opts.hostName,
    port: opts.port,
    connectTimeoutMs: opts.connectTimeout ? opts.connectTimeout * 1000 : undefined,
    proxyCommand: opts.proxyCommand,
    ciphers: opts.ciphers,
    kexAlgorithms: opts.kexAlgorithms,
    hostKeyAlgorithms: opts.hostKeyAlgorithms,
    macs: opts.macs,
    rekeyLimitBytes: opts.rekeyLimitBytes,
    rekeyLimitSeconds: opts.rekeyLimitSeconds,
    knownHostKeyTypes: await knownHostKeyTypes(opts),
    verifyHostKey: makeHostKeyVerifier(opts, prompter),
  });
  try {
    await authenticate(t, opts, prompter);
  } catch (e) {
    t.close();
    throw e;
  }
  log.debug(`Authenticated to ${opts.hostName} ([${t.remote?.host}]:${t.remote?.port}).`);
  return wrap(t, t);
}

function wrap(transport: PacketTransport, own: SshTransport | undefined): SshClient {
  const connection = new SshConnection(transport);
  let closing: Promise<void> | undefined;
  return {
    connection,
    transport,
    sshTransport: own,
    close() {
      closing ??= (async () => {
        if (own) {
          await own.disconnect(SSH2_DISCONNECT_BY_APPLICATION, "disconnected by user").catch(
            () => {},
          );
        }
        connection.close();
      })();
      return closing;
    },
  };
}
