// sshmux entry point: argv → Options → master | client | -O command | plain ssh.
// The only place that calls Deno.exit.
import { parseArgs } from "./lib/config/argv.ts";
import { resolveOptionsWithWarnings } from "./lib/config/resolve.ts";
import type { Options } from "./lib/config/options.ts";
import { PlainTextError } from "./lib/config/errors.ts";
import { FatalError, reportedAtInfo } from "./lib/errors.ts";
import {
  isBackgroundChild,
  isPersistMasterChild,
  MASTER_LOST_RACE,
  runInBackground,
  startPersistentMaster,
} from "./lib/background.ts";
import { log, LogLevel, logToFile, setLogLevel } from "./lib/log.ts";
import {
  masterListening,
  MuxFallback,
  restoreAllTerminals,
  runMuxClient,
  usesControlPath,
} from "./lib/client/mod.ts";
import type { PacketTransport } from "./lib/ssh/packet_transport.ts";
import { SSHMUX_VER } from "./lib/mux/constants.ts";
import { visLog } from "./lib/vis.ts";
import { lazyModule } from "./lib/lazy_module.ts";

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
  if (transport === undefined) await startEarlyConnectFor(opts);
  const plain: typeof import("./lib/ssh/plain.ts") = await import(
    lazyModule("./lib/ssh/plain.ts")
  );
  return await plain.runPlainSsh(opts, transport);
}

/**
 * Starts the TCP connect (and sends our identification line) of an SSH connection this process
 * is about to make, so the server's answers overlap the loading of the SSH client's modules
 * (early_connect.ts). Both small modules load first, so the connect has started before the
 * SSH client can ask for it. Not with ProxyCommand/ProxyJump.
 */
async function startEarlyConnectFor(opts: Options): Promise<void> {
  const [{ transportConfig }, { startEarlyConnect }]: [
    typeof import("./lib/config/ssh_client_config.ts"),
    typeof import("./lib/ssh/transport/early_connect.ts"),
  ] = await Promise.all([
    import(lazyModule("./lib/config/ssh_client_config.ts")),
    import(lazyModule("./lib/ssh/transport/early_connect.ts")),
  ]);
  const t = transportConfig(opts);
  if (!t.proxyCommand || t.proxyCommand === "none") {
    startEarlyConnect(t);
  }
}

/** False when the -E file cannot be opened: ssh then says so (even with -q) and exits 1. */
function setUpLogging(opts: Options): boolean {
  setLogLevel(opts.logLevel as LogLevel);
  if (opts.logFile === undefined) return true;
  try {
    logToFile(opts.logFile);
    return true;
  } catch (e) {
    // Deno's text is "No such file or directory (os error 2): open '...'": keep strerror's part.
    const why = (e instanceof Error ? e.message : String(e)).replace(/ \(os error \d+\)[^]*$/, "");
    writeErr(visLog(`Couldn't open logfile ${opts.logFile}: ${why}`) + "\n");
    return false;
  }
}

async function main(args: string[]): Promise<number> {
  const cmd = parseArgs(args);
  if (cmd.printVersion) {
    writeErr(`${VERSION}, mux protocol ${SSHMUX_VER}\n`);
    return 0;
  }
  if (cmd.query !== undefined) {
    const { queryAlgorithms, queryNames }: typeof import("./lib/ssh/transport/query.ts") =
      await import(lazyModule("./lib/ssh/transport/query.ts"));
    const names = cmd.query === "help" ? queryNames() : queryAlgorithms(cmd.query);
    if (names === undefined) throw new FatalError(`Unsupported query "${cmd.query}"`);
    writeOut(names.map((n) => `${n}\n`).join(""));
    return 0;
  }
  const { options: opts, warnings } = resolveOptionsWithWarnings(cmd);
  if (!setUpLogging(opts)) return 1;
  // Which entry runs: .bundle/main.js (scripts/bundle.ts) or main.ts (no bundle, or a stale one).
  log.debug(`${VERSION}, running ${new URL(import.meta.url).pathname}`);
  // ssh prints these while reading its command line, with fprintf: "\n", even under -q.
  for (const w of warnings) writeErr(`${w}\n`);
  if (cmd.dumpConfig) {
    const { formatConfig }: typeof import("./lib/config/dump.ts") = await import(
      lazyModule("./lib/config/dump.ts")
    );
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
  if (usesControlPath(opts)) return await runWithControlPath(opts, args);
  return await runPlainSsh(opts);
}

/** ControlMaster decides: a client of a running master, the master itself, or both (persist). */
async function runWithControlPath(opts: Options, args: string[]): Promise<number> {
  if (opts.controlPath === STDIO_CONTROL_PATH) return await runStdioMaster(opts);
  if (isPersistMasterChild()) return await runMasterHere(opts, true);
  const mode = opts.controlMaster;
  // ssh never acts as a mux client with ControlMaster yes/ask: it becomes the master (-O
  // commands always talk to the socket).
  if (opts.muxCommand !== undefined || (mode !== "yes" && mode !== "ask")) {
    try {
      return await runMuxClient(opts, runPlainSsh);
    } catch (e) {
      if (!(e instanceof MuxFallback)) throw e;
      log.debug(`mux client: ${e.message}; connecting directly`);
    }
    if (mode !== "auto" && mode !== "autoask") return await runPlainSsh(opts);
    return await startOrJoinMaster(opts, args);
  }
  if (opts.controlPersist !== undefined) return await runPersistentMaster(opts, args);
  return await runMasterHere(opts, false);
}

/** `-S -` (sshmux): the master speaks the mux protocol on its stdin/stdout, no socket. */
const STDIO_CONTROL_PATH = "-";

/**
 * `sshmux -M -S - host`: a master whose one control connection is its stdin/stdout, for a
 * program that embeds it (HELLO, then PROXY: many channels over the one pipe). stdin and
 * stdout belong to the mux, so there is no session of its own and no going to the background.
 */
async function runStdioMaster(opts: Options): Promise<number> {
  const refuse = (why: string) => new FatalError(`ControlPath - (mux over stdin/stdout): ${why}`);
  if (opts.muxCommand !== undefined) throw refuse("-O commands need a ControlPath socket");
  if (opts.controlMaster !== "yes" && opts.controlMaster !== "ask") throw refuse("needs -M");
  if (opts.forkAfterAuthentication) throw refuse("-f is not possible (stdin/stdout are the mux)");
  if (opts.command !== "" || opts.stdioForward !== undefined) {
    throw refuse("no remote command or -W (stdin/stdout are the mux)");
  }
  const { runMaster }: typeof import("./lib/master/mod.ts") = await import(
    lazyModule("./lib/master/mod.ts")
  );
  return await runMaster(opts, { background: false, ownSession: false, stdio: true });
}

/** How long an auto invocation waits for a master another invocation is starting. */
const JOIN_WAIT_MS = 60_000;

/**
 * ControlMaster auto with no master to use: start one, unless another invocation is starting
 * it right now (its start lock is held): then wait for that master and be its client, so a
 * burst of commands makes one SSH connection (OpenSSH lets each of them connect).
 */
async function startOrJoinMaster(opts: Options, args: string[]): Promise<number> {
  const { startLockHeld, tryStartLock }: typeof import("./lib/master/start_lock.ts") = await import(
    lazyModule("./lib/master/start_lock.ts")
  );
  const path = opts.controlPath!;
  const deadline = Date.now() + JOIN_WAIT_MS;
  for (;;) {
    const lock = tryStartLock(path);
    if (lock && masterListening(path)) {
      // Checked again under the lock: the master our first attempt missed may have come up
      // (and released its start lock) since; without this, a burst made a second connection.
      lock.release();
    } else if (lock) {
      try {
        return opts.controlPersist !== undefined
          ? await runPersistentMaster(opts, args, () => lock.release())
          : await runMasterHere(opts, false, () => lock.release());
      } finally {
        lock.release();
      }
    }
    log.debug(`auto-mux: another invocation is starting the master for ${path}; waiting`);
    while (startLockHeld(path) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
    }
    try {
      return await runMuxClient(opts, runPlainSsh);
    } catch (e) {
      if (!(e instanceof MuxFallback)) throw e;
    }
    if (Date.now() >= deadline) return await runPlainSsh(opts);
  }
}

/** This process is the master (-M, or auto with no master to use and no ControlPersist). */
async function runMasterHere(
  opts: Options,
  persistChild: boolean,
  onListening?: () => void,
): Promise<number> {
  await startEarlyConnectFor(opts);
  const { runMaster }: typeof import("./lib/master/mod.ts") = await import(
    lazyModule("./lib/master/mod.ts")
  );
  return await runMaster(opts, {
    onListening,
    background: persistChild || (opts.forkAfterAuthentication && isBackgroundChild()),
    ownSession: !persistChild && opts.sessionType !== "none" && opts.stdioForward === undefined,
    persistSeconds: persistChild ? opts.controlPersist ?? 0 : undefined,
  });
}

/**
 * ControlPersist, like ssh's control_persist_detach: the master goes to the background (a
 * copy of us) and this process becomes an ordinary mux client of it for the command line's
 * session, or just returns once the master is ready when there is none (-N).
 */
async function runPersistentMaster(
  opts: Options,
  args: string[],
  onStarted?: () => void,
): Promise<number> {
  const started = await startPersistentMaster(args);
  onStarted?.();
  if (started !== "ready" && started !== MASTER_LOST_RACE) return started;
  if (started === "ready" && opts.sessionType === "none" && opts.stdioForward === undefined) {
    return 0;
  }
  const asClient: Options = { ...opts, controlMaster: "no" };
  try {
    return await runMuxClient(asClient, runPlainSsh);
  } catch (e) {
    if (!(e instanceof MuxFallback)) throw e;
    if (started === "ready") throw new FatalError("Failed to connect to new control master");
    // Another master took the path first and is gone again: connect directly, like ssh.
    return await runPlainSsh(opts);
  }
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
    if (e instanceof PlainTextError) {
      writeErr(`${msg}\n`);
    } else if (log.enabled(reportedAtInfo(e) ? LogLevel.INFO : LogLevel.FATAL)) {
      writeErr(`${visLog(msg)}\r\n`);
    }
    // Ordinary failures never show a JavaScript stack, at any -v level (ssh users and the
    // scripts that parse ssh's stderr would see noise); developers ask with SSHMUX_DEBUG_TRACES=1.
    if (Deno.env.get("SSHMUX_DEBUG_TRACES") === "1" && e instanceof Error) {
      writeErr(`${e.stack ?? ""}\r\n`);
    }
    Deno.exit(e instanceof FatalError ? e.exitCode : 255);
  });
}
