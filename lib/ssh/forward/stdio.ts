// -W host:port: one direct-tcpip (or direct-streamlocal@openssh.com for a path, port
// PORT_STREAMLOCAL) channel carried over our stdin/stdout.

import { PORT_STREAMLOCAL } from "../../mux/constants.ts";
import { log } from "../../log.ts";
import type { ByteEndpoint, Channel } from "../connection/mod.ts";
import { type BridgeFn, defaultBridge, type ForwardConnection } from "./conn_api.ts";
import { ForwardError } from "./errors.ts";
import {
  CHAN_DIRECT_STREAMLOCAL,
  CHAN_DIRECT_TCPIP,
  encodeDirectStreamlocal,
  encodeDirectTcpip,
} from "./messages.ts";
import { describeOpenFailure } from "./open_failure.ts";

export interface StdioStreams {
  stdin: { read(buf: Uint8Array): Promise<number | null>; close?(): void };
  stdout: { write(data: Uint8Array): Promise<number>; close?(): void };
}

/** Our stdin/stdout as a ByteEndpoint; EOF from the channel closes stdout (like ssh). */
export function stdioEndpoint(io: StdioStreams): ByteEndpoint {
  let outClosed = false;
  let inClosed = false;
  const closeOut = () => {
    if (outClosed) return;
    outClosed = true;
    try {
      io.stdout.close?.();
    } catch { /* already closed */ }
  };
  const closeIn = () => {
    if (inClosed) return;
    inClosed = true;
    try {
      io.stdin.close?.();
    } catch { /* already closed */ }
  };
  return {
    async read(buf) {
      if (inClosed) return 0;
      try {
        return (await io.stdin.read(buf)) ?? 0;
      } catch (e) {
        if (inClosed) return 0;
        throw e;
      }
    },
    async write(data) {
      let off = 0;
      while (off < data.length) off += await io.stdout.write(data.subarray(off));
    },
    closeWrite: closeOut,
    close() {
      closeOut();
      closeIn();
    },
  };
}

/**
 * Opens the channel a -W forward uses: direct-tcpip, or direct-streamlocal@openssh.com for a
 * path (port PORT_STREAMLOCAL). Rejects with ChannelOpenError when the server refuses. The mux
 * master answers SESSION_OPENED between this and the bridging.
 */
export function openStdioForwardChannel(
  conn: ForwardConnection,
  target: { host: string; port: number },
): Promise<Channel> {
  const [type, data] = target.port === PORT_STREAMLOCAL
    ? [CHAN_DIRECT_STREAMLOCAL, encodeDirectStreamlocal(target.host)]
    : [CHAN_DIRECT_TCPIP, encodeDirectTcpip(target.host, target.port, "127.0.0.1", 65535)];
  return conn.openChannel(type, data);
}

/**
 * Opens the -W channel and bridges it to stdio until both directions end. Rejects with
 * ForwardError when the server refuses the open (ssh then exits 255: "stdio forwarding failed").
 */
export async function runStdioForward(
  conn: ForwardConnection,
  target: { host: string; port: number },
  io: StdioStreams = { stdin: Deno.stdin, stdout: Deno.stdout },
  bridge: BridgeFn = defaultBridge,
): Promise<void> {
  let channel;
  try {
    channel = await openStdioForwardChannel(conn, target);
  } catch (e) {
    // ssh logs the refusal (logit), then dies with "stdio forwarding failed".
    const line = describeOpenFailure(e);
    log.info(line);
    throw new ForwardError("remote-failed", "stdio forwarding failed", [line]);
  }
  const endpoint = stdioEndpoint(io);
  try {
    await bridge(channel, endpoint);
  } finally {
    endpoint.close!();
    try {
      await channel.close();
    } catch { /* already closed */ }
  }
}
