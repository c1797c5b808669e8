// Channel → local output pumps shared by plain mode's session and the mux master's passenger
// sessions: the output side of ssh's client loop, with its EPIPE rule.

import { log } from "../../log.ts";
import { releasePlain } from "../buffer_pool.ts";
import type { ByteEndpoint } from "../connection/bridge.ts";
import type { Channel } from "../connection/channel.ts";

/**
 * Channel stream → local endpoint; if the endpoint breaks, tell the peer (eow) and drain.
 * `read` hands over every chunk received so far (Channel.readBatch/readExtendedBatch): they go
 * out in one writev where the endpoint has it, one write per chunk otherwise.
 */
export async function pumpOut(
  channel: Channel,
  read: () => Promise<Uint8Array[] | null>,
  out: ByteEndpoint,
): Promise<void> {
  let broken = false;
  try {
    for (;;) {
      const chunks = await read();
      if (chunks === null) break;
      if (broken) continue;
      try {
        if (out.writev && chunks.length > 1) await out.writev(chunks);
        else for (const c of chunks) await out.write(c);
        // Written (writes resolve after the last byte) and read by no one else: their packet
        // buffers can take the next packets (buffer_pool.ts).
        for (const c of chunks) releasePlain(c);
      } catch (e) {
        // Like ssh on EPIPE: the remote side must learn we take no more (eow), and the window
        // must keep moving so stderr and exit-status still arrive.
        log.debug(`channel ${channel.localId}: local output failed: ${e}`);
        broken = true;
        channel.request("eow@openssh.com", new Uint8Array(0), false).catch(() => {});
      }
    }
  } catch { /* connection lost: reported by the caller */ }
}
