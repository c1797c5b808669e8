// ControlHeal (sshmux only, opt-in): when a master's SSH connection is lost, it keeps its
// control socket and dials the destination again, with backoff, through the same connect code
// (same auth, same known_hosts check: a changed host key is refused as at start). Sessions on
// the lost connection still end with 255, as in OpenSSH; new ones wait for the new connection.
// After HEAL_ATTEMPTS failed dials the master gives up and ends as it does without the option.

import { log } from "../log.ts";
import type { SshClient } from "../ssh/client.ts";
import type { Dial } from "./connection_pool.ts";
import { errorMessage } from "./errors.ts";

/** Dials before giving up. */
export const HEAL_ATTEMPTS = 5;
/** Wait before the first dial; each later wait doubles (0.5 + 1 + 2 + 4 + 8 s in all). */
export const HEAL_FIRST_DELAY_MS = 500;
/** Tests shorten the first wait with this variable (milliseconds). */
export const HEAL_DELAY_ENV = "SSHMUX_HEAL_DELAY_MS";
/** How long a new session waits for the reconnect before it is refused. */
export const HEAL_SESSION_WAIT_MS = 10_000;

/** The waits before each dial: `first`, doubling, `attempts` of them. */
export function healDelays(first: number, attempts: number = HEAL_ATTEMPTS): number[] {
  return Array.from({ length: attempts }, (_, i) => first * 2 ** i);
}

/** The first wait: HEAL_FIRST_DELAY_MS unless the environment says otherwise. */
export function healFirstDelay(): number {
  try {
    const n = Number(Deno.env.get(HEAL_DELAY_ENV) ?? NaN);
    return Number.isFinite(n) && n >= 0 ? n : HEAL_FIRST_DELAY_MS;
  } catch {
    return HEAL_FIRST_DELAY_MS; // no --allow-env
  }
}

export interface ReconnectOptions {
  dial: Dial;
  host: string;
  delays: readonly number[];
  /** True once the master is ending anyway: stop dialing. */
  stopped: () => boolean;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Dials until one attempt succeeds (its client) or every attempt failed (null). */
export async function reconnect(o: ReconnectOptions): Promise<SshClient | null> {
  const started = performance.now();
  for (const [i, delay] of o.delays.entries()) {
    log.verbose(
      `reconnecting to ${o.host} in ${delay / 1000} s (attempt ${i + 1} of ${o.delays.length})`,
    );
    await sleep(delay);
    if (o.stopped()) return null;
    try {
      const client = await o.dial();
      if (o.stopped()) {
        await client.close();
        return null;
      }
      const ms = Math.round(performance.now() - started);
      log.verbose(`reconnected to ${o.host} after ${ms} ms (attempt ${i + 1})`);
      return client;
    } catch (e) {
      log.verbose(`reconnect to ${o.host} failed: ${errorMessage(e)}`);
    }
  }
  log.error(`Could not reconnect to ${o.host} after ${o.delays.length} attempts, giving up.`);
  return null;
}
