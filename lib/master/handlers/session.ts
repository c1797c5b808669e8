// MUX_C_NEW_SESSION (mux.c mux_master_process_new_session + mux_session_confirm): receive the
// three fds, refuse a second session on the same connection, open the channel, and answer
// SESSION_OPENED once the server confirmed it and the requests are on their way.

import { fdStdio } from "../../ssh/session/stdio.ts";
import { ChannelOpenError } from "../../ssh/connection/errors.ts";
import { log } from "../../log.ts";
import type { MuxNewSession } from "../../mux/messages.ts";
import { REASON_PERMISSION_DENIED, REASON_SESSION_OPEN_REFUSED } from "../../mux/reasons.ts";
import type { MasterContext } from "../context.ts";
import { ReconnectingError } from "../connection_pool.ts";
import type { ControlClient, HandlerResult } from "../control_client.ts";
import { errorMessage } from "../errors.ts";
import { takeSessionFds } from "./session_fds.ts";
import { Passenger } from "../passenger.ts";

export async function newSession(
  ctx: MasterContext,
  client: ControlClient,
  msg: MuxNewSession,
): Promise<HandlerResult> {
  const { rid } = msg;
  const taken = await takeSessionFds(client, rid, ["read", "write", "write"]);
  if ("refused" in taken) return taken.refused;
  const { fds } = taken;
  const closeAll = () => fds.forEach((fd) => fd.close());
  if (!await ctx.confirm(`Allow shared connection to ${ctx.policy.host}? `)) {
    closeAll();
    return { reply: { kind: "PermissionDenied", rid, reason: REASON_PERMISSION_DENIED } };
  }
  const stdio = fdStdio(fds[0], fds[1], fds[2]);
  let p: Passenger;
  try {
    p = await ctx.withSessionConnection((conn) =>
      Passenger.open({ conn, policy: ctx.policy, send: (m) => client.send(m) }, msg, stdio)
    );
  } catch (e) {
    stdio.close?.();
    if (e instanceof ChannelOpenError) {
      log.debug(`mux client ${client.id}: session open refused: ${e.message}`);
      return { reply: { kind: "Failure", rid, reason: REASON_SESSION_OPEN_REFUSED }, drop: true };
    }
    log.debug(`mux client ${client.id}: session open failed: ${errorMessage(e)}`);
    // ControlHeal: say why instead of just dropping (stock ssh prints it, then goes direct).
    if (e instanceof ReconnectingError) {
      return { reply: { kind: "Failure", rid, reason: e.message }, drop: true };
    }
    return { drop: true };
  }
  client.session = p;
  log.debug(`mux client ${client.id}: session ${p.sid} opened (${msg.command || "shell"})`);
  return {
    reply: { kind: "SessionOpened", rid, sid: p.sid },
    after: () => {
      // Tracked from here, not before the reply: a client gone before SESSION_OPENED reached
      // it never gets here, and its session must not stay on the SIGWINCH list.
      const untrack = p.tracksWindowSize ? ctx.trackTty(p) : () => {};
      p.run().finally(() => {
        untrack();
        client.close();
      });
    },
  };
}
