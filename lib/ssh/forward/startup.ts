// Setting up the forwards from the command line and ssh_config for a plain connection or a
// master, with ssh's messages and ExitOnForwardFailure behaviour (ssh.c ssh_init_forwarding,
// ssh_confirm_remote_forward).

import type { ForwardSpec } from "./spec.ts";
import { FatalError } from "../../errors.ts";
import { log } from "../../log.ts";
import { ForwardError } from "./errors.ts";
import type { ForwardManager } from "./manager.ts";
import { isDynamicTarget } from "./spec.ts";

/** The configured forwards (-L/-D/-R, LocalForward ...) and what to do when one fails. */
export interface ForwardConfig {
  /** -L and -D (dynamic: connectHost "socks", connectPort 0). */
  localForwards: ForwardSpec[];
  /** -R. */
  remoteForwards: ForwardSpec[];
  clearAllForwardings: boolean;
  exitOnForwardFailure: boolean;
}

/** -L / -D entries share `localForwards`; dynamic ones carry connect "socks":0. */
export function localKind(spec: ForwardSpec): "local" | "dynamic" {
  return spec.listenPath === undefined && isDynamicTarget(spec) ? "dynamic" : "local";
}

/**
 * Opens every configured forward. With ExitOnForwardFailure a failure throws FatalError with
 * ssh's message (exit 255); without it, failures are logged and the connection carries on.
 */
export async function setupConfiguredForwards(
  manager: ForwardManager,
  opts: ForwardConfig,
): Promise<void> {
  if (opts.clearAllForwardings) return;
  let localOk = 0;
  for (const spec of opts.localForwards) {
    try {
      await manager.add(spec, localKind(spec));
      localOk++;
    } catch (e) {
      if (!(e instanceof ForwardError)) throw e;
      if (e.kind === "invalid") log.error(e.message);
    }
  }
  const n = opts.localForwards.length;
  if (n > 0 && localOk !== n && opts.exitOnForwardFailure) {
    throw new FatalError("Could not request local forwarding.");
  }
  if (n > 0 && localOk === 0) log.error("Could not request local forwarding.");

  const results = await Promise.allSettled(
    opts.remoteForwards.map((spec) => manager.add(spec, "remote")),
  );
  for (let i = 0; i < results.length; i++) {
    const spec = opts.remoteForwards[i];
    const r = results[i];
    if (r.status === "fulfilled") {
      if (r.value.allocatedPort !== undefined && !r.value.duplicate) {
        const target = spec.connectPath ?? spec.connectHost ?? "";
        log.info(
          `Allocated port ${r.value.allocatedPort} for remote forward to ${target}:${spec.connectPort}`,
        );
      }
      continue;
    }
    const err = r.reason;
    if (!(err instanceof ForwardError)) throw err;
    if (opts.exitOnForwardFailure) throw new FatalError(`Error: ${err.message}`);
    log.info(`Warning: ${err.message}`);
  }
}
