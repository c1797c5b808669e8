// The SSH connection layer (RFC 4254): channels, global requests, bridging to local streams.
export { SshConnection } from "./connection.ts";
export type {
  ChannelOptions,
  GlobalReply,
  GlobalRequestHandler,
  GlobalRequestResult,
  IncomingOpen,
  OpenHandler,
} from "./connection.ts";
export { Channel, DEFAULT_MAX_PACKET, DEFAULT_WINDOW } from "./channel.ts";
export type { ChannelInfo, RequestHandler } from "./channel.ts";
export { ChannelTable } from "./channel_table.ts";
export { ChannelClosedError, ChannelOpenError, ConnectionLostError } from "./errors.ts";
export { bridge, pumpFromChannel, pumpToChannel } from "./bridge.ts";
export type { BridgeOptions, ByteEndpoint } from "./bridge.ts";
export * from "./messages.ts";
