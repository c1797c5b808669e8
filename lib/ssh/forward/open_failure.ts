// The log line for a refused channel open, in ssh's words ("open failed: connect failed: ...").

import { openFailureCode } from "./conn_api.ts";

const REASONS: Record<number, string> = {
  1: "administratively prohibited",
  2: "connect failed",
  3: "unknown channel type",
  4: "resource shortage",
};

export function describeOpenFailure(err: unknown): string {
  const code = openFailureCode(err);
  if (code === undefined) return `channel open failed: ${(err as Error)?.message ?? err}`;
  const desc = (err as { description?: unknown }).description;
  const reason = REASONS[code] ?? "unknown reason";
  return typeof desc === "string" && desc !== ""
    ? `channel open failed: ${reason}: ${desc}`
    : `channel open failed: ${reason}`;
}
