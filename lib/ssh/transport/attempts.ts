// ConnectionAttempts: ssh goes over the destination's whole address list up to N times, one
// second apart, and reports only the last round's failure. Each failed connect is logged (debug)
// by the round itself. ssh resolves the name once, before the first round: so do the getaddrinfo
// paths (family_tcp.ts, bound_tcp.ts); Deno.connect by name (direct_tcp.ts) resolves per round.
import { FatalError } from "../../errors.ts";
import { log } from "../../log.ts";

/** One pass over the addresses: the connection, or the text of its last failure. */
export type RoundResult<T> = { ok: T } | { failed: string };

/** The pause between rounds (ssh sleeps one second). */
export const ROUND_PAUSE_MS = 1000;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Runs `round` up to `attempts` times (at least once) until one connects; when none does,
 * throws ssh's "ssh: connect to host H port P: <last failure>".
 */
export async function connectInRounds<T>(
  host: string,
  port: number,
  attempts: number,
  round: () => Promise<RoundResult<T>>,
  pause: (ms: number) => Promise<void> = sleep,
): Promise<T> {
  let r = await round();
  for (let i = 1; i < attempts && !("ok" in r); i++) {
    await pause(ROUND_PAUSE_MS);
    log.debug("Trying again...");
    r = await round();
  }
  if ("ok" in r) return r.ok;
  throw new FatalError(`ssh: connect to host ${host} port ${port}: ${r.failed}`);
}
