// Sending the -L/-D/-R forwards of the options to the master (OPEN_FWD or CLOSE_FWD), in
// OpenSSH's order (local and dynamic first, then remote) and with its messages. Used before a
// session (as the stock client does) and by `-O forward` / `-O cancel`.

import type { Options } from "../config/options.ts";
import { log } from "../log.ts";
import { MuxRequestRefused } from "../mux/errors.ts";
import { describeMuxForward, forwardRequestFields } from "./forward_request.ts";
import type { MuxClient } from "./mux_client.ts";
import { writeStdout } from "./output.ts";

export interface ForwardRun {
  /** Open (true) or cancel (false). */
  open: boolean;
  /** `-O forward` prints each port the master allocated (MUX_S_REMOTE_PORT) on stdout. */
  printAllocatedPorts: boolean;
}

/**
 * Sends every forward; returns false if any was refused (after logging it like ssh). Like ssh it
 * carries on with the remaining forwards after a refusal. Protocol errors propagate.
 */
export async function sendForwards(
  client: MuxClient,
  opts: Options,
  how: ForwardRun,
): Promise<boolean> {
  if (opts.clearAllForwardings) return true;
  let allOk = true;
  const specs = [
    ...opts.localForwards.map((s) => forwardRequestFields(s, false)),
    ...opts.remoteForwards.map((s) => forwardRequestFields(s, true)),
  ];
  for (const f of specs) {
    log.debug(`${how.open ? "Requesting" : "Cancelling"} ${describeMuxForward(f)}`);
    try {
      if (how.open) {
        const port = await client.openForward(f);
        if (port !== undefined) {
          log.verbose(
            `Allocated port ${port} for remote forward to ${f.connectHost}:${f.connectPort}`,
          );
          if (how.printAllocatedPorts) writeStdout(`${port}\n`);
        }
      } else {
        await client.closeForward(f);
      }
    } catch (e) {
      if (!(e instanceof MuxRequestRefused)) throw e;
      allOk = false;
      if (e.kind === "PermissionDenied") {
        log.error(`Master refused forwarding request: ${e.reason}`);
      } else log.error(`mux_client_forward: forwarding request failed: ${e.reason}`);
    }
  }
  return allOk;
}
