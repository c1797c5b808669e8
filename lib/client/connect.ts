// Opening the control connection like OpenSSH's muxclient(): connect, stale-socket handling,
// the HELLO exchange (bounded by ConnectTimeout), and which failures are fatal (`-O` commands)
// versus a reason to connect directly instead (sessions, -W).

import { connectUnix, MAX_SUN_PATH, SysError, UnixSocket } from "../../ffi/mod.ts";
import type { Options } from "../config/options.ts";
import { FatalError } from "../errors.ts";
import { log } from "../log.ts";
import { MuxFallback } from "./errors.ts";
import { MuxClient } from "./mux_client.ts";

/** ssh truncates the path in these messages to 100 characters (%.100s). */
function shown(path: string): string {
  return path.slice(0, 100);
}

function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Whether `path` is a socket (never unlink anything else as "stale"). */
function isSocket(path: string): boolean {
  try {
    return Deno.lstatSync(path).isSocket === true;
  } catch {
    return false;
  }
}

/** Whether a master accepts connections on `path` right now (connects, then closes at once). */
export function masterListening(path: string): boolean {
  try {
    new UnixSocket(connectUnix(path)).close();
    return true;
  } catch (e) {
    if (e instanceof SysError) return false;
    throw e;
  }
}

/**
 * Connects to opts.controlPath and exchanges HELLOs. `-O` commands (other than none) fail with
 * FatalError; sessions and -W get MuxFallback so main connects directly, as ssh does.
 */
export async function openControl(opts: Options): Promise<MuxClient> {
  const path = opts.controlPath!;
  const fatalFailures = opts.muxCommand !== undefined;
  let sock: UnixSocket;
  try {
    sock = new UnixSocket(connectUnix(path));
  } catch (e) {
    if (!(e instanceof SysError)) throw e;
    // ssh checks this before connecting, for every command.
    if (e.code === "ENAMETOOLONG") {
      throw new FatalError(`ControlPath too long ('${path}' >= ${MAX_SUN_PATH + 1} bytes)`);
    }
    const msg = `Control socket connect(${shown(path)}): ${e.description}`;
    if (fatalFailures) throw new FatalError(msg);
    if (
      e.code === "ECONNREFUSED" &&
      (opts.controlMaster === "auto" || opts.controlMaster === "autoask")
    ) {
      log.debug(`Stale control socket ${shown(path)}, unlinking`);
      if (isSocket(path)) {
        try {
          Deno.removeSync(path);
        } catch (u) {
          log.debug(`unlink ${shown(path)}: ${errorMessage(u)}`);
        }
      }
    } else if (e.code === "ENOENT") {
      log.debug(`Control socket "${shown(path)}" does not exist`);
    } else {
      log.error(msg);
    }
    throw new MuxFallback(msg);
  }

  const client = new MuxClient(sock);
  // ConnectTimeout bounds only the wait for the master's HELLO (OpenSSH 9.4+).
  let timedOut = false;
  const timer = opts.connectTimeout
    ? setTimeout(() => {
      timedOut = true;
      client.close();
    }, opts.connectTimeout * 1000)
    : undefined;
  try {
    await client.hello();
  } catch (e) {
    client.close();
    log.debug(`hello exchange: ${timedOut ? "timed out" : errorMessage(e)}`);
    const msg = "muxclient: master hello exchange failed";
    if (fatalFailures) throw new FatalError(`${msg}: ${timedOut ? "timeout" : errorMessage(e)}`);
    log.error(msg);
    throw new MuxFallback(msg);
  } finally {
    if (timer !== undefined) clearTimeout(timer);
  }
  return client;
}
