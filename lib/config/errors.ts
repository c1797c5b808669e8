// Config errors carry ssh's exact wording so scripts that parse ssh's stderr keep working.
import { FatalError } from "../errors.ts";

/** A bad command line or config file. `message` is what ssh prints (possibly several lines). */
export class ConfigError extends FatalError {
  override name = "ConfigError";
  constructor(message: string, exitCode = 255) {
    super(message, exitCode);
  }
}

/** A %token / ${VAR} expansion failure ("unknown key %x", "invalid format", ...). */
export class TokenError extends ConfigError {
  override name = "TokenError";
}

/**
 * A message ssh writes with a plain fprintf while it reads its command line (bad -L/-p/-e/-c/-m
 * arguments, the usage text) rather than through its logger: main prints it as it is, ending in
 * "\n" instead of "\r\n", with no vis(3) escaping.
 */
export class PlainTextError extends ConfigError {
  override name = "PlainTextError";
}
