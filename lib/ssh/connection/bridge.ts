// Connects a channel to a local byte stream (a TCP socket, a unix socket, stdio, an FdIo):
// both directions with backpressure (we only read locally when the previous chunk was
// accepted by the channel window, and only take channel data when the local write finished),
// EOF in either direction becomes a half-close on the other side.

import { log } from "../../log.ts";
import type { Channel } from "./channel.ts";

/** Anything bytes can be pulled from / pushed to: ffi FdIo, a Deno.Conn adapter, stdio. read() 0 = EOF. */
export interface ByteEndpoint {
  read(buf: Uint8Array): Promise<number>;
  write(data: Uint8Array): Promise<void>;
  /** Half-close: no more writes (shutdown(SHUT_WR) for sockets). */
  closeWrite?(): void;
  close?(): void;
}

export interface BridgeOptions {
  /** Local read size (default 64 KiB; the channel splits it by the peer's max packet). */
  bufferSize?: number;
  /** Close the channel when both directions are done (default true). */
  closeChannel?: boolean;
  /** Close the endpoint at the end (default true). */
  closeEndpoint?: boolean;
}

/** Endpoint → channel until local EOF (then channel EOF) or the channel stops taking data. */
export async function pumpToChannel(
  endpoint: ByteEndpoint,
  channel: Channel,
  bufferSize = 64 * 1024,
  writer: (data: Uint8Array) => Promise<void> = (d) => channel.write(d),
): Promise<void> {
  const buf = new Uint8Array(bufferSize);
  try {
    while (!channel.writeClosed) {
      const n = await endpoint.read(buf);
      if (n === 0) {
        await channel.sendEof();
        return;
      }
      // write() sends copies (each packet is built fresh), so `buf` may be reused after it.
      await writer(buf.subarray(0, n));
    }
  } catch (e) {
    log.debug3(`channel ${channel.localId}: local read side ended: ${e}`);
  }
}

/** Channel data (or stderr with `readExtended`) → endpoint until channel EOF. */
export async function pumpFromChannel(
  channel: Channel,
  endpoint: ByteEndpoint,
  read: () => Promise<Uint8Array | null> = () => channel.read(),
): Promise<boolean> {
  try {
    for (;;) {
      const chunk = await read();
      if (chunk === null) break;
      await endpoint.write(chunk);
    }
    try {
      endpoint.closeWrite?.();
    } catch { /* already closed */ }
    return true;
  } catch (e) {
    log.debug3(`channel ${channel.localId}: local write side ended: ${e}`);
    return false;
  }
}

/** Runs both directions; resolves when both are done and (by default) everything is closed. */
export async function bridge(
  channel: Channel,
  endpoint: ByteEndpoint,
  opts: BridgeOptions = {},
): Promise<void> {
  const closeChannel = opts.closeChannel ?? true;
  let endpointClosed = false;
  const closeEndpoint = () => {
    if (endpointClosed || opts.closeEndpoint === false) return;
    endpointClosed = true;
    try {
      endpoint.close?.();
    } catch { /* already closed */ }
  };
  const up = pumpToChannel(endpoint, channel, opts.bufferSize);
  const down = pumpFromChannel(channel, endpoint).then(async (ok) => {
    // Local side cannot take data any more: the peer must stop sending (OpenSSH closes too).
    if (!ok && closeChannel) await channel.close();
  });
  // A channel closed by the peer ends the upload too: closing the endpoint wakes its read().
  const stopOnClose = channel.closed.then(() => closeEndpoint());
  await Promise.all([up, down]);
  closeEndpoint();
  // Without closeChannel the caller owns the channel's end: do not wait for it here.
  if (closeChannel) {
    await channel.close();
    await stopOnClose;
  }
}
