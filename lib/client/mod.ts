// The mux client: sshmux driving a running master (OpenSSH's or ours) like `ssh -S ctl`.
// Entry point for main.ts once it knows a ControlPath is in play. Every scp, rsync -e and git
// call pays this module graph's load time, so only the session path is imported statically;
// -O commands, -O proxy and -W load their modules when asked for.

import type { Options } from "../config/options.ts";
import { FatalError } from "../errors.ts";
import type { PacketTransport } from "../ssh/packet_transport.ts";
import { openControl } from "./connect.ts";
import { runMuxSession } from "./session.ts";
import { MuxRequestRefused } from "../mux/errors.ts";
import { lazyModule } from "../lazy_module.ts";

export { MuxFallback } from "./errors.ts";
export { masterListening } from "./connect.ts";
export { MuxClient } from "./mux_client.ts";
export { restoreAllTerminals } from "./tty.ts";

/** Runs a plain-mode session over a transport (lib/ssh/plain.ts runPlainSsh). */
export type PlainRunner = (opts: Options, transport?: PacketTransport) => Promise<number>;

/** Whether these options ask for multiplexing at all (a ControlPath other than "none"). */
export function usesControlPath(opts: Options): boolean {
  return opts.controlPath !== undefined && opts.controlPath !== "" && opts.controlPath !== "none";
}

/**
 * Runs the mux client for `opts` (a ControlPath is set). Returns the exit code, or throws
 * MuxFallback when ssh would connect directly instead, FatalError for fatal conditions.
 * `runPlain` is used for `-O proxy`, which runs plain mode's session over the control socket.
 */
export async function runMuxClient(opts: Options, runPlain: PlainRunner): Promise<number> {
  const client = await openControl(opts);
  try {
    if (opts.muxCommand === "proxy") {
      let sock;
      try {
        sock = await client.requestProxy();
      } catch (e) {
        if (e instanceof MuxRequestRefused) {
          throw new FatalError(
            e.kind === "PermissionDenied"
              ? `Master refused proxy request: ${e.reason}`
              : `proxy request failed: ${e.reason}`,
          );
        }
        throw e;
      }
      const { MuxProxyTransport }: typeof import("./proxy_transport.ts") = await import(
        lazyModule("./proxy_transport.ts")
      );
      const transport = new MuxProxyTransport(sock);
      try {
        return await runPlain(opts, transport);
      } finally {
        transport.close();
      }
    }
    if (opts.muxCommand !== undefined) {
      const { runControlCommand }: typeof import("./control_commands.ts") = await import(
        lazyModule("./control_commands.ts")
      );
      return await runControlCommand(client, opts, opts.muxCommand);
    }
    if (opts.stdioForward !== undefined) {
      const { runMuxStdioForward }: typeof import("./stdio_forward.ts") = await import(
        lazyModule("./stdio_forward.ts")
      );
      return await runMuxStdioForward(client, opts);
    }
    return await runMuxSession(client, opts);
  } finally {
    client.close();
  }
}
