// Plain mode: `sshmux [ssh options] destination [command]` with no mux in play connects directly,
// like ssh. Owned by the SSH connection layer; returns the process exit code.
import type { Options } from "../config/options.ts";
import { FatalError } from "../errors.ts";

export function runPlainSsh(_opts: Options): Promise<number> {
  return Promise.reject(new FatalError("direct connections are not implemented yet"));
}
