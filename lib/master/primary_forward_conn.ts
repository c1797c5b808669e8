// The connection a master's ForwardManager works on: always the pool's current primary, so
// -L/-D forwards keep working after ControlHeal replaced a lost connection. Handlers for
// server-opened channels (forwarded-tcpip of -R) are remembered and installed on each new
// primary; the server-side listeners of -R forwards die with the old connection and are asked
// for again by the master (ForwardManager.reissueRemote).

import type { Channel } from "../ssh/connection/channel.ts";
import type { ChannelOptions, OpenHandler, SshConnection } from "../ssh/connection/connection.ts";
import type { ForwardConnection } from "../ssh/forward/conn_api.ts";

export class PrimaryForwardConnection implements ForwardConnection {
  #handlers = new Map<string, OpenHandler>();

  constructor(private readonly current: () => SshConnection) {}

  openChannel(type: string, typeData: Uint8Array, opts?: ChannelOptions): Promise<Channel> {
    return this.current().openChannel(type, typeData, opts);
  }

  onChannelOpen(type: string, handler: OpenHandler): void {
    this.current().onChannelOpen(type, handler);
    this.#handlers.set(type, handler);
  }

  globalRequest(name: string, data: Uint8Array, wantReply: boolean) {
    return this.current().globalRequest(name, data, wantReply);
  }

  /** Installs the remembered open handlers on a new primary connection. */
  attach(conn: SshConnection): void {
    for (const [type, handler] of this.#handlers) conn.onChannelOpen(type, handler);
  }
}
