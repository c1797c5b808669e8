// The slice of the SSH connection layer (lib/ssh/connection) the forwarders use. Forwarders
// take a ForwardConnection rather than the whole SshConnection so the master can hand them
// any object with these three methods.

import type { Channel, SshConnection } from "../connection/mod.ts";
import { bridge as connectionBridge, type ByteEndpoint } from "../connection/mod.ts";

export type ForwardConnection = Pick<
  SshConnection,
  "openChannel" | "onChannelOpen" | "globalRequest"
>;

/** Pumps both ways until both directions ended, then closes both sides. */
export type BridgeFn = (channel: Channel, endpoint: ByteEndpoint) => Promise<void>;

export const defaultBridge: BridgeFn = (channel, endpoint) => connectionBridge(channel, endpoint);

/** The reason code of a rejected openChannel (ChannelOpenError), if it carries one. */
export function openFailureCode(err: unknown): number | undefined {
  if (err && typeof err === "object" && "reasonCode" in err) {
    const code = (err as { reasonCode: unknown }).reasonCode;
    if (typeof code === "number") return code;
  }
  return undefined;
}
