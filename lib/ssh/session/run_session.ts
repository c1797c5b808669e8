// Runs one interactive or batch session over an open SshConnection with local stdio, the way
// ssh's client loop does: stdin → channel (EOF passed on), channel → stdout, stderr → stderr,
// raw tty while a pty session runs (restored on every exit path), window-change on SIGWINCH,
// ServerAlive probes. Returns the exit code ssh would return.

import { DisconnectError, reportedAtInfo } from "../../errors.ts";
import { CLIENT_LOOP_SIGNALS, inheritedIgnored, listenForSignal } from "../../inherited_signals.ts";
import { log, LogLevel } from "../../log.ts";
import type { SshConnection } from "../connection/connection.ts";
import { pumpToChannel } from "../connection/bridge.ts";
import { ChannelOpenError } from "../connection/errors.ts";
import { serveAgentChannels } from "./agent_forward.ts";
import { EscapeFilter } from "./escape.ts";
import { runEscape, sayTo } from "./escape_commands.ts";
import { startServerAlive } from "./keepalive.ts";
import { Session, type SessionKind, SessionStartError } from "./session.ts";
import type { LocalStdio } from "./stdio.ts";
import { pumpOut } from "./pumps.ts";

export interface RunSessionOptions {
  /** "none" = -N: no session, just keep the connection (forwards) until it ends. */
  kind: SessionKind | "none";
  command?: string;
  /** Request a pty (ssh's tty_flag, already decided). */
  tty: boolean;
  term: string;
  env: Array<[string, string]>;
  /** -n: never read stdin; the remote side sees EOF at once. */
  stdinNull: boolean;
  /** Host name for ssh's messages ("Connection to H closed."). */
  host: string;
  serverAliveInterval: number;
  serverAliveCountMax: number;
  /** EscapeChar (`~` by default, "none" = off); active only on tty sessions, like ssh. */
  escapeChar?: string;
  /** ForwardAgent: the local agent socket to offer the server (undefined = no forwarding). */
  agentSocket?: string;
  /** Plain mode owns the process: SIGHUP/INT/QUIT/TERM end the session with 255, like ssh. */
  handleSignals?: boolean;
}

function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/**
 * Installs handlers for HUP/INT/QUIT/TERM (plain mode's session and a master both end on
 * them); returns the function that removes them. A signal the process inherited as ignored
 * stays ignored, like ssh (and rsh before it): `nohup sshmux host job &` outlives the
 * terminal, and a script's `sshmux host job &` is not ended by ^C meant for the script.
 */
export function onFatalSignals(handler: (num: number, sig: Deno.Signal) => void): () => void {
  const installed: Array<[Deno.Signal, () => void]> = [];
  for (const [sig, num] of CLIENT_LOOP_SIGNALS) {
    if (inheritedIgnored(sig)) continue;
    const h = () => handler(num, sig);
    try {
      listenForSignal(sig, h);
      installed.push([sig, h]);
    } catch { /* signal not supported here */ }
  }
  return () => {
    for (const [sig, h] of installed) Deno.removeSignalListener(sig, h);
  };
}

export async function runSession(
  conn: SshConnection,
  o: RunSessionOptions,
  stdio: LocalStdio,
): Promise<number> {
  // Set when we end the connection ourselves: its loss is then not reported as an error.
  let endedByUs = false;
  const stopAlive = startServerAlive(conn, o.serverAliveInterval, o.serverAliveCountMax, () => {
    endedByUs = true;
    log.error(`Timeout, server ${o.host} not responding.`);
    conn.close("server not responding");
  });
  // Like ssh: HUP/INT/TERM end the session cleanly (tty restored by the finally blocks), 255.
  const stopSignals = o.handleSignals
    ? onFatalSignals((num) => {
      endedByUs = true;
      log.verbose(`Killed by signal ${num}.`);
      conn.close("killed by signal");
    })
    : () => {};
  try {
    if (o.kind === "none") {
      const err = await conn.closed;
      return reportConnectionEnd(err, endedByUs, o.host);
    }
    return await runChannel(conn, o, stdio, () => endedByUs);
  } finally {
    stopSignals();
    stopAlive();
  }
}

/** Logs why the connection ended the way ssh does (unless we ended it); returns 255. */
export function reportConnectionEnd(err: Error | null, endedByUs: boolean, host: string): number {
  if (endedByUs) return 255;
  // A server's DISCONNECT already reads like ssh's "Received disconnect from H port P:N: ...".
  // Ends inside the packet layer are INFO in ssh (sshpkt_fatal), others ERROR.
  const report = reportedAtInfo(err) ? log.info : log.error;
  if (err instanceof DisconnectError) report(err.message);
  else if (err) report(`Connection to ${host} closed: ${err.message}`);
  else log.error(`Connection to ${host} closed by remote host.`);
  return 255;
}

async function runChannel(
  conn: SshConnection,
  o: RunSessionOptions,
  stdio: LocalStdio,
  endedByUs: () => boolean,
): Promise<number> {
  const term = stdio.terminal;
  const size = o.tty ? term.size() : null;
  let session: Session;
  if (o.agentSocket) serveAgentChannels(conn, o.agentSocket);
  try {
    session = await Session.open(conn, {
      kind: o.kind as SessionKind,
      command: o.command,
      env: o.env,
      agentForwarding: o.agentSocket !== undefined,
      pty: o.tty
        ? {
          term: o.term,
          // A stdin with no window size (-tt from a pipe) asks for 0×0, as ssh does; the server
          // then keeps its own default instead of a size we made up.
          cols: size?.cols ?? 0,
          rows: size?.rows ?? 0,
          widthPx: size?.widthPx ?? 0,
          heightPx: size?.heightPx ?? 0,
          modes: term.modes(),
        }
        : undefined,
    });
  } catch (e) {
    if (e instanceof ChannelOpenError) {
      log.error(`channel 0: open failed: ${e.description}`);
    } else if (e instanceof SessionStartError) {
      log.error(e.message);
    } else if (!endedByUs()) {
      log.error(`Connection to ${o.host} closed: ${errorMessage(e)}`);
    }
    return 255;
  }
  const ch = session.channel;
  // Raw mode only when the server gave us a pty, as ssh does; restored in finally.
  // -n means stdin is /dev/null for ssh: no raw mode on the terminal we do not read.
  const rawWanted = session.ptyAllocated && !o.stdinNull && term.isTty();
  let restoreTty = rawWanted ? term.enterRaw() : () => {};
  const stopResize = session.ptyAllocated
    ? term.onResize(() => {
      const s = term.size();
      if (s) session.windowChange(s).catch(() => {});
    })
    : () => {};
  const say = sayTo(stdio.stderr);
  // ssh prints this straight to stderr (not through the log), \r\n for a raw-ish tty.
  const sayClosed = () =>
    session.ptyAllocated && log.enabled(LogLevel.INFO)
      ? say(`Connection to ${o.host} closed.\r\n`)
      : Promise.resolve();
  let userQuit = false;
  const escapes = o.tty && o.escapeChar && o.escapeChar !== "none"
    ? new EscapeFilter(o.escapeChar)
    : undefined;
  const writeStdin = escapes
    ? async (data: Uint8Array) => {
      const r = escapes.process(data);
      if (r.forward.length > 0) await ch.write(r.forward);
      for (const a of r.actions) {
        if (a === "disconnect") {
          userQuit = true;
          conn.close("disconnected by user");
          throw new Error("escape: disconnect");
        }
        await runEscape(a, {
          esc: o.escapeChar!,
          conn,
          channel: ch,
          say,
          suspend: async () => {
            // ssh's client_suspend_self: cooked tty while stopped, raw again and the
            // (maybe changed) size sent once we run again.
            restoreTty();
            term.suspend?.();
            if (rawWanted) restoreTty = term.enterRaw();
            const s = session.ptyAllocated ? term.size() : null;
            if (s) await session.windowChange(s).catch(() => {});
          },
        });
      }
    }
    : undefined;
  try {
    if (o.stdinNull) ch.sendEof().catch(() => {});
    else pumpToChannel(stdio.stdin, ch, undefined, writeStdin).catch(() => {});
    const outputs = Promise.all([
      pumpOut(ch, () => ch.readBatch(), stdio.stdout),
      pumpOut(ch, () => ch.readExtendedBatch(), stdio.stderr),
    ]);
    const exit = await session.exit;
    await outputs;
    restoreTty();
    const lost = ch.connectionError;
    if (userQuit) {
      await sayClosed();
      return 255;
    }
    if (lost && exit.status === null) {
      if (!endedByUs()) {
        const err = await conn.closed;
        reportConnectionEnd(err, false, o.host);
        // A plain EOF from the server ends ssh's client loop like an exit, so with a pty it
        // still says the usual closing line after "closed by remote host".
        if (err === null) await sayClosed();
      }
      return 255;
    }
    await sayClosed();
    // ssh says nothing of an exit-signal at VERBOSE (LogLevel VERBOSE users would see an
    // extra line on every killed command): debug only.
    if (exit.signal) {
      log.debug(
        `Remote command killed by signal ${exit.signal.name}${
          exit.signal.coreDumped ? " (core dumped)" : ""
        }`,
      );
    }
    return exit.status ?? 255;
  } finally {
    stopResize();
    restoreTty();
  }
}
