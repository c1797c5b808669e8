// Applies one option keyword to the accumulating ConfigState, with ssh's value checks and
// messages (readconf.c process_config_line). Host / Match / Include live in ssh_config.ts.
// The keywords are a table: keyword → handler, one file per concern under apply/.
import { parseLogLevel } from "../log.ts";
import { ConfigError } from "./errors.ts";
import type { ConfigState } from "./state.ts";
import {
  type KeywordHandler,
  type LineContext,
  type LineResult,
  OptionLine,
} from "./apply/line.ts";
import { authKeywords } from "./apply/auth.ts";
import { connectionKeywords } from "./apply/connection.ts";
import { controlKeywords } from "./apply/control.ts";
import { forwardKeywords } from "./apply/forward.ts";
import { hostKeyKeywords } from "./apply/host_keys.ts";
import { sessionKeywords } from "./apply/session.ts";
import { transportKeywords } from "./apply/transport.ts";

export type { LineContext, LineResult };

const loggingKeywords: Record<string, KeywordHandler> = {
  loglevel: (l) => {
    const a = l.next();
    const v = a === undefined ? undefined : parseLogLevel(a);
    if (v === undefined) return `${l.where}: unsupported log level '${a ?? "<NONE>"}'`;
    l.set("logLevel", v);
    return undefined;
  },
  ignoreunknown: (l) => l.str("ignoreUnknown"),
  refuseconnection: (l) => {
    // OpenSSH 10.x: a matching block that says RefuseConnection ends ssh right here.
    const a = l.next();
    if (a === undefined || a === "") return l.missing;
    if (l.on) throw new ConfigError(`${l.where}: RefuseConnection: ${a}`);
    return undefined;
  },
};

const KEYWORDS: ReadonlyMap<string, KeywordHandler> = new Map(Object.entries({
  ...connectionKeywords,
  ...authKeywords,
  ...hostKeyKeywords,
  ...transportKeywords,
  ...forwardKeywords,
  ...sessionKeywords,
  ...controlKeywords,
  ...loggingKeywords,
}));

/**
 * Applies `keyword` (canonical, lowercase) with its split `args` and the raw remainder
 * `rest` of the line. Returns an error message for a bad line; throws ConfigError where
 * ssh calls fatal().
 */
export function applyOption(
  st: ConfigState,
  keyword: string,
  args: string[],
  rest: string,
  ctx: LineContext,
): LineResult {
  const line = new OptionLine(st, keyword, args, rest, ctx);
  const handler = KEYWORDS.get(keyword);
  // A recognised keyword sshmux does not act on: consume it whole.
  const err = handler === undefined ? line.consumeAll() : handler(line);
  if (err !== undefined) return err;
  if (line.i < args.length) {
    return `${line.where}: keyword ${keyword} extra arguments at end of line`;
  }
  if (ctx.active && !st.raw.has(keyword)) st.raw.set(keyword, args.join(" "));
  return undefined;
}
