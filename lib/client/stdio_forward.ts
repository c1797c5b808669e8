// `sshmux -W host:port` against a running master (mux.c mux_client_request_stdio_fwd): ALIVE,
// NEW_STDIO_FWD with our stdin and stdout, then wait until the master closes the socket.
// No fallback to a direct connection: refusals are fatal, as in ssh.

import { openDevNull, RawFd } from "../../ffi/mod.ts";
import type { Options } from "../config/options.ts";
import { FatalError } from "../errors.ts";
import { log } from "../log.ts";
import { MuxRequestRefused } from "../mux/errors.ts";
import type { MuxClient } from "./mux_client.ts";
import { installSessionSignals } from "./signals.ts";

export async function runMuxStdioForward(client: MuxClient, opts: Options): Promise<number> {
  const fwd = opts.stdioForward!;
  let masterPid: number;
  try {
    masterPid = await client.aliveCheck();
  } catch (e) {
    throw new FatalError(
      `mux_client_request_stdio_fwd: master alive request failed: ${
        e instanceof Error ? e.message : e
      }`,
    );
  }

  const stdin0 = RawFd.std(0);
  const stdinFd = opts.stdinNull ? openDevNull(false) : stdin0;
  try {
    await client.newStdioForward(fwd.host, fwd.port, [stdinFd, RawFd.std(1)]);
  } catch (e) {
    if (e instanceof MuxRequestRefused) {
      throw new FatalError(
        e.kind === "PermissionDenied"
          ? `Master refused stdio forwarding request: ${e.reason}`
          : `Stdio forwarding request failed: ${e.reason}`,
      );
    }
    throw new FatalError(`mux_client_request_stdio_fwd: ${e instanceof Error ? e.message : e}`);
  } finally {
    if (stdinFd !== stdin0) stdinFd.close();
  }

  // Stick around until the master closes the connection; any message at all is a violation.
  const signals = installSessionSignals(() => client.close(), masterPid);
  try {
    const msg = await client.read().catch((e) => {
      if (signals.received !== undefined) return null;
      throw new FatalError(
        `mux_client_request_stdio_fwd: read from master failed: ${
          e instanceof Error ? e.message : e
        }`,
      );
    });
    if (msg !== null) {
      throw new FatalError(`mux_client_request_stdio_fwd: master returned unexpected message`);
    }
    log.debug("stdio forward: master closed the connection");
    return 0;
  } finally {
    signals.dispose();
    client.close();
  }
}
