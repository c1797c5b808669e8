// The small requests: ALIVE_CHECK (our pid), TERMINATE, STOP_LISTENING, EXT_INFO, PROXY (the
// switch to proxy mode), and unknown types (refused with FAILURE).

import type {
  MuxAliveCheck,
  MuxExtInfoRequest,
  MuxProxy,
  MuxStopListening,
  MuxTerminate,
  MuxUnknown,
} from "../../mux/messages.ts";
import { MUX_EXT_LIST_NAME, MUX_EXT_ROUNDTRIP_NAME, muxTypeName } from "../../mux/constants.ts";
import {
  REASON_INFO_NOT_SUPPORTED,
  REASON_PERMISSION_DENIED,
  REASON_PROXY_AFTER_SESSION,
  REASON_UNSUPPORTED_REQUEST,
} from "../../mux/reasons.ts";
import { log } from "../../log.ts";
import type { MasterContext } from "../context.ts";
import type { ControlClient, HandlerResult } from "../control_client.ts";
import { ProxyRelay } from "../proxy_relay.ts";
import { listingText } from "./sshmux.ts";

const denied = (rid: number): HandlerResult => ({
  reply: { kind: "PermissionDenied", rid, reason: REASON_PERMISSION_DENIED },
});

export function aliveCheck(ctx: MasterContext, msg: MuxAliveCheck): HandlerResult {
  return { reply: { kind: "Alive", rid: msg.rid, pid: ctx.pid } };
}

export async function terminate(ctx: MasterContext, msg: MuxTerminate): Promise<HandlerResult> {
  if (!await ctx.confirm(`Terminate shared connection to ${ctx.policy.host}? `)) {
    return denied(msg.rid);
  }
  // Unlike OpenSSH (whose OK rarely makes it out), the OK is queued before the master ends.
  return { reply: { kind: "Ok", rid: msg.rid }, after: () => ctx.terminate() };
}

export async function stopListening(
  ctx: MasterContext,
  msg: MuxStopListening,
): Promise<HandlerResult> {
  const prompt = `Disable further multiplexing on shared connection to ${ctx.policy.host}? `;
  if (!await ctx.confirm(prompt)) return denied(msg.rid);
  ctx.stopListening();
  return { reply: { kind: "Ok", rid: msg.rid } };
}

/** How long the server has to answer a round-trip check. */
export const ROUNDTRIP_BOUND_MS = 5_000;

export async function extInfo(ctx: MasterContext, msg: MuxExtInfoRequest): Promise<HandlerResult> {
  if (msg.name === MUX_EXT_ROUNDTRIP_NAME) {
    const r = await ctx.roundTrip(ROUNDTRIP_BOUND_MS);
    return { reply: { kind: "ExtInfoReply", rid: msg.rid, status: r.ok ? 1 : 0, message: r.text } };
  }
  if (msg.name === MUX_EXT_LIST_NAME) {
    return { reply: { kind: "ExtInfoReply", rid: msg.rid, status: 1, message: listingText(ctx) } };
  }
  const text = msg.name === "connection"
    ? ctx.connectionInfo()
    : msg.name === "channels"
    ? ctx.channelsInfo()
    : undefined;
  return {
    reply: text === undefined
      ? { kind: "ExtInfoReply", rid: msg.rid, status: 0, message: REASON_INFO_NOT_SUPPORTED }
      : { kind: "ExtInfoReply", rid: msg.rid, status: 1, message: text },
  };
}

/** MUX_C_PROXY: answer MUX_S_PROXY, then the socket carries the client's SSH messages. */
export async function proxy(
  ctx: MasterContext,
  client: ControlClient,
  msg: MuxProxy,
): Promise<HandlerResult> {
  // The socket would turn into SSH packets under the session's EXIT_MESSAGE (and OpenSSH's
  // master loses that session's output too): refused, and the session runs on.
  if (client.session) {
    return { reply: { kind: "Failure", rid: msg.rid, reason: REASON_PROXY_AFTER_SESSION } };
  }
  if (!await ctx.confirm("Allow multiplex proxy connection?")) return denied(msg.rid);
  log.debug(`mux client ${client.id}: proxy mode`);
  return {
    reply: { kind: "ProxyOk", rid: msg.rid },
    takeover: (sock) => {
      const relay = new ProxyRelay(ctx.conn, sock, `proxy client ${client.id}`);
      client.proxy = relay;
      return relay.run();
    },
  };
}

export function unknown(_ctx: MasterContext, msg: MuxUnknown): HandlerResult {
  log.debug(`mux: unsupported request ${muxTypeName(msg.type)}`);
  // Too short to hold a request id: malformed, and OpenSSH drops such a client.
  if (msg.rid === undefined) return { drop: true };
  return { reply: { kind: "Failure", rid: msg.rid, reason: REASON_UNSUPPORTED_REQUEST } };
}
