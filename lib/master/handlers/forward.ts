// MUX_C_OPEN_FWD and MUX_C_CLOSE_FWD (mux.c mux_master_process_open_fwd / close_fwd): forwards
// asked for over mux belong to the master and outlive the client that asked. Replies: OK, or
// REMOTE_PORT with the allocated port for a remote forward with listen port 0 (also when an
// identical one already exists), or FAILURE with OpenSSH's reason texts.

import { log } from "../../log.ts";
import type { MuxCloseFwd, MuxOpenFwd, MuxReply } from "../../mux/messages.ts";
import {
  REASON_FORWARD_FAILED,
  REASON_INVALID_FORWARD,
  REASON_PERMISSION_DENIED,
  REASON_PORT_NOT_FORWARDED,
  REASON_PORT_NOT_FOUND,
  REASON_PORT_NOT_PERMITTED,
} from "../../mux/reasons.ts";
import { ForwardError } from "../../ssh/forward/errors.ts";
import {
  describeForward,
  formatForwardLikeOpenssh,
  invalidReason,
} from "../../ssh/forward/spec.ts";
import type { MasterContext } from "../context.ts";
import type { HandlerResult } from "../control_client.ts";
import { errorMessage } from "../errors.ts";
import { forwardKind, forwardSpec } from "../forward_fields.ts";

const failure = (rid: number, reason: string): HandlerResult => ({
  reply: { kind: "Failure", rid, reason },
});

export async function openForward(ctx: MasterContext, msg: MuxOpenFwd): Promise<HandlerResult> {
  const { rid } = msg;
  const kind = forwardKind(msg.fwdType);
  const spec = forwardSpec(msg);
  if (!kind || invalidReason(kind, spec)) return failure(rid, REASON_INVALID_FORWARD);
  const description = describeForward(kind, spec);
  const named = formatForwardLikeOpenssh(kind, spec, ctx.forwards.gatewayPorts);
  if (!await ctx.confirm(`Open ${named} on ${ctx.policy.host}?`)) {
    return { reply: { kind: "PermissionDenied", rid, reason: REASON_PERMISSION_DENIED } };
  }
  try {
    const r = await ctx.forwards.add(spec, kind);
    log.debug(`mux: ${description}: ${r.duplicate ? "already open" : "opened"}`);
    const reply: MuxReply = kind === "remote" && spec.listenPath === undefined &&
        spec.listenPort === 0 && r.allocatedPort !== undefined
      ? { kind: "RemotePort", rid, port: r.allocatedPort }
      : { kind: "Ok", rid };
    return { reply };
  } catch (e) {
    if (!(e instanceof ForwardError)) throw e;
    log.debug(`mux: ${description}: ${e.message}`);
    if (e.kind === "invalid") return failure(rid, REASON_INVALID_FORWARD);
    // OpenSSH's master logs each failure at error level, under its function names, besides
    // the reply the client prints.
    if (e.kind === "remote-failed") {
      const reason = remoteFailure(spec);
      log.error(`mux_confirm_remote_forward: ${reason}`);
      return failure(rid, reason);
    }
    log.error(`mux_master_process_open_fwd: requested ${named} failed`);
    return failure(rid, REASON_FORWARD_FAILED);
  }
}

function remoteFailure(spec: ReturnType<typeof forwardSpec>): string {
  return spec.listenPath !== undefined
    ? `remote port forwarding failed for listen path ${spec.listenPath}`
    : `remote port forwarding failed for listen port ${spec.listenPort}`;
}

export async function closeForward(ctx: MasterContext, msg: MuxCloseFwd): Promise<HandlerResult> {
  const { rid } = msg;
  const kind = forwardKind(msg.fwdType);
  if (!kind) return failure(rid, REASON_INVALID_FORWARD);
  const spec = forwardSpec(msg);
  try {
    await ctx.forwards.cancel(spec, kind);
    return { reply: { kind: "Ok", rid } };
  } catch (e) {
    if (!(e instanceof ForwardError)) {
      log.debug(`mux: cancel ${describeForward(kind, spec)}: ${errorMessage(e)}`);
      return failure(rid, REASON_PORT_NOT_FOUND);
    }
    if (e.kind === "not-found") return failure(rid, REASON_PORT_NOT_FORWARDED);
    return failure(rid, kind === "remote" ? REASON_PORT_NOT_PERMITTED : REASON_PORT_NOT_FOUND);
  }
}
