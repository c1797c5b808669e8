// `sshmux -O check|exit|stop|forward|cancel|conninfo|channels` with ssh's exact outputs and exit
// codes (mux.c muxclient, reference openssh-mux.md §4.5), and sshmux's own `-O list`,
// `-O list-json` and `-O signal=SIG:TARGET`. `-O proxy` is in proxy_transport.ts.

import type { MuxCommand, Options } from "../config/options.ts";
import { FatalError } from "../errors.ts";
import { log, LogLevel } from "../log.ts";
import { MuxRequestRefused } from "../mux/errors.ts";
import { MUX_EXT_LIST_NAME, MUX_EXT_ROUNDTRIP_NAME } from "../mux/constants.ts";
import { sendForwards } from "./forwards.ts";
import type { MuxClient } from "./mux_client.ts";
import { writeStderr, writeStdout } from "./output.ts";

function quiet(opts: Options): boolean {
  return opts.quiet || opts.logLevel === LogLevel.QUIET;
}

function refusedOr(e: unknown, denied: string, failed: string): Error {
  if (e instanceof MuxRequestRefused) {
    return new FatalError(
      e.kind === "PermissionDenied" ? `${denied}: ${e.reason}` : `${failed}: ${e.reason}`,
    );
  }
  return e instanceof Error ? e : new Error(String(e));
}

/** Runs one `-O` command other than proxy; returns the exit code. */
export async function runControlCommand(
  client: MuxClient,
  opts: Options,
  cmd: Exclude<MuxCommand, "proxy">,
): Promise<number> {
  switch (cmd) {
    case "check": {
      let pid: number;
      try {
        pid = await client.aliveCheck();
      } catch (e) {
        log.debug(`alive check: ${e instanceof Error ? e.message : e}`);
        throw new FatalError("muxclient: master alive check failed");
      }
      // Printed even with -q: scripts parse it (Net::OpenSSH, regress/forward-control.sh).
      writeStderr(`Master running (pid=${pid})\r\n`);
      return await checkRoundTrip(client, opts);
    }
    case "exit":
      try {
        await client.terminate();
      } catch (e) {
        throw refusedOr(
          e,
          "Master refused termination request",
          "mux_client_request_terminate: termination request failed",
        );
      }
      if (!quiet(opts)) writeStderr("Exit request sent.\r\n");
      return 0;
    case "stop":
      try {
        await client.stopListening();
      } catch (e) {
        throw refusedOr(
          e,
          "Master refused stop listening request",
          "mux_client_request_stop_listening: stop listening request failed",
        );
      }
      if (!quiet(opts)) writeStderr("Stop listening request sent.\r\n");
      return 0;
    case "forward":
      if (!await sendForwards(client, opts, { open: true, printAllocatedPorts: true })) {
        throw new FatalError("muxclient: master forward request failed");
      }
      return 0;
    case "cancel":
      // ssh reports a failed cancel but still exits 0.
      if (!await sendForwards(client, opts, { open: false, printAllocatedPorts: false })) {
        log.error("muxclient: master cancel forward request failed");
      }
      return 0;
    case "conninfo":
    case "channels": {
      if (!client.supportsInfo) throw new FatalError("mux server does not support info request");
      const name = cmd === "conninfo" ? "connection" : "channels";
      let info;
      try {
        info = await client.extInfo(name);
      } catch (e) {
        throw refusedOr(e, "Master refused info request", "mux_client_request_info: failed");
      }
      if (info.status !== 1) throw new FatalError(`info request failed: ${info.message}`);
      writeStdout(info.message);
      return 0;
    }
    case "list":
    case "list-json": {
      if (!client.supportsList) {
        throw new FatalError("mux master does not list sessions (not an sshmux master)");
      }
      const info = await client.extInfo(MUX_EXT_LIST_NAME);
      if (info.status !== 1) throw new FatalError(`list request failed: ${info.message}`);
      if (cmd === "list-json") {
        writeStdout(info.message.endsWith("\n") ? info.message : `${info.message}\n`);
        return 0;
      }
      const { formatListing, parseListing } = await import("./list_text.ts");
      writeStdout(formatListing(parseListing(info.message)));
      return 0;
    }
    case "signal": {
      const s = opts.muxSignal;
      if (!s) throw new FatalError("-O signal needs SIG:TARGET");
      if (!client.supportsSignal) {
        throw new FatalError("mux master cannot send signals (not an sshmux master)");
      }
      try {
        await client.signalSession(s.target, s.signal);
      } catch (e) {
        throw refusedOr(e, "Master refused signal request", "signal request failed");
      }
      if (!quiet(opts)) writeStderr(`Signal ${s.signal} sent to ${s.target}.\r\n`);
      return 0;
    }
  }
}

/**
 * Beyond OpenSSH: a master that offers it (sshmux's) is asked for a real round trip to the
 * server, since a live master process says nothing about a wedged connection. Its time is
 * printed after ssh's line; no answer in time is an error (255).
 */
async function checkRoundTrip(client: MuxClient, opts: Options): Promise<number> {
  if (!client.supportsRoundTrip) return 0;
  const r = await client.extInfo(MUX_EXT_ROUNDTRIP_NAME);
  if (r.status !== 1) {
    writeStderr(`Server not responding: ${r.message}\r\n`);
    return 255;
  }
  if (!quiet(opts)) writeStderr(`Server answered in ${r.message}\r\n`);
  return 0;
}
