// The log line for a refused channel open, in ssh's words ("channel 3: open failed: connect
// failed: Connection refused"; ssh logs it at INFO). The channel number is included when the
// error carries one.

import { openFailureCode } from "./conn_api.ts";

const REASONS: Record<number, string> = {
  1: "administratively prohibited",
  2: "connect failed",
  3: "unknown channel type",
  4: "resource shortage",
};

export function describeOpenFailure(err: unknown): string {
  const id = (err as { localId?: unknown })?.localId;
  const channel = typeof id === "number" ? `channel ${id}` : "channel";
  const code = openFailureCode(err);
  if (code === undefined) return `${channel}: open failed: ${(err as Error)?.message ?? err}`;
  const desc = (err as { description?: unknown }).description;
  const reason = REASONS[code] ?? "unknown reason";
  return typeof desc === "string" && desc !== ""
    ? `${channel}: open failed: ${reason}: ${desc}`
    : `${channel}: open failed: ${reason}`;
}
