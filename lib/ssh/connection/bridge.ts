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
  /** Optional: writes all `chunks` back to back, in as few system calls as it can. */
  writev?(chunks: Uint8Array[]): Promise<void>;
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

/** Resolves true if `p` settles within a few microtask turns, i.e. it needed no I/O wait. */
async function settledAtOnce(p: Promise<unknown>): Promise<boolean> {
  let done = false;
  p.then(() => done = true, () => done = true);
  for (let i = 0; i < 3 && !done; i++) await null;
  return done;
}

/**
 * Endpoint → channel until local EOF (then channel EOF) or the channel stops taking data.
 *
 * Producers often write in small pieces (`head`, `cat` from a pipe: 4-8 KiB), and every SSH
 * packet has a fixed cost, so after a short read we read again while data is there at once
 * and send one bigger chunk. A read that would have to wait is not waited for: what we have
 * goes out now (no added latency for request/response traffic), and that read's data is used
 * next round. It lands behind the bytes being sent, in the same buffer, so nothing overlaps.
 */
export async function pumpToChannel(
  endpoint: ByteEndpoint,
  channel: Channel,
  bufferSize = 64 * 1024,
  writer: (data: Uint8Array) => Promise<void> = (d) => channel.write(d),
): Promise<void> {
  const buf = new Uint8Array(bufferSize);
  const topUpBelow = bufferSize / 2;
  /** A read still running from the last round, into buf at `carryAt`. */
  let carried: Promise<number> | undefined;
  let carryAt = 0;
  try {
    while (!channel.writeClosed) {
      let n: number;
      if (carried) {
        n = await carried;
        carried = undefined;
        buf.copyWithin(0, carryAt, carryAt + n);
      } else {
        n = await endpoint.read(buf);
      }
      let eof = n === 0;
      while (!eof && n < topUpBelow) {
        const more = endpoint.read(buf.subarray(n));
        if (!(await settledAtOnce(more))) {
          carried = more;
          carryAt = n;
          break;
        }
        const m = await more;
        if (m === 0) eof = true;
        n += m;
      }
      // write() builds every packet fresh, so buf[0, n) is free again once it resolves.
      if (n > 0) await writer(buf.subarray(0, n));
      if (eof) {
        await channel.sendEof();
        return;
      }
    }
  } catch (e) {
    log.debug3(`channel ${channel.localId}: local read side ended: ${e}`);
    // A local read error (stdin a directory: EISDIR, a reset socket) is EOF to the peer, as
    // in ssh's chan_read_failed: otherwise a remote `cat` waits forever. No-op once closed.
    await channel.sendEof().catch(() => {});
  }
  carried?.catch(() => {});
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
  // Not before the data that arrived ahead of the CLOSE has been written out, though.
  const stopOnClose = channel.closed.then(() => down).then(() => closeEndpoint());
  await Promise.all([up, down]);
  closeEndpoint();
  // Without closeChannel the caller owns the channel's end: do not wait for it here.
  if (closeChannel) {
    await channel.close();
    await stopOnClose;
  }
}
