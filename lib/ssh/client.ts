// The SSH client as one object: transport (TCP or ProxyCommand, key exchange, host key check),
// user authentication, then the connection layer. Given a ready PacketTransport (a mux proxy
// socket), it skips straight to the connection layer: the master did the rest.

import type { Options } from "../config/options.ts";
import { sshClientConfig } from "../config/ssh_client_config.ts";
import { log } from "../log.ts";
import { authenticate } from "./auth/mod.ts";
import { TtyPrompter } from "./auth/prompter.ts";
import { SshConnection } from "./connection/connection.ts";
import { knownHostKeyTypes } from "./known_hosts/known_types.ts";
import { makeHostKeyVerifier } from "./known_hosts/verifier.ts";
import type { PacketTransport } from "./packet_transport.ts";
import { connectTransport, type SshTransport } from "./transport/mod.ts";
import type { SshClientConfig } from "./client_config.ts";

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

/**
 * Connects, verifies the host key, authenticates and opens the connection layer. With a ready
 * `transport` (a mux proxy socket) it goes straight to the connection layer.
 */
export async function connectSshClient(
  config: SshClientConfig,
  transport?: PacketTransport,
): Promise<SshClient> {
  if (transport) return wrap(transport, undefined);
  const prompter = new TtyPrompter();
  const t = await connectTransport({
    ...config.transport,
    knownHostKeyTypes: await knownHostKeyTypes(config.hostKeys),
    verifyHostKey: makeHostKeyVerifier(config.hostKeys, prompter),
  });
  try {
    // A ProxyCommand's pipes have no local address: ssh says "via proxy" for them.
    const peer = t.local ? `[${t.remote.host}]:${t.remote.port}` : "via proxy";
    await authenticate(t, config.auth, prompter, { peer });
    // ssh's packet timeout covers kex and auth; the session's keepalives take over after.
    t.setReadTimeout(0);
  } catch (e) {
    t.close();
    throw e;
  }
  return wrap(t, t);
}

/** connectSshClient for the command line's Options (plain mode). */
export function connectSsh(opts: Options, transport?: PacketTransport): Promise<SshClient> {
  return connectSshClient(sshClientConfig(opts), transport);
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
