// -L / -R / -D / -W and Local/Remote/DynamicForward specs, parsed the way ssh's
// parse_forward (readconf.c) does.
import { PORT_STREAMLOCAL } from "../mux/constants.ts";
import { type ForwardKind, type ForwardSpec, sameForward } from "../ssh/forward/spec.ts";
import { a2port } from "./ports.ts";
import { dollarExpand } from "./tokens.ts";
import { PlainTextError } from "./errors.ts";

const NI_MAXHOST = 1025;
/** sizeof(sun_path) on Linux; ssh rejects longer socket paths in a spec. */
const PATH_MAX_SUN = 108;

interface Field {
  arg: string;
  isPath: boolean;
}

/** Splits the spec into up to 4 fields: `[..]` literals, `\` escapes, `/` marks a path. */
function splitFields(spec: string): Field[] | undefined {
  const fields: Field[] = [];
  let i = 0;
  while (fields.length < 4) {
    if (i >= spec.length) break;
    if (spec[i] === "[") {
      const close = spec.indexOf("]", i + 1);
      if (close < 0) break;
      const after = spec[close + 1];
      if (after !== ":" && after !== undefined) break;
      const arg = spec.slice(i + 1, close);
      fields.push({ arg, isPath: arg.includes("/") });
      i = after === ":" ? close + 2 : close + 1;
      continue;
    }
    let arg = "";
    let isPath = false;
    let ended = false;
    while (i < spec.length) {
      const c = spec[i];
      if (c === "\\") {
        // ssh drops the backslash and takes the next character literally: a backslash-colon is a
        // colon inside the field, not a separator, and a backslash-slash does not mark a path.
        if (i + 1 >= spec.length) return undefined;
        arg += spec[i + 1];
        i += 2;
        continue;
      }
      if (c === "/") isPath = true;
      if (c === ":") {
        i++;
        ended = true;
        break;
      }
      arg += c;
      i++;
    }
    fields.push({ arg, isPath });
    if (!ended) {
      i = spec.length;
      break;
    }
  }
  // Trailing garbage (a 5th field, or a bad bracket) fails the whole spec.
  if (i < spec.length) return undefined;
  return fields;
}

/**
 * parse_forward: undefined on any error. `dynamic` = -D or -R with one/two fields;
 * `remote` = -R (listen port 0 allowed: the server picks one). `env` supplies ${VAR}.
 */
export function parseForward(
  spec: string,
  dynamic: boolean,
  remote: boolean,
  env: (name: string) => string | undefined = (n) => Deno.env.get(n),
): ForwardSpec | undefined {
  let expanded: string;
  try {
    expanded = dollarExpand(spec, env);
  } catch {
    return undefined;
  }
  const fields = splitFields(expanded.replace(/^\s+/, ""));
  if (!fields) return undefined;
  const n = fields.length;
  const [a, b, c, d] = fields;
  const fwd: ForwardSpec = { listenPort: 0, connectPort: 0 };
  switch (n) {
    case 1:
      if (a.isPath) {
        fwd.listenPath = a.arg;
        fwd.listenPort = PORT_STREAMLOCAL;
      } else fwd.listenPort = a2port(a.arg);
      fwd.connectHost = "socks";
      break;
    case 2:
      if (a.isPath && b.isPath) {
        fwd.listenPath = a.arg;
        fwd.listenPort = PORT_STREAMLOCAL;
        fwd.connectPath = b.arg;
        fwd.connectPort = PORT_STREAMLOCAL;
      } else if (b.isPath) {
        fwd.listenPort = a2port(a.arg);
        fwd.connectPath = b.arg;
        fwd.connectPort = PORT_STREAMLOCAL;
      } else {
        fwd.listenHost = a.arg;
        fwd.listenPort = a2port(b.arg);
        fwd.connectHost = "socks";
      }
      break;
    case 3:
      if (a.isPath) {
        fwd.listenPath = a.arg;
        fwd.listenPort = PORT_STREAMLOCAL;
        fwd.connectHost = b.arg;
        fwd.connectPort = a2port(c.arg);
      } else if (c.isPath) {
        fwd.listenHost = a.arg;
        fwd.listenPort = a2port(b.arg);
        fwd.connectPath = c.arg;
        fwd.connectPort = PORT_STREAMLOCAL;
      } else {
        fwd.listenPort = a2port(a.arg);
        fwd.connectHost = b.arg;
        fwd.connectPort = a2port(c.arg);
      }
      break;
    case 4:
      fwd.listenHost = a.arg;
      fwd.listenPort = a2port(b.arg);
      fwd.connectHost = c.arg;
      fwd.connectPort = a2port(d.arg);
      break;
    default:
      return undefined;
  }
  if (dynamic) {
    if (n !== 1 && n !== 2) return undefined;
  } else {
    if (n !== 3 && n !== 4 && fwd.connectPath === undefined && fwd.listenPath === undefined) {
      return undefined;
    }
    if (fwd.connectPort <= 0 && fwd.connectPath === undefined) return undefined;
  }
  if (fwd.listenPort < 0 && fwd.listenPath === undefined) return undefined;
  if (!remote && fwd.listenPort === 0) return undefined;
  if ((fwd.connectHost?.length ?? 0) >= NI_MAXHOST) return undefined;
  if ((fwd.listenHost?.length ?? 0) >= NI_MAXHOST) return undefined;
  if ((fwd.connectPath?.length ?? 0) >= PATH_MAX_SUN) return undefined;
  if ((fwd.listenPath?.length ?? 0) >= PATH_MAX_SUN) return undefined;
  return fwd;
}

/** A command-line -L/-R/-D argument; throws ssh's message (exit 255) when it is bad. */
export function parseForwardArg(
  kind: ForwardKind,
  spec: string,
  env?: (name: string) => string | undefined,
): ForwardSpec {
  const fwd = kind === "local"
    ? parseForward(spec, false, false, env)
    : kind === "dynamic"
    ? parseForward(spec, true, false, env)
    : parseForward(spec, false, true, env) ?? parseForward(spec, true, true, env);
  if (!fwd) throw new PlainTextError(`Bad ${kind} forwarding specification '${spec}'`);
  return fwd;
}

/** Appends `fwd` unless the list already holds the same forward (ssh drops duplicates). */
export function addForward(list: ForwardSpec[], fwd: ForwardSpec): void {
  if (!list.some((f) => sameForward(f, fwd))) list.push(fwd);
}

/** Formats a forward the way `ssh -G` prints it (dump_cfg_forwards). */
export function formatForward(fwd: ForwardSpec, withConnect: boolean): string {
  const side = (path: string | undefined, host: string | undefined, port: number) =>
    port === PORT_STREAMLOCAL ? path : host === undefined ? `${port}` : `[${host}]:${port}`;
  const listen = side(fwd.listenPath, fwd.listenHost, fwd.listenPort);
  if (!withConnect) return `${listen}`;
  return `${listen} ${side(fwd.connectPath, fwd.connectHost, fwd.connectPort)}`;
}
