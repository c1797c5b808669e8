// sshmux's own requests, offered in our HELLO (list@sshmux, name@sshmux, signal@sshmux) and so
// never sent by a stock client: name this connection's session, send a signal to a session's
// remote process (RFC 4254 "signal"), and the listing behind `-O list`.

import { log } from "../../log.ts";
import type { MuxSetName, MuxSignal } from "../../mux/messages.ts";
import { normalizeSignal, sessionNameProblem, visible } from "../../mux/session_names.ts";
import type { MasterContext } from "../context.ts";
import type { ControlClient, HandlerResult } from "../control_client.ts";
import { errorMessage } from "../errors.ts";
import { buildListing } from "../listing.ts";

const failure = (rid: number, reason: string): HandlerResult => ({
  reply: { kind: "Failure", rid, reason },
});

export function setName(ctx: MasterContext, client: ControlClient, msg: MuxSetName): HandlerResult {
  const problem = sessionNameProblem(msg.name);
  if (problem) return failure(msg.rid, problem);
  for (const c of ctx.clients()) {
    if (c !== client && !c.closed && c.name === msg.name) {
      return failure(msg.rid, `session name "${msg.name}" is already in use`);
    }
  }
  client.name = msg.name;
  log.verbose(`mux client ${client.id}: named "${msg.name}"`);
  return { reply: { kind: "Ok", rid: msg.rid } };
}

/** The client whose session `target` names: "" = the asker's own, digits = id, else a name. */
function findTarget(ctx: MasterContext, self: ControlClient, target: string) {
  if (target === "") return self.session ? self : undefined;
  const byId = /^[0-9]+$/.test(target) ? Number(target) : undefined;
  for (const c of ctx.clients()) {
    if (c.closed || !c.session) continue;
    if (byId !== undefined ? c.session.facts().id === byId : c.name === target) return c;
  }
  return undefined;
}

export async function signal(
  ctx: MasterContext,
  client: ControlClient,
  msg: MuxSignal,
): Promise<HandlerResult> {
  const sig = normalizeSignal(msg.signal);
  if (!sig) return failure(msg.rid, `unknown signal "${visible(msg.signal.slice(0, 32))}"`);
  const target = findTarget(ctx, client, msg.target);
  const what = msg.target === "" ? "this connection" : `"${visible(msg.target.slice(0, 64))}"`;
  if (!target?.session) return failure(msg.rid, `no session ${what}`);
  const session = target.session;
  if (!session.signal) return failure(msg.rid, `session ${what} has no remote process`);
  try {
    await session.signal(sig);
  } catch (e) {
    return failure(msg.rid, `signal ${sig} not sent: ${errorMessage(e)}`);
  }
  log.verbose(`mux client ${client.id}: signal ${sig} sent to session ${session.facts().id}`);
  return { reply: { kind: "Ok", rid: msg.rid } };
}

/** Room for the listing in one MUX_S_EXT_INFO frame (MUX_MAX_PACKET less the header). */
const MAX_LISTING_CHARS = 240 * 1024;

/**
 * The JSON text of `-O list` (MUX_S_EXT_INFO status 1). A listing too big for one frame keeps
 * the first sessions that fit and says `"truncated": true`.
 */
export function listingText(ctx: MasterContext): string {
  const listing = buildListing({
    pid: ctx.pid,
    host: ctx.policy.host,
    startedAt: ctx.startedAt,
    clients: ctx.clients(),
    forwards: ctx.forwards.list(),
    connections: ctx.connections(),
  });
  let text = JSON.stringify(listing);
  // Byte length, not characters: commands may hold multi-byte UTF-8.
  const bytes = (t: string) => new TextEncoder().encode(t).length;
  while (bytes(text) > MAX_LISTING_CHARS && listing.sessions.length > 0) {
    listing.sessions = listing.sessions.slice(0, Math.floor(listing.sessions.length / 2));
    text = JSON.stringify({ ...listing, truncated: true });
  }
  return text;
}
