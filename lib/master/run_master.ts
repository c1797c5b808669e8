// `sshmux -M` as a process: connect and authenticate like plain mode, set up the command
// line's forwards, listen on the ControlPath, go to the background if asked (-f, or the
// ControlPersist master started by a client), run the master's own session if it has one, and
// end by OpenSSH's rules: -O exit, -O stop when idle, ControlPersist's idle timeout, the own
// session's end once idle, a fatal signal, or the server going away (every mux session then
// ends: their clients exit 255). The socket is removed on every one of these paths.
// Beyond OpenSSH: sessions past the server's MaxSessions go to extra connections (the pool
// dials them with the same connect code), and with ControlHeal a lost connection is dialed
// again instead of ending the master (heal.ts).

import { preferEpollReactor, redirectStdioToDevNull } from "../../ffi/mod.ts";
import { backgroundReady, MASTER_LOST_RACE } from "../background.ts";
import type { Options } from "../config/options.ts";
import { getLogLevel, log, logIsOnStderr, LogLevel } from "../log.ts";
import { connectSsh, type SshClient } from "../ssh/client.ts";
import { ForwardManager, setupConfiguredForwards } from "../ssh/forward/mod.ts";
import { ownSessionOptions } from "../ssh/plain.ts";
import { serveAgentChannels } from "../ssh/session/agent_forward.ts";
import { startServerAlive } from "../ssh/session/keepalive.ts";
import { onFatalSignals, reportConnectionEnd, runSession } from "../ssh/session/run_session.ts";
import { processStdio } from "../ssh/session/stdio.ts";
import { ConnectionPool, DIAL_CONNECT_TIMEOUT_S } from "./connection_pool.ts";
import { HEAL_SESSION_WAIT_MS, healDelays, healFirstDelay, reconnect } from "./heal.ts";
import type { ConnectionFacts } from "./info_text.ts";
import { Lifetime } from "./lifetime.ts";
import { errorMessage } from "./errors.ts";
import { MuxMaster } from "./master.ts";
import { masterPolicy } from "./policy.ts";
import { PrimaryForwardConnection } from "./primary_forward_conn.ts";

export interface MasterLaunch {
  /** -f, or the ControlPersist master a client started: detach once listening. */
  background: boolean;
  /** Run the command line's session too (not -N, not a ControlPersist master). */
  ownSession: boolean;
  /** ControlPersist seconds (0 = forever) for a persisting master, else undefined. */
  persistSeconds?: number;
  /**
   * `-S -`: serve the mux on stdin/stdout instead of a ControlPath; the master ends (0) when
   * the program at the other end closes the pipe and its channels are gone.
   */
  stdio?: boolean;
  /** Called once the socket listens (or could not be taken): the start lock may go. */
  onListening?: () => void;
}

/** How often the idle rules are evaluated (ControlPersist is in whole seconds). */
const TICK_MS = 250;

/**
 * Exit status after a fatal signal, as measured with OpenSSH 9.2: a -N master takes SIGTERM as
 * a quit request (0) and HUP/INT as "killed by signal" (255); with a session of its own, 255.
 */
function signalStatus(sig: Deno.Signal, ownSession: boolean): number {
  return sig === "SIGTERM" && !ownSession ? 0 : 255;
}

function factsOf(pool: ConnectionPool, host: string, startedAt: number): () => ConnectionFacts {
  return () => {
    const client = pool.primaryClient;
    return {
      host,
      pid: Deno.pid,
      startedAt,
      local: client.sshTransport?.local,
      remote: client.sshTransport?.remote,
      algorithms: client.sshTransport?.algorithms,
    };
  };
}

export async function runMaster(opts: Options, launch: MasterLaunch): Promise<number> {
  const startedAt = Date.now();
  // Before anything waits on an fd: a master's many short-lived fds suit epoll (ffi/reactor.ts).
  preferEpollReactor();
  const client = await connectSsh(opts);
  const conn = client.connection;
  const policy = masterPolicy(opts, getLogLevel());
  // Extra connections and reconnects: the same connect code, bounded so a cut network
  // cannot hang a waiting session for long.
  const dial = () =>
    connectSsh({ ...opts, connectTimeout: opts.connectTimeout ?? DIAL_CONNECT_TIMEOUT_S });
  /** Per connection: agent channels for its sessions, ServerAlive probes. */
  const prepare = (c: SshClient, onTimeout: () => void) => {
    if (policy.agentSocket) serveAgentChannels(c.connection, policy.agentSocket);
    startServerAlive(c.connection, opts.serverAliveInterval, opts.serverAliveCountMax, () => {
      log.error(`Timeout, server ${opts.hostName} not responding.`);
      onTimeout();
      c.connection.close("server not responding");
    });
  };
  const pool = new ConnectionPool(client, {
    dial,
    host: opts.hostName,
    prepare: (c) => prepare(c, () => {}),
  });
  const forwardConn = new PrimaryForwardConnection(() => pool.primary);
  const forwards = new ForwardManager({ conn: forwardConn, gatewayPorts: opts.gatewayPorts });
  let finish!: (code: number) => void;
  const ended = new Promise<number>((r) => finish = r);
  let master: MuxMaster | undefined;
  let endedByUs = false;
  let ownRunning = false;
  let ownCode: number | undefined;
  /** The primary's ServerAlive timeout already said why it ends. */
  let timedOut = false;
  const stopSignals = onFatalSignals((num, sig) => {
    endedByUs = true;
    log.verbose(`Killed by signal ${num}.`);
    finish(signalStatus(sig, launch.ownSession));
  });
  let tick: ReturnType<typeof setInterval> | undefined;
  try {
    await setupConfiguredForwards(forwards, opts);
    master = new MuxMaster({
      pool,
      forwards,
      policy,
      facts: factsOf(pool, opts.hostName, startedAt),
      onTerminate: () => {
        endedByUs = true;
        log.debug("mux master: terminate requested");
        // ssh -N exits 255 after -O exit (no session, so no status of its own).
        finish(launch.ownSession ? ownCode ?? 255 : 255);
      },
    });
    let listening = true;
    if (launch.stdio) {
      master.serveStdio().then(() => {
        log.debug("mux master: stdin closed");
        endedByUs = true;
        finish(0);
      });
    } else {
      listening = master.listen(opts.controlPath!);
    }
    launch.onListening?.();
    if (!listening) {
      master = undefined;
      // A ControlPersist master that lost the race for the path: the client that started it
      // uses whichever master won.
      if (launch.persistSeconds !== undefined) return MASTER_LOST_RACE;
    }
    if (launch.background) {
      backgroundReady();
      // Keep stderr only where -v logs to it (ssh: stdfd_devnull unless debugging to stderr).
      redirectStdioToDevNull(!(logIsOnStderr() && getLogLevel() >= LogLevel.DEBUG1));
    }
    const primaryTimedOut = () => timedOut = true;
    /** The primary's end: the master's end, unless ControlHeal dials a new one. */
    const watchPrimary = (c: SshClient) => {
      c.connection.closed.then(async (err) => {
        if (!ownRunning && !timedOut) reportConnectionEnd(err, endedByUs, opts.hostName);
        timedOut = false;
        if (endedByUs || !opts.controlHeal || !master?.listening) return finish(255);
        const healing = reconnect({
          dial,
          host: opts.hostName,
          delays: healDelays(healFirstDelay()),
          stopped: () => endedByUs,
        });
        pool.reconnecting(healing, HEAL_SESSION_WAIT_MS);
        const next = await healing;
        if (!next) {
          // Sessions that waited for the reconnect queue their refusal first (closing a
          // control connection flushes queued replies); then the master ends as without heal.
          await new Promise((r) => setTimeout(r, 0));
          return finish(255);
        }
        const id = pool.replacePrimary(next);
        log.verbose(`connection ${id} to ${opts.hostName} is the primary now`);
        forwardConn.attach(next.connection);
        prepare(next, primaryTimedOut);
        watchPrimary(next);
        // The server's -R listeners died with the old connection: ask for them again.
        forwards.reissueRemote().catch((e) => log.error(`remote forwards: ${errorMessage(e)}`));
      });
    };
    prepare(client, primaryTimedOut);
    watchPrimary(client);
    if (launch.ownSession) {
      ownRunning = true;
      const stdio = processStdio();
      const run = {
        ...ownSessionOptions(opts, stdio),
        handleSignals: false,
        serverAliveInterval: 0,
      };
      runSession(conn, run, stdio).then((code) => {
        ownCode = code;
      }, (e) => {
        log.error(e instanceof Error ? e.message : String(e));
        ownCode = 255;
      }).finally(() => {
        ownRunning = false;
        stdio.close?.();
      });
    }
    const lifetime = new Lifetime(launch.persistSeconds);
    tick = setInterval(() => {
      // Without a socket (another master holds the path) this is a plain connection: it ends
      // with its session, or with -N when the connection or a signal ends it.
      const code = master
        ? lifetime.check({
          idle: master.idle,
          stopped: master.stopped,
          hasOwnSession: launch.ownSession,
          ownSessionCode: ownRunning ? undefined : ownCode,
        })
        : ownRunning
        ? undefined
        : ownCode;
      if (code !== undefined) {
        // Clients that connected just now are served first; the master ends once idle again
        // (it is `stopped` from here on, so no second idle period is waited for).
        if (master?.listening && master.retire() > 0) return;
        if (!launch.ownSession && launch.persistSeconds) {
          log.debug("ControlPersist timeout expired");
        }
        endedByUs = true;
        finish(code);
      }
    }, TICK_MS);
    return await ended;
  } finally {
    launch.onListening?.();
    if (tick !== undefined) clearInterval(tick);
    stopSignals();
    endedByUs = true;
    await master?.close();
    await forwards.closeAll();
    await pool.close();
  }
}
