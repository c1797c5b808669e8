// `sshmux -S ctl host [command]` against a running master: the stock client's session flow
// (mux.c mux_client_request_session) — forwards, ALIVE, NEW_SESSION with our stdio fds, then
// raw tty, signal relay and the wait for EXIT_MESSAGE and EOF.

import { backgroundReady } from "../background.ts";
import { isatty, openDevNull, RawFd } from "../../ffi/mod.ts";
import type { Options } from "../config/options.ts";
import { wantTtyDecision } from "../config/tty.ts";
import { FatalError, ProtocolError } from "../errors.ts";
import { log, LogLevel } from "../log.ts";
import { MuxFallback, MuxMasterGone, MuxOutOfSequence } from "./errors.ts";
import { MuxRequestRefused } from "../mux/errors.ts";
import type { MuxClient } from "./mux_client.ts";
import { writeStderr } from "./output.ts";
import { escapeCharCode, muxNewSessionEnv, sessionTerm } from "./session_request.ts";
import { installSessionSignals } from "./signals.ts";
import { enterRawModeIfTty } from "./tty.ts";
import { lazyModule } from "../lazy_module.ts";

/** ssh names the function in its fatal messages about the session's replies; so do we. */
const SESSION_FN = "mux_client_request_session";

/**
 * SessionName: the master lists the session under it and signals it by it (sshmux's master
 * only). A refused name (taken, malformed) is reported and the session runs unnamed.
 */
async function nameSession(client: MuxClient, name: string): Promise<void> {
  if (!client.supportsSetName) {
    log.verbose("SessionName ignored: the master does not take session names");
    return;
  }
  try {
    await client.setName(name);
    log.debug(`session named "${name}"`);
  } catch (e) {
    if (e instanceof MuxMasterGone) throw fallback(`mux_client_request_session: ${e.message}`);
    if (!(e instanceof MuxRequestRefused)) throw e;
    log.error(`SessionName "${name}" refused by master: ${e.reason}`);
  }
}

function fallback(msg: string): MuxFallback {
  log.error(msg);
  return new MuxFallback(msg);
}

/**
 * Runs one session over `client` and returns the exit code. Throws MuxFallback when the master
 * would not give us a session (ssh then connects directly), FatalError on protocol violations
 * after the session opened.
 */
export async function runMuxSession(
  client: MuxClient,
  opts: Options,
  environ: Record<string, string> = Deno.env.toObject(),
): Promise<number> {
  // Forwards are rare on a mux session: their modules load only when there are some.
  if (
    opts.localForwards.length + opts.remoteForwards.length > 0 &&
    !await (await import(lazyModule("./forwards.ts")) as typeof import("./forwards.ts"))
      .sendForwards(client, opts, {
        open: true,
        printAllocatedPorts: false,
      })
  ) {
    throw fallback("muxclient: master forward request failed");
  }

  let masterPid: number;
  try {
    masterPid = await client.aliveCheck();
  } catch (e) {
    if (e instanceof MuxOutOfSequence) {
      throw new FatalError(`mux_client_request_alive: ${e.message}`);
    }
    // As ssh: a master that cannot be read (gone, reset) or says pid 0 is given up on for a
    // direct connection; one that answers with something it cannot take for ALIVE is fatal
    // (running the command elsewhere after a corrupt reply was our own choice, not ssh's).
    if (e instanceof MuxRequestRefused) {
      throw new FatalError(`mux_client_request_alive: master returned error: ${e.reason}`);
    }
    if (e instanceof ProtocolError) throw new FatalError(`mux_client_request_alive: ${e.message}`);
    throw fallback("mux_client_request_session: master alive request failed");
  }

  const stdin0 = RawFd.std(0);
  // -f and StdinNull imply -n for a mux client too.
  const stdinNull = opts.stdinNull || opts.forkAfterAuthentication;
  const decision = wantTtyDecision({ ...opts, stdinNull }, isatty(stdin0));
  const tty = decision.tty;
  if (decision.warn) {
    log.info("Pseudo-terminal will not be allocated because stdin is not a terminal.");
  }
  if (opts.sessionName !== undefined) await nameSession(client, opts.sessionName);
  const stdinFd = stdinNull ? openDevNull(false) : stdin0;
  let sid: number;
  try {
    sid = await client.newSession({
      wantTty: tty,
      wantX11: opts.forwardX11,
      wantAgent: opts.forwardAgent,
      subsystem: opts.sessionType === "subsystem",
      escapeChar: escapeCharCode(opts.escapeChar),
      term: sessionTerm(opts, environ),
      command: opts.command,
      env: muxNewSessionEnv(opts, environ),
    }, [stdinFd, RawFd.std(1), RawFd.std(2)]);
  } catch (e) {
    if (e instanceof MuxRequestRefused) {
      throw fallback(
        e.kind === "PermissionDenied"
          ? `Master refused session request: ${e.reason}`
          : `mux_client_request_session: session request failed: ${e.reason}`,
      );
    }
    if (e instanceof MuxMasterGone) {
      throw fallback(`mux_client_request_session: ${e.message}`);
    }
    if (e instanceof MuxOutOfSequence) {
      throw new FatalError(`mux_client_request_session: ${e.message}`);
    }
    if (e instanceof ProtocolError) throw fallback(`mux_client_request_session: ${e.message}`);
    throw e;
  } finally {
    // The master holds its own copy now; ours would keep /dev/null open for nothing.
    if (stdinFd !== stdin0) stdinFd.close();
  }
  log.debug(`mux session opened, id ${sid}, master pid ${masterPid}`);
  // Where ssh -f goes to the background for a mux session.
  backgroundReady();

  // Replies to the signals we pass on arrive among the session's messages.
  const signalRids = new Set<number>();
  const forward = !tty && client.supportsSignal
    ? (name: string) => {
      const { rid, sent } = client.sendOwnSignal(name);
      signalRids.add(rid);
      sent.catch((e) => log.debug(`passing SIG${name} on failed: ${e.message}`));
    }
    : undefined;
  const signals = installSessionSignals(() => client.close(), masterPid, forward);
  // Raw mode only on a real tty stdin (ssh's enter_raw_mode fails quietly otherwise).
  let leaveRawMode = tty && !stdinNull ? enterRawModeIfTty(stdin0) : undefined;
  let exitValue: number | undefined;
  try {
    // Read until the master closes the socket: EXIT_MESSAGE may arrive before all output has
    // been written into our stdout, so it never ends the wait by itself.
    while (true) {
      let msg;
      try {
        msg = await client.read();
      } catch (e) {
        if (signals.received !== undefined) break;
        if (e instanceof ProtocolError) {
          throw new FatalError(`mux_client_request_session: ${e.message}`);
        }
        log.debug(`read from master failed: ${e instanceof Error ? e.message : e}`);
        break;
      }
      if (msg === null) break;
      switch (msg.kind) {
        case "TtyAllocFail":
          if (msg.sid !== sid) {
            throw new FatalError(
              `${SESSION_FN}: tty alloc fail on unknown session: my id ${sid} theirs ${msg.sid}`,
            );
          }
          leaveRawMode?.();
          leaveRawMode = undefined;
          break;
        case "ExitMessage":
          if (msg.sid !== sid) {
            throw new FatalError(
              `${SESSION_FN}: exit on unknown session: my id ${sid} theirs ${msg.sid}`,
            );
          }
          if (exitValue !== undefined) throw new FatalError(`${SESSION_FN}: exitval sent twice`);
          exitValue = msg.exitValue;
          break;
        case "Ok":
          if (!signalRids.delete(msg.rid)) {
            throw new FatalError(`${SESSION_FN}: master returned unexpected message ${msg.kind}`);
          }
          break;
        case "Failure":
        case "PermissionDenied":
          if (signalRids.delete(msg.rid)) {
            log.error(`Remote signal not delivered: ${msg.reason}`);
            break;
          }
          throw new FatalError(`${SESSION_FN}: master returned error: ${msg.reason}`);
        default:
          throw new FatalError(`${SESSION_FN}: master returned unexpected message ${msg.kind}`);
      }
    }
  } finally {
    signals.dispose();
    client.close();
    leaveRawMode?.();
  }

  let code: number;
  if (signals.received !== undefined) {
    log.debug2(`Exiting on signal: ${signals.received}`);
    code = 255;
  } else if (exitValue === undefined) {
    log.debug2("Control master terminated unexpectedly");
    code = 255;
  } else {
    code = exitValue & 0xff;
  }
  if (tty && log.enabled(LogLevel.INFO) && !opts.quiet) {
    writeStderr(`Shared connection to ${opts.hostName} closed.\r\n`);
  }
  return code;
}
