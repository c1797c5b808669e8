// ServerAliveInterval / ServerAliveCountMax, as ssh does them: when nothing arrived from the
// server for a whole interval, send keepalive@openssh.com (any reply, even failure, counts as
// traffic); after CountMax unanswered probes the server is declared dead.

import type { SshConnection } from "../connection/connection.ts";

const EMPTY = new Uint8Array(0);

/**
 * Starts probing; `onTimeout` is called once when the server stopped answering.
 * Returns the stop function. intervalSec <= 0 disables it (returns a no-op).
 */
export function startServerAlive(
  conn: SshConnection,
  intervalSec: number,
  countMax: number,
  onTimeout: () => void,
): () => void {
  if (!(intervalSec > 0)) return () => {};
  const intervalMs = intervalSec * 1000;
  let unanswered = 0;
  let lastSeen = conn.lastReceived;
  const timer = setInterval(() => {
    if (conn.lastReceived !== lastSeen) {
      lastSeen = conn.lastReceived;
      unanswered = 0;
      // Traffic within the last interval: no probe needed yet.
      if (Date.now() - lastSeen < intervalMs) return;
    }
    if (unanswered >= countMax) {
      clearInterval(timer);
      onTimeout();
      return;
    }
    unanswered++;
    conn.globalRequest("keepalive@openssh.com", EMPTY, true).catch(() => {});
  }, intervalMs);
  // Never keep the process alive just for probes.
  Deno.unrefTimer(timer as unknown as number);
  conn.closed.then(() => clearInterval(timer));
  return () => clearInterval(timer);
}
