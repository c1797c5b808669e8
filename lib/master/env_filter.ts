// The environment a mux session sends (mux.c env_permitted + clientloop.c
// client_session2_setup): the client's NAME=value strings that match one of the master's
// SendEnv patterns, then the master's own SetEnv, in that order. A client's SetEnv therefore
// reaches the server only when the master's SendEnv lets that name through, as in OpenSSH.

import { matchPattern } from "../match.ts";
import { MUX_MAX_ENV_VARS } from "../mux/constants.ts";
import { splitSetEnv } from "../ssh/session/env.ts";

export function passengerEnv(
  clientEnv: readonly string[],
  sendEnv: readonly string[],
  setEnv: readonly string[],
): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const entry of clientEnv) {
    if (out.length >= MUX_MAX_ENV_VARS) break;
    const pair = splitSetEnv(entry);
    if (pair && sendEnv.some((p) => matchPattern(pair[0], p))) out.push(pair);
  }
  for (const entry of setEnv) {
    const pair = splitSetEnv(entry);
    if (pair) out.push(pair);
  }
  return out;
}
