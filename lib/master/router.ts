// The master's request table: message kind → handler (mux.c's mux_master_handlers). Handlers
// return the reply; the control connection sends it. Kinds not in the table (replies sent to
// the master, unknown types) get "unsupported request", as in OpenSSH.

import type { MuxRequest } from "../mux/messages.ts";
import type { MasterContext } from "./context.ts";
import type { ControlClient, Dispatch, HandlerResult } from "./control_client.ts";
import * as control from "./handlers/control.ts";
import { closeForward, openForward } from "./handlers/forward.ts";
import { newSession } from "./handlers/session.ts";
import { newStdioForward } from "./handlers/stdio_forward.ts";
import * as sshmux from "./handlers/sshmux.ts";
import { REASON_NO_FD_PASSING } from "../mux/reasons.ts";

type Handler<K extends MuxRequest["kind"]> = (
  ctx: MasterContext,
  client: ControlClient,
  msg: Extract<MuxRequest, { kind: K }>,
) => HandlerResult | Promise<HandlerResult>;

type Table = { [K in Exclude<MuxRequest["kind"], "Hello">]: Handler<K> };

/** NEW_SESSION / NEW_STDIO_FWD need passed fds: refused (connection kept) where none travel. */
function needsFds<K extends "NewSession" | "NewStdioFwd">(h: Handler<K>): Handler<K> {
  return (ctx, client, msg) =>
    client.peer.passesFds ? h(ctx, client, msg) : {
      reply: { kind: "Failure", rid: (msg as { rid: number }).rid, reason: REASON_NO_FD_PASSING },
    };
}

const TABLE: Table = {
  NewSession: needsFds(newSession),
  NewStdioFwd: needsFds(newStdioForward),
  AliveCheck: (ctx, _c, m) => control.aliveCheck(ctx, m),
  Terminate: (ctx, _c, m) => control.terminate(ctx, m),
  StopListening: (ctx, _c, m) => control.stopListening(ctx, m),
  OpenFwd: (ctx, _c, m) => openForward(ctx, m),
  CloseFwd: (ctx, _c, m) => closeForward(ctx, m),
  ExtInfoRequest: (ctx, _c, m) => control.extInfo(ctx, m),
  Proxy: (ctx, c, m) => control.proxy(ctx, c, m),
  Signal: sshmux.signal,
  SetName: sshmux.setName,
  Unknown: (ctx, _c, m) => control.unknown(ctx, m),
};

/** The dispatch function a ControlClient serves with, bound to one master. */
export function router(ctx: MasterContext): Dispatch {
  return async (client, msg) => {
    if (msg.kind === "Hello") return { drop: true }; // handled by the connection itself
    const handler = TABLE[msg.kind] as Handler<typeof msg.kind>;
    return await handler(ctx, client, msg as never);
  };
}
