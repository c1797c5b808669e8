// ssh's command line (ssh.c main): BSD getopt without permutation, options may also follow
// the destination until the first non-option word; the rest is the remote command.
import { LogLevel } from "../log.ts";
import { ConfigError, PlainTextError } from "./errors.ts";
import { type ConfigState, emptyState } from "./state.ts";
import type { MuxCommand } from "./options.ts";
import { PORT_STREAMLOCAL } from "../mux/constants.ts";
import { a2port } from "./ports.ts";
import { ciphersValid, macsValid } from "./algorithms.ts";
import { addForward, parseForward, parseForwardArg } from "./forward_spec.ts";
import { parseEscapeChar, parseJump } from "./values.ts";
import { processConfigLine } from "./ssh_config.ts";
import { parseSshUri, validHostname, validRemoteUser } from "./destination.ts";
import { getoptError, usageError } from "./usage.ts";
import { normalizeSignal, RFC4254_SIGNALS, sessionNameProblem } from "../mux/session_names.ts";

/** The flags this parser knows; a letter followed by ':' takes an argument. */
export const OPTSTRING = "1246ab:c:e:fgi:kl:m:no:p:qstvxAB:CD:E:F:GI:J:KL:MNO:P:Q:R:S:TVW:XYy";

const MUX_COMMANDS: Record<string, MuxCommand> = {
  check: "check",
  conninfo: "conninfo",
  channels: "channels",
  forward: "forward",
  exit: "exit",
  stop: "stop",
  cancel: "cancel",
  proxy: "proxy",
  list: "list",
  "list-json": "list-json",
};

export interface ParsedCommandLine {
  /** The destination host as given (after user@ / ssh:// are split off); "" with -V/-Q. */
  host: string;
  /** Remote command words (joined with spaces when sent). */
  command: string[];
  /** Options from -o and the flags, before any config file. */
  state: ConfigState;
  /** -F; "none" = read no files. */
  configFile?: string;
  muxCommand?: MuxCommand;
  /** -O signal=SIG:TARGET */
  muxSignal?: { signal: string; target: string };
  /** -W host:port (port PORT_STREAMLOCAL for a path). */
  stdioForward?: { host: string; port: number };
  /** The user came from -l, user@host or ssh:// (ssh validates those). */
  userOnCommandLine: boolean;
  logFile?: string; // -E
  useSyslog: boolean; // -y
  dumpConfig: boolean; // -G
  printVersion: boolean; // -V: print the version and exit 0 (nothing after it was parsed)
  query?: string; // -Q: answer the query and exit
  /** Number of -v given (ssh's debug_flag). */
  verbose: number;
  tag?: string; // -P
  /** -i files as given (tilde-expanded and checked in resolveOptions). */
  identityArgs: string[];
}

/** `-O signal=SIG:TARGET` (sshmux): TARGET is a session id or name from `-O list`. */
function parseSignalCommand(v: string): { signal: string; target: string } {
  const colon = v.indexOf(":");
  const usage = "-O signal=SIG:TARGET (e.g. signal=TERM:build or signal=INT:3)";
  if (colon <= 0 || colon === v.length - 1) {
    throw new ConfigError(`Invalid multiplex command: ${usage}`);
  }
  const signal = normalizeSignal(v.slice(0, colon));
  if (!signal) {
    throw new ConfigError(
      `Unknown signal "${v.slice(0, colon)}" in -O signal (one of ${RFC4254_SIGNALS.join(" ")})`,
    );
  }
  const target = v.slice(colon + 1);
  if (!/^[0-9]+$/.test(target)) {
    const problem = sessionNameProblem(target);
    if (problem) throw new ConfigError(problem);
  }
  return { signal, target };
}

function takesArg(c: string): boolean | undefined {
  const i = OPTSTRING.indexOf(c);
  if (i < 0 || c === ":") return undefined;
  return OPTSTRING[i + 1] === ":";
}

/** Parses ssh's argv (without the program name). Throws ConfigError with ssh's text. */
export function parseArgs(argv: string[]): ParsedCommandLine {
  const st = emptyState();
  const out: ParsedCommandLine = {
    host: "",
    command: [],
    state: st,
    userOnCommandLine: false,
    useSyslog: false,
    dumpConfig: false,
    printVersion: false,
    verbose: 0,
    identityArgs: [],
  };
  let host: string | undefined;
  let pos = 0;
  let optTerminated = false;

  const handle = (opt: string, arg: string): boolean => {
    switch (opt) {
      case "1":
        throw new ConfigError("SSH protocol v.1 is no longer supported");
      case "2":
      case "k":
      case "K":
      case "I":
        break; // accepted for compatibility; GSSAPI / PKCS#11 unused
      case "B":
        st.bindInterface = arg;
        break;
      case "4":
        st.addressFamily = "inet";
        break;
      case "6":
        st.addressFamily = "inet6";
        break;
      case "n":
        st.stdinNull = true;
        break;
      case "f":
        st.forkAfterAuthentication = true;
        st.stdinNull = true;
        break;
      case "x":
        st.forwardX11 = false;
        break;
      case "X":
        st.forwardX11 = true;
        break;
      case "Y":
        st.forwardX11 = true;
        st.forwardX11Trusted = true;
        break;
      case "y":
        out.useSyslog = true;
        break;
      case "E":
        out.logFile = arg;
        break;
      case "G":
        out.dumpConfig = true;
        break;
      case "g":
        st.gatewayPorts = true;
        break;
      case "O": {
        if (out.stdioForward) throw new ConfigError("Cannot specify multiplexing command with -W");
        if (out.muxCommand) throw new ConfigError("Multiplexing command already specified");
        if (arg.startsWith("signal=")) {
          out.muxSignal = parseSignalCommand(arg.slice("signal=".length));
          out.muxCommand = "signal";
          break;
        }
        if (!Object.hasOwn(MUX_COMMANDS, arg)) throw new ConfigError("Invalid multiplex command.");
        out.muxCommand = MUX_COMMANDS[arg];
        break;
      }
      case "P":
        out.tag ??= arg;
        if (!st.raw.has("tag")) st.raw.set("tag", arg);
        break;
      case "Q":
        out.query = arg;
        return false;
      case "V":
        out.printVersion = true;
        return false;
      case "a":
        st.forwardAgent = false;
        break;
      case "A":
        st.forwardAgent = true;
        break;
      case "i":
        // Kept in order with -o IdentityFile; resolveOptions drops it if not accessible.
        out.identityArgs.push(arg);
        if (!st.identityFiles.includes(arg)) st.identityFiles.push(arg);
        break;
      case "J": {
        if (st.jump !== undefined) {
          throw new ConfigError(
            "Only a single -J option is permitted (use commas to separate multiple jump hops)",
          );
        }
        if (st.proxyCommand !== undefined) {
          throw new ConfigError("Cannot specify -J with ProxyCommand");
        }
        const j = parseJump(arg, true);
        if (j === undefined) throw new ConfigError("Invalid -J argument");
        st.jump = j;
        if (j !== "none") st.proxyCommand = "none";
        break;
      }
      case "t":
        st.requestTTY = st.requestTTY === "yes" ? "force" : "yes";
        break;
      case "v":
        if (out.verbose === 0) {
          out.verbose = 1;
          st.logLevel = LogLevel.DEBUG1;
        } else if ((st.logLevel ?? LogLevel.INFO) < LogLevel.DEBUG3) {
          out.verbose++;
          st.logLevel = (st.logLevel ?? LogLevel.INFO) + 1;
        }
        break;
      case "W": {
        if (out.stdioForward) throw new ConfigError("stdio forward already specified");
        if (out.muxCommand) throw new ConfigError("Cannot specify stdio forward with -O");
        const fwd = parseForward(arg, true, false);
        if (!fwd) throw new PlainTextError(`Bad stdio forwarding specification '${arg}'`);
        const fwdHost = fwd.listenPort === PORT_STREAMLOCAL ? fwd.listenPath : fwd.listenHost;
        if (fwdHost !== undefined) out.stdioForward = { host: fwdHost, port: fwd.listenPort };
        st.requestTTY = "no";
        st.sessionType = "none";
        break;
      }
      case "q":
        st.logLevel = LogLevel.QUIET;
        break;
      case "e": {
        const v = parseEscapeChar(arg);
        if (v === undefined) throw new PlainTextError(`Bad escape character '${arg}'.`);
        st.escapeChar = v;
        break;
      }
      case "c":
        if (!ciphersValid(/^[+^]/.test(arg) ? arg.slice(1) : arg)) {
          throw new PlainTextError(`Unknown cipher type '${arg}'`);
        }
        st.ciphers = arg;
        break;
      case "m":
        if (!macsValid(arg)) throw new PlainTextError(`Unknown mac type '${arg}'`);
        st.macs = arg;
        break;
      case "M":
        st.controlMaster = st.controlMaster === "yes" ? "ask" : "yes";
        break;
      case "p":
        if (st.port === undefined) {
          const p = a2port(arg);
          if (p <= 0) throw new PlainTextError(`Bad port '${arg}'`);
          st.port = p;
        }
        break;
      case "l":
        if (st.user === undefined) {
          st.user = arg;
          out.userOnCommandLine = true;
        }
        break;
      case "L":
        addForward(st.localForwards, parseForwardArg("local", arg));
        break;
      case "R":
        addForward(st.remoteForwards, parseForwardArg("remote", arg));
        break;
      case "D":
        addForward(st.localForwards, parseForwardArg("dynamic", arg));
        break;
      case "C":
        st.compression = true;
        break;
      case "N":
        if (st.sessionType !== undefined && st.sessionType !== "none") {
          throw new ConfigError("Cannot specify -N with -s/SessionType");
        }
        st.sessionType = "none";
        st.requestTTY = "no";
        break;
      case "T":
        st.requestTTY = "no";
        break;
      case "o": {
        const err = processConfigLine(st, arg, "command-line", 0, undefined, undefined);
        if (err !== undefined) throw new ConfigError(err);
        break;
      }
      case "s":
        if (st.sessionType !== undefined && st.sessionType !== "subsystem") {
          throw new ConfigError("Cannot specify -s with -N/SessionType");
        }
        st.sessionType = "subsystem";
        break;
      case "S":
        st.controlPath = arg;
        break;
      case "b":
        st.bindAddress = arg;
        break;
      case "F":
        out.configFile = arg;
        break;
      default:
        throw usageError();
    }
    return true;
  };

  /** One getopt run from `pos`; false when -V/-Q ended parsing. */
  const getopt = (): boolean => {
    while (pos < argv.length) {
      const word = argv[pos];
      if (word === "--") {
        pos++;
        optTerminated = true;
        return true;
      }
      if (!word.startsWith("-") || word === "-") return true;
      pos++;
      for (let k = 1; k < word.length; k++) {
        const c = word[k];
        const wants = takesArg(c);
        if (wants === undefined) throw getoptError(`unknown option -- ${c}`);
        if (!wants) {
          if (!handle(c, "")) return false;
          continue;
        }
        let arg = word.slice(k + 1);
        if (arg === "") {
          if (pos >= argv.length) throw getoptError(`option requires an argument -- ${c}`);
          arg = argv[pos++];
        }
        if (!handle(c, arg)) return false;
        break;
      }
    }
    return true;
  };

  if (!getopt()) return out;
  if (pos < argv.length) {
    const dest = argv[pos++];
    const uri = parseSshUri(dest);
    if (uri === "bad") throw usageError();
    if (uri !== "not-uri") {
      if (st.user === undefined && uri.user !== undefined) {
        st.user = uri.user;
        out.userOnCommandLine = true;
      }
      if (st.port === undefined && uri.port !== undefined) st.port = uri.port;
      host = uri.host;
    } else {
      const at = dest.lastIndexOf("@");
      if (at === 0) throw usageError();
      if (at > 0) {
        if (st.user === undefined) {
          st.user = dest.slice(0, at);
          out.userOnCommandLine = true;
        }
        host = dest.slice(at + 1);
      } else host = dest;
    }
    // Like ssh.c, options may follow the destination, unless `--` came before it.
    if (pos < argv.length && !optTerminated) {
      if (!getopt()) return out;
    }
  }
  if (host === undefined) throw usageError();
  if (st.user !== undefined && !validRemoteUser(st.user)) {
    throw new ConfigError("remote username contains invalid characters");
  }
  if (!validHostname(host)) throw new ConfigError("hostname contains invalid characters");
  out.host = host;
  out.command = argv.slice(pos);
  if (out.command.length === 0 && st.sessionType === "subsystem") {
    throw usageError("You must specify a subsystem to invoke.");
  }
  return out;
}
