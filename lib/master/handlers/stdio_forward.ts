// MUX_C_NEW_STDIO_FWD (`ssh -W` over mux; mux.c mux_master_process_stdio_fwd and
// mux_stdio_confirm): two fds, a direct-tcpip (or direct-streamlocal) channel, SESSION_OPENED
// with the channel number once the server confirmed it, never an EXIT_MESSAGE; the control
// socket closes when the forwarded stream ends.

import { FdIo } from "../../../ffi/mod.ts";
import { log } from "../../log.ts";
import type { MuxNewStdioFwd } from "../../mux/messages.ts";
import {
  REASON_NO_FDS,
  REASON_PERMISSION_DENIED,
  REASON_SESSION_OPEN_REFUSED,
} from "../../mux/reasons.ts";
import { PORT_STREAMLOCAL } from "../../mux/constants.ts";
import { bridge, type ByteEndpoint } from "../../ssh/connection/bridge.ts";
import { openStdioForwardChannel } from "../../ssh/forward/stdio.ts";
import { describeOpenFailure } from "../../ssh/forward/open_failure.ts";
import { ChannelOpenError } from "../../ssh/connection/errors.ts";
import type { MasterContext } from "../context.ts";
import { ReconnectingError } from "../connection_pool.ts";
import type { ControlClient, HandlerResult } from "../control_client.ts";
import { errorMessage } from "../errors.ts";
import { takeSessionFds } from "./session_fds.ts";

/** The client's stdin/stdout as one endpoint; our copies closed once each side is done. */
function fdEndpoint(input: FdIo, output: FdIo): ByteEndpoint {
  return {
    read: async (buf) => {
      if (input.closed) return 0;
      try {
        return await input.read(buf);
      } catch (e) {
        log.debug(`stdio forward: stdin read failed, treating as EOF: ${errorMessage(e)}`);
        return 0;
      }
    },
    write: (d) => output.write(d),
    closeWrite: () => output.close(),
    close: () => {
      input.close();
      output.close();
    },
  };
}

export async function newStdioForward(
  ctx: MasterContext,
  client: ControlClient,
  msg: MuxNewStdioFwd,
): Promise<HandlerResult> {
  const { rid } = msg;
  const taken = await takeSessionFds(client, rid, ["read", "write"]);
  if ("refused" in taken) return taken.refused;
  const { fds } = taken;
  const closeAll = () => fds.forEach((fd) => fd.close());
  const target = msg.connectPort === PORT_STREAMLOCAL
    ? `path ${msg.connectHost}`
    : `[${msg.connectHost}]:${msg.connectPort}`;
  if (!await ctx.confirm(`Allow forward to ${target}? `)) {
    closeAll();
    return { reply: { kind: "PermissionDenied", rid, reason: REASON_PERMISSION_DENIED } };
  }
  let endpoint: ByteEndpoint;
  try {
    // A terminal among them may stall: that must stall this forward only (fd_io.ts).
    endpoint = fdEndpoint(new FdIo(fds[0], { ownTty: true }), new FdIo(fds[1], { ownTty: true }));
  } catch (e) {
    closeAll();
    log.error(`mux client ${client.id}: passed fds unusable: ${errorMessage(e)}`);
    return { reply: { kind: "Failure", rid, reason: REASON_NO_FDS }, drop: true };
  }
  let channel;
  try {
    channel = await ctx.withSessionConnection(
      (conn) => openStdioForwardChannel(conn, { host: msg.connectHost, port: msg.connectPort }),
      "stdio-forward",
    );
  } catch (e) {
    endpoint.close!();
    log.debug(`mux client ${client.id}: stdio forward to ${target} refused: ${errorMessage(e)}`);
    // The server's refusal goes to the master's log too ("channel N: open failed: ..." at
    // INFO), as OpenSSH's master logs every refused channel open.
    if (e instanceof ChannelOpenError) log.info(describeOpenFailure(e));
    const reason = e instanceof ReconnectingError ? e.message : REASON_SESSION_OPEN_REFUSED;
    return { reply: { kind: "Failure", rid, reason }, drop: true };
  }
  let resolveDone!: () => void;
  const done = new Promise<void>((r) => resolveDone = r);
  const startedAt = Date.now();
  const command = msg.connectPort === PORT_STREAMLOCAL
    ? msg.connectHost
    : `${msg.connectHost}:${msg.connectPort}`;
  let bridged = false;
  client.session = {
    abandon: () => {
      channel.sendEof().catch(() => {});
      channel.close().catch(() => {});
      // The client left before SESSION_OPENED reached it: the bridge never starts, so our
      // copies of its fds and `done` are settled here.
      if (!bridged) {
        endpoint.close!();
        resolveDone();
      }
    },
    done,
    facts: () => ({
      kind: "stdio-forward",
      id: channel.localId,
      command,
      subsystem: false,
      tty: false,
      startedAt,
      bytesIn: channel.bytesIn,
      bytesOut: channel.bytesOut,
    }),
  };
  return {
    reply: { kind: "SessionOpened", rid, sid: channel.localId },
    after: () => {
      bridged = true;
      bridge(channel, endpoint).catch((e) => log.debug(`stdio forward: ${errorMessage(e)}`))
        .finally(() => {
          endpoint.close!();
          resolveDone();
          client.close();
        });
    },
  };
}
