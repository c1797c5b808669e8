// sshmux entry point: argv → Options → master | client | -O command | plain ssh.
// The only place that calls Deno.exit.
import { parseArgs, resolveOptionsWithWarnings } from "./lib/config/resolve.ts";
import { formatConfig } from "./lib/config/dump.ts";
import type { Options } from "./lib/config/options.ts";
import { FatalError, reportedAtInfo } from "./lib/errors.ts";
import { isBackgroundChild, runInBackground } from "./lib/background.ts";
import { log, LogLevel, logToFile, setLogLevel } from "./lib/log.ts";
import {
  MuxFallback,
  restoreAllTerminals,
  runMuxClient,
  usesControlPath,
} from "./lib/client/mod.ts";
import type { PacketTransport } from "./lib/ssh/packet_transport.ts";
import { SSHMUX_VER } from "./lib/mux/constants.ts";

export const VERSION = "sshmux_0.1.0";

const enc = new TextEncoder();

function writeErr(text: string): void {
  try {
    Deno.stderr.writeSync(enc.encode(text));
  } catch { /* stderr closed: nothing left to tell */ }
}

/**
 * Plain mode, loaded only when used: a mux session then never loads (or pays start-up time
 * for) the SSH transport, crypto and auth modules.
 */
async function runPlainSsh(opts: Options, transport?: PacketTransport): Promise<number> {
  const plain = await import("./lib/ssh/plain.ts");
  return await plain.runPlainSsh(opts, transport);
}

function setUpLogging(opts: Options): void {
  setLogLevel(opts.logLevel as LogLevel);
  if (opts.logFile !== undefined) logToFile(opts.logFile);
}

async function main(args: string[]): Promise<number> {
  const cmd = parseArgs(args);
  if (cmd.printVersion) {
    writeErr(`${VERSION}, mux protocol ${SSHMUX_VER}\n`);
    return 0;
  }
  if (cmd.query !== undefined) {
    const { queryAlgorithms, queryNames } = await import("./lib/ssh/transport/query.ts");
    const names = cmd.query === "help" ? queryNames() : queryAlgorithms(cmd.query);
    if (names === undefined) throw new FatalError(`Unsupported query "${cmd.query}"`);
    writeOut(names.map((n) => `${n}\n`).join(""));
    return 0;
  }
  const { options: opts, warnings } = resolveOptionsWithWarnings(cmd);
  setUpLogging(opts);
  for (const w of warnings) log.error(w);
  if (cmd.dumpConfig) {
    writeOut(formatConfig(opts));
    return 0;
  }

  if (opts.muxCommand !== undefined && !usesControlPath(opts)) {
    throw new FatalError(`No ControlPath specified for "-O" command`);
  }
  // -f: a background copy of us connects; this one waits until it is ready (no fork in Deno).
  if (opts.forkAfterAuthentication && opts.muxCommand === undefined && !isBackgroundChild()) {
    return await runInBackground(args);
  }
  if (usesControlPath(opts)) {
    // ssh never acts as a mux client with ControlMaster yes/ask: it becomes the master.
    if (opts.controlMaster === "yes" || opts.controlMaster === "ask") {
      throw new FatalError("sshmux: acting as a master is not implemented yet");
    }
    try {
      return await runMuxClient(opts, runPlainSsh);
    } catch (e) {
      if (!(e instanceof MuxFallback)) throw e;
      // ssh connects directly when there is no usable master (and with ControlMaster
      // auto/autoask would become one: not implemented yet, so a plain connection it is).
      log.debug(`mux client: ${e.message}; connecting directly`);
    }
  }
  return await runPlainSsh(opts);
}

function writeOut(text: string): void {
  let data = enc.encode(text);
  while (data.length > 0) data = data.subarray(Deno.stdout.writeSync(data));
}

if (import.meta.main) {
  main(Deno.args).then((code) => {
    restoreAllTerminals();
    Deno.exit(code);
  }, (e) => {
    restoreAllTerminals();
    const msg = e instanceof Error ? e.message : String(e);
    // Fatal messages obey -q like ssh's fatal(); FatalError from argv parsing precedes the
    // logger set-up and is printed at the default level. A connection ended inside the
    // packet layer is reported at INFO, like ssh's sshpkt_fatal (LogLevel ERROR hides it).
    if (log.enabled(reportedAtInfo(e) ? LogLevel.INFO : LogLevel.FATAL)) writeErr(`${msg}\r\n`);
    if (!(e instanceof FatalError) && log.enabled(LogLevel.DEBUG1) && e instanceof Error) {
      writeErr(`${e.stack ?? ""}\r\n`);
    }
    Deno.exit(e instanceof FatalError ? e.exitCode : 255);
  });
}
