// The fds that follow NEW_SESSION (3) and NEW_STDIO_FWD (2): received within the deadline,
// refused for a connection that already has a session ("Multiple sessions not supported", the
// connection stays) and checked for the direction each is used in. Either the fds, or the
// reply that refuses the request (the fds are closed then).

import type { RawFd } from "../../../ffi/mod.ts";
import { log } from "../../log.ts";
import { REASON_MULTIPLE_SESSIONS, REASON_NO_FDS } from "../../mux/reasons.ts";
import type { ControlClient, HandlerResult } from "../control_client.ts";
import { errorMessage } from "../errors.ts";
import { checkPassedFds, type Direction } from "../passed_fds.ts";

export async function takeSessionFds(
  client: ControlClient,
  rid: number,
  want: Direction[],
): Promise<{ fds: RawFd[] } | { refused: HandlerResult }> {
  const noFds: HandlerResult = {
    reply: { kind: "Failure", rid, reason: REASON_NO_FDS },
    drop: true,
  };
  let fds: RawFd[];
  try {
    fds = await client.receiveFds(want.length);
  } catch (e) {
    log.error(`mux client ${client.id}: did not receive file descriptors: ${errorMessage(e)}`);
    return { refused: noFds };
  }
  const closeAll = () => fds.forEach((fd) => fd.close());
  if (client.session) {
    closeAll();
    return { refused: { reply: { kind: "Failure", rid, reason: REASON_MULTIPLE_SESSIONS } } };
  }
  const bad = checkPassedFds(fds, want);
  if (bad) {
    closeAll();
    log.error(`mux client ${client.id}: ${bad}`);
    return { refused: noFds };
  }
  return { fds };
}
