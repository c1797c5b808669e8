// ForwardAgent (-A): the session asks for auth-agent-req@openssh.com, and every
// auth-agent@openssh.com channel the server opens later is bridged to our local agent socket
// (SSH_AUTH_SOCK), like ssh's client_request_agent().

import { log } from "../../log.ts";
import { bridge } from "../connection/bridge.ts";
import type { SshConnection } from "../connection/connection.ts";
import { SSH2_OPEN_ADMINISTRATIVELY_PROHIBITED } from "../connection/messages.ts";
import { connEndpoint } from "../forward/endpoint.ts";

export const AUTH_AGENT_CHANNEL = "auth-agent@openssh.com";
export const AUTH_AGENT_REQUEST = "auth-agent-req@openssh.com";

/** Serves the server's agent channels from the agent at `socketPath` (once per connection). */
export function serveAgentChannels(conn: SshConnection, socketPath: string): void {
  conn.onChannelOpen(AUTH_AGENT_CHANNEL, async (req) => {
    let sock: Deno.UnixConn;
    try {
      sock = await Deno.connect({ transport: "unix", path: socketPath });
    } catch (e) {
      log.debug(`agent forwarding: cannot connect to the agent: ${e}`);
      req.reject(SSH2_OPEN_ADMINISTRATIVELY_PROHIBITED, "could not connect to agent");
      return;
    }
    let channel;
    try {
      channel = req.accept();
    } catch {
      sock.close(); // the connection ended meanwhile
      return;
    }
    bridge(channel, connEndpoint(sock)).catch((e) => log.debug(`agent channel: ${e}`));
  });
}
