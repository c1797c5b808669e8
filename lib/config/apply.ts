// Applies one option keyword to the accumulating ConfigState, with ssh's value checks and
// messages (readconf.c process_config_line). Host / Match / Include live in ssh_config.ts.
import { parseLogLevel } from "../log.ts";
import { ConfigError } from "./errors.ts";
import type { ConfigState } from "./state.ts";
import { a2port } from "./ports.ts";
import { convtime, parseControlMaster, parseControlPersist } from "./control_persist.ts";
import { addForward, parseForward } from "./forward_spec.ts";
import { matchPattern } from "../match.ts";
import {
  ciphersValid,
  kexNamesValid,
  keyTypesValid,
  macsValid,
  unknownKexName,
} from "./algorithms.ts";
import {
  ADDRESS_FAMILY,
  atoiErr,
  COMPRESSION,
  FLAG,
  multistate,
  parseEscapeChar,
  parseJump,
  PUBKEY_AUTH,
  REQUEST_TTY,
  scanScaled,
  SESSION_TYPE,
  STRICT,
} from "./values.ts";

const SSH_MAX_IDENTITY_FILES = 100;
/** ssh's SSH_MAX_CERTIFICATE_FILES. */
const SSH_MAX_CERTIFICATE_FILES = 100;
const SSH_MAX_HOSTS_FILES = 32;

export interface LineContext {
  /** "/path/to/config" or "command-line". */
  file: string;
  line: number;
  /** Whether the current Host/Match block applies. */
  active: boolean;
  /** A -o option (stricter ProxyJump checks). */
  cmdline: boolean;
}

/** An error() ssh would print for this line (the line then counts as bad). */
export type LineResult = string | undefined;

/** rm_env: drops SendEnv patterns matched by `-pattern`. */
function removeEnv(list: string[], pattern: string): string[] {
  return list.filter((p) => !matchPattern(p, pattern));
}

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
  const where = `${ctx.file} line ${ctx.line}`;
  const on = ctx.active;
  let i = 0;
  const next = (): string | undefined => args[i++];
  const missing = `${where}: Missing argument.`;

  // First-wins setter: ssh only assigns when the block applies and nothing set it before.
  const set = <K extends keyof ConfigState>(key: K, value: ConfigState[K]) => {
    if (on && st[key] === undefined) st[key] = value;
  };
  const str = <K extends keyof ConfigState>(key: K): LineResult => {
    const a = next();
    if (a === undefined || a === "") return missing;
    set(key, a as ConfigState[K]);
    return undefined;
  };
  const flag = <K extends keyof ConfigState>(key: K, table: Record<string, unknown> = FLAG) => {
    const a = next();
    const v = multistate(table, a);
    if (v === undefined) {
      if (a === undefined || a === "") return `${where}: missing argument.`;
      return `${where}: unsupported option "${a}".`;
    }
    set(key, v as ConfigState[K]);
    return undefined;
  };
  const time = <K extends keyof ConfigState>(key: K): LineResult => {
    const a = next();
    if (a === undefined || a === "") return `${where}: missing time value.`;
    if (a === "none") return undefined; // ssh stores -1, its "unset": a later value still wins
    const v = convtime(a);
    if (v === undefined) return `${where}: invalid time value.`;
    set(key, v as ConfigState[K]);
    return undefined;
  };
  const int = <K extends keyof ConfigState>(key: K): LineResult => {
    const v = atoiErr(next());
    if (typeof v === "string") return `${where}: integer value ${v}.`;
    set(key, v as ConfigState[K]);
    return undefined;
  };
  const command = <K extends keyof ConfigState>(key: K): LineResult => {
    // The whole rest of the line, spaces and quotes included, is the command.
    set(key, rest.replace(/^[ \t\r\n=]+/, "") as ConfigState[K]);
    i = args.length;
    return undefined;
  };
  const fileList = (key: "userKnownHostsFiles" | "globalKnownHostsFiles"): LineResult => {
    const fresh = st[key] === undefined;
    const vals: string[] = [];
    for (let a = next(); a !== undefined; a = next()) {
      if (a === "") return `${where}: keyword ${keyword} empty argument`;
      if (a.toLowerCase() === "none" && (vals.length > 0 || i < args.length)) {
        return `${where}: keyword ${keyword} "none" argument must appear alone.`;
      }
      if (vals.length >= SSH_MAX_HOSTS_FILES) return `${where}: too many ${keyword} entries.`;
      vals.push(a);
    }
    if (on && fresh) st[key] = vals;
    return undefined;
  };
  const algos = (
    key: keyof ConfigState,
    what: string,
    valid: (list: string) => boolean,
  ): LineResult => {
    const a = next();
    if (a === undefined || a === "") return missing;
    // A "-" list removes patterns from the defaults and is not checked; "+" / "^" are.
    const body = /^[+^]/.test(a) ? a.slice(1) : a;
    if (!a.startsWith("-") && !valid(body)) {
      // kex_names_valid() names the culprit first, on its own line.
      const kex = key === "kexAlgorithms" ? unknownKexName(body) : undefined;
      const first = kex === undefined ? "" : `Unsupported KEX algorithm "${kex}"\n`;
      return `${first}${where}: Bad ${what} '${a}'.`;
    }
    set(key, a as never);
    return undefined;
  };
  let err: LineResult;
  switch (keyword) {
    case "hostname":
      err = str("hostName");
      break;
    case "user":
      err = str("user");
      break;
    case "hostkeyalias":
      err = str("hostKeyAlias");
      break;
    case "preferredauthentications":
      err = str("preferredAuthentications");
      break;
    case "bindaddress":
      err = str("bindAddress");
      break;
    case "controlpath":
      err = str("controlPath");
      break;
    case "identityagent":
      err = str("identityAgent");
      break;
    case "port": {
      const a = next();
      if (a === undefined || a === "") return missing;
      const p = a2port(a);
      if (p <= 0) return `${where}: Bad port '${a}'.`;
      set("port", p);
      break;
    }
    case "controlmaster": {
      const a = next();
      if (a === undefined || a === "") return `${where}: missing argument.`;
      const v = parseControlMaster(a);
      if (v === undefined) return `${where}: unsupported option "${a}".`;
      set("controlMaster", v);
      break;
    }
    case "controlpersist": {
      const a = next();
      if (a === undefined || a === "") return `${where}: Missing ControlPersist argument.`;
      const v = parseControlPersist(a);
      if (!v.ok) return `${where}: Bad ControlPersist argument.`;
      set("controlPersist", v.persist === undefined ? "no" : v.persist);
      break;
    }
    case "sendenv": {
      let found = false;
      for (let a = next(); a !== undefined; a = next()) {
        if (a === "" || a.includes("=")) return `${where}: Invalid environment name.`;
        found = true;
        if (!on) continue;
        // SendEnv appends from every matching block (ssh notes it ignores first-wins here).
        if (a.startsWith("-")) st.sendEnv = removeEnv(st.sendEnv, a.slice(1));
        else st.sendEnv.push(a);
      }
      if (!found) throw new ConfigError(`${where}: no ${keyword} specified`);
      break;
    }
    case "setenv": {
      const vals: string[] = [];
      for (let a = next(); a !== undefined; a = next()) {
        if (!a.includes("=")) return `${where}: Invalid SetEnv.`;
        const name = a.slice(0, a.indexOf("="));
        if (vals.some((v) => v.slice(0, v.indexOf("=")) === name)) continue;
        vals.push(a);
      }
      if (vals.length === 0) throw new ConfigError(`${where}: no ${keyword} specified`);
      set("setEnv", vals);
      break;
    }
    case "localforward":
    case "remoteforward":
    case "dynamicforward": {
      const a = next();
      if (a === undefined || a === "") return missing;
      const remote = keyword === "remoteforward";
      let dynamic = keyword === "dynamicforward";
      let spec = a;
      if (!dynamic) {
        const b = next();
        if (b === undefined || b === "") {
          if (remote) dynamic = true;
          else return `${where}: Missing target argument.`;
        } else spec = `${a}:${b}`;
      }
      // ssh builds the combined spec in a 256-byte buffer; longer specs are cut there.
      const fwd = parseForward(spec.slice(0, 255), dynamic, remote);
      if (!fwd) return `${where}: Bad forwarding specification.`;
      if (on) addForward(remote ? st.remoteForwards : st.localForwards, fwd);
      break;
    }
    case "clearallforwardings":
      err = flag("clearAllForwardings");
      break;
    case "exitonforwardfailure":
      err = flag("exitOnForwardFailure");
      break;
    case "gatewayports":
      err = flag("gatewayPorts");
      break;
    case "escapechar": {
      const a = next();
      if (a === undefined || a === "") return missing;
      const v = parseEscapeChar(a);
      if (v === undefined) return `${where}: Bad escape character.`;
      set("escapeChar", v);
      break;
    }
    case "requesttty":
      err = flag("requestTTY", REQUEST_TTY);
      break;
    case "sessiontype":
      err = flag("sessionType", SESSION_TYPE);
      break;
    case "stdinnull":
      err = flag("stdinNull");
      break;
    case "forkafterauthentication":
      err = flag("forkAfterAuthentication");
      break;
    case "remotecommand":
      err = command("remoteCommand");
      break;
    case "proxycommand":
      err = command("proxyCommand");
      break;
    case "proxyjump": {
      const value = rest.replace(/^[ \t\r\n=]+/, "");
      const j = parseJump(value, ctx.cmdline);
      if (j === undefined) return `${where}: Invalid ProxyJump "${value}"`;
      // A ProxyCommand set earlier wins over a later ProxyJump, and vice versa.
      if (on && st.jump === undefined && (j === "none" || st.proxyCommand === undefined)) {
        st.jump = j;
        if (j !== "none") st.proxyCommand = "none";
      }
      i = args.length;
      break;
    }
    case "identityfile": {
      const a = next();
      if (a === undefined || a === "") return missing;
      if (on) {
        if (st.identityFiles.length >= SSH_MAX_IDENTITY_FILES) {
          return `${where}: Too many identity files specified (max ${SSH_MAX_IDENTITY_FILES}).`;
        }
        if (!st.identityFiles.includes(a)) st.identityFiles.push(a);
      }
      break;
    }
    case "certificatefile": {
      const a = next();
      if (a === undefined || a === "") return missing;
      if (on) {
        if (st.certificateFiles.length >= SSH_MAX_CERTIFICATE_FILES) {
          return `${where}: Too many certificate files specified (max ${SSH_MAX_CERTIFICATE_FILES}).`;
        }
        if (!st.certificateFiles.includes(a)) st.certificateFiles.push(a);
      }
      break;
    }
    case "identitiesonly":
      err = flag("identitiesOnly");
      break;
    case "batchmode":
      err = flag("batchMode");
      break;
    case "stricthostkeychecking":
      err = flag("strictHostKeyChecking", STRICT);
      break;
    case "userknownhostsfile":
      err = fileList("userKnownHostsFiles");
      break;
    case "globalknownhostsfile":
      err = fileList("globalKnownHostsFiles");
      break;
    case "ciphers":
      err = algos("ciphers", "SSH2 cipher spec", ciphersValid);
      break;
    case "macs":
      err = algos("macs", "SSH2 MAC spec", macsValid);
      break;
    case "kexalgorithms":
      err = algos("kexAlgorithms", "SSH2 KexAlgorithms", kexNamesValid);
      break;
    case "hostkeyalgorithms":
      err = algos("hostKeyAlgorithms", "key types", keyTypesValid);
      break;
    case "pubkeyacceptedalgorithms":
      err = algos("pubkeyAcceptedAlgorithms", "key types", keyTypesValid);
      break;
    case "passwordauthentication":
      err = flag("passwordAuthentication");
      break;
    case "kbdinteractiveauthentication":
      err = flag("kbdInteractiveAuthentication");
      break;
    case "pubkeyauthentication":
      err = flag("pubkeyAuthentication", PUBKEY_AUTH);
      break;
    case "numberofpasswordprompts":
      err = int("numberOfPasswordPrompts");
      break;
    case "serveralivecountmax":
      err = int("serverAliveCountMax");
      break;
    case "connecttimeout":
      err = time("connectTimeout");
      break;
    case "serveraliveinterval":
      err = time("serverAliveInterval");
      break;
    case "rekeylimit": {
      const a = next();
      if (a === undefined || a === "") return `${where}: Missing argument.`;
      let bytes = 0;
      if (a !== "default") {
        const v = scanScaled(a);
        if (v === undefined) return `${where}: Bad number '${a}': Invalid argument`;
        if (v !== 0 && v < 16) return `${where}: RekeyLimit too small`;
        bytes = v;
      }
      set("rekeyLimit", bytes);
      if (i < args.length) {
        if (args[i] === "none") i++;
        else err = time("rekeyInterval");
      }
      break;
    }
    case "addressfamily":
      err = flag("addressFamily", ADDRESS_FAMILY);
      break;
    case "compression":
      err = flag("compression", COMPRESSION);
      break;
    case "loglevel": {
      const a = next();
      const v = a === undefined ? undefined : parseLogLevel(a);
      if (v === undefined) return `${where}: unsupported log level '${a ?? "<NONE>"}'`;
      set("logLevel", v);
      break;
    }
    case "forwardagent": {
      const a = next();
      if (a === undefined || a === "") return `${where}: missing argument.`;
      const v = multistate(FLAG, a);
      if (v !== undefined) set("forwardAgent", v);
      else if (on && st.forwardAgent === undefined) {
        // Not yes/no: a socket path (or $VAR) to forward instead of SSH_AUTH_SOCK.
        st.forwardAgent = true;
        st.forwardAgentPath = a;
      }
      break;
    }
    case "forwardx11":
      err = flag("forwardX11");
      break;
    case "ignoreunknown":
      err = str("ignoreUnknown");
      break;
    case "refuseconnection": {
      // OpenSSH 10.x: a matching block that says RefuseConnection ends ssh right here.
      const a = next();
      if (a === undefined || a === "") return missing;
      if (on) throw new ConfigError(`${where}: RefuseConnection: ${a}`);
      break;
    }
    default:
      // A recognised keyword sshmux does not act on: consume it whole.
      i = args.length;
      break;
  }
  if (err !== undefined) return err;
  if (i < args.length) return `${where}: keyword ${keyword} extra arguments at end of line`;
  if (on && !st.raw.has(keyword)) st.raw.set(keyword, args.join(" "));
  return undefined;
}
