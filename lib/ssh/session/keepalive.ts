// ServerAliveInterval / ServerAliveCountMax, as ssh does them: when nothing arrived from the
// server for a whole interval, send keepalive@openssh.com (any reply, even failure, counts as
// traffic); after CountMax unanswered probes the server is declared dead.
//
// The deadline runs from the last packet received, as in ssh, not from a fixed tick: a fixed
// setInterval let up to one more interval of silence pass before the first probe (or, at
// CountMax 0, before the timeout), so a dead server was declared up to one interval late.

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
  let timer: ReturnType<typeof setTimeout> | undefined;
  let stopped = false;
  const stop = () => {
    stopped = true;
    clearTimeout(timer);
  };
  const arm = (ms: number) => {
    const t = setTimeout(check, Math.max(0, ms));
    // Never keep the process alive just for probes.
    Deno.unrefTimer(t);
    timer = t;
  };
  const check = () => {
    if (stopped) return;
    if (conn.lastReceived !== lastSeen) {
      lastSeen = conn.lastReceived;
      unanswered = 0;
      // Traffic since the last check: the next deadline is an interval after it.
      const left = lastSeen + intervalMs - Date.now();
      if (left > 0) return arm(left);
    }
    if (unanswered >= countMax) {
      stop();
      onTimeout();
      return;
    }
    unanswered++;
    conn.globalRequest("keepalive@openssh.com", EMPTY, true).catch(() => {});
    arm(intervalMs);
  };
  arm(lastSeen + intervalMs - Date.now());
  conn.closed.then(stop);
  return stop;
}
