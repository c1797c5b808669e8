// A "session" channel (RFC 4254 §6): pty-req, env, then exec / shell / subsystem, and the
// server's exit-status / exit-signal. Requests go out pipelined like ssh sends them; the
// replies come back in order. Byte streams are the caller's business (see run_session.ts).

import { log } from "../../log.ts";
import { AUTH_AGENT_REQUEST } from "./agent_forward.ts";
import type { Channel } from "../connection/channel.ts";
import type { SshConnection } from "../connection/connection.ts";
import { DEFAULT_MAX_PACKET, DEFAULT_WINDOW } from "../connection/channel.ts";
import {
  decodeExitSignal,
  decodeExitStatus,
  encodeEnv,
  encodePtyReq,
  encodeString,
  encodeWindowChange,
  type ExitSignal,
  type PtyRequest,
  type WindowSize,
} from "./requests.ts";

export type SessionKind = "shell" | "exec" | "subsystem";

export interface SessionSetup {
  kind: SessionKind;
  /** exec: the command line; subsystem: its name. */
  command?: string;
  pty?: PtyRequest;
  env?: Array<[string, string]>;
  /** Ask for agent forwarding (auth-agent-req@openssh.com) before the command starts. */
  agentForwarding?: boolean;
}

export interface SessionExit {
  /** exit-status, or null when none came (killed by a signal, or the channel just closed). */
  status: number | null;
  signal?: ExitSignal;
}

/** Replies to the requests sendRequests() sent: true = SUCCESS. */
export interface SessionReplies {
  /** pty-req's reply, when one was asked for. */
  pty?: Promise<boolean>;
  /** The exec / shell / subsystem reply. */
  start: Promise<boolean>;
}

export class SessionStartError extends Error {
  override name = "SessionStartError";
}

export class Session {
  /** Set if the server refused pty-req (ssh goes on without a tty). */
  ptyAllocated = false;
  /** Resolves once the channel is closed on both sides. */
  readonly exit: Promise<SessionExit>;
  private status: number | null = null;
  private signalInfo: ExitSignal | undefined;

  private constructor(readonly channel: Channel) {
    this.exit = channel.closed.then(() => ({ status: this.status, signal: this.signalInfo }));
  }

  /**
   * Opens the channel and starts the session, waiting for every reply (plain mode). Rejects
   * with SessionStartError if the server refuses exec/shell/subsystem (the channel is closed
   * then), ChannelOpenError if it refuses the channel.
   */
  static async open(conn: SshConnection, setup: SessionSetup): Promise<Session> {
    const session = await Session.openChannel(conn, { tty: setup.pty !== undefined });
    const replies = session.sendRequests(setup);
    const lost = () => session.channel.connectionError;
    if (replies.pty) {
      session.ptyAllocated = await replies.pty;
      if (!session.ptyAllocated && !lost()) {
        log.error(`PTY allocation request failed on channel ${session.channel.localId}`);
      }
    }
    if (!(await replies.start)) {
      const err = lost();
      if (err) throw err;
      const what = setup.kind === "shell" ? "shell" : setup.kind;
      await session.channel.close();
      throw new SessionStartError(`${what} request failed on channel ${session.channel.localId}`);
    }
    return session;
  }

  /**
   * Only opens the session channel (resolves on the server's confirmation); the caller then
   * sends the requests with sendRequests(). The mux master answers SESSION_OPENED between the
   * two steps' replies, like OpenSSH. Rejects with ChannelOpenError if the server refuses.
   */
  static async openChannel(conn: SshConnection, o: { tty: boolean }): Promise<Session> {
    // OpenSSH halves window and packet for tty sessions: keystroke latency over bulk.
    const shift = o.tty ? 1 : 0;
    const ref: { session?: Session } = {};
    const early: Array<[string, Uint8Array]> = [];
    const channel = await conn.openChannel("session", new Uint8Array(0), {
      window: DEFAULT_WINDOW >> shift,
      maxPacket: DEFAULT_MAX_PACKET >> shift,
      onRequest: (name, data) => {
        if (ref.session) return ref.session.handleRequest(name, data);
        early.push([name, data]); // cannot happen before open resolves, but never lose one
        return false;
      },
    });
    const session = ref.session = new Session(channel);
    for (const [n, d] of early) session.handleRequest(n, d);
    return session;
  }

  /**
   * Sends agent, pty-req, env and the command request in ssh's order without waiting; returns
   * the replies that matter (pty-req and the command). A lost connection settles them false.
   */
  sendRequests(setup: SessionSetup): SessionReplies {
    const ch = this.channel;
    const settle = (p: Promise<boolean>) => p.catch(() => false);
    if (setup.agentForwarding) {
      settle(ch.request(AUTH_AGENT_REQUEST, new Uint8Array(0), false));
    }
    const pty = setup.pty
      ? settle(ch.request("pty-req", encodePtyReq(setup.pty), true))
      : undefined;
    for (const [name, value] of setup.env ?? []) {
      log.debug(`channel ${ch.localId}: setting env ${name}`);
      settle(ch.request("env", encodeEnv(name, value), false));
    }
    const payload = setup.kind === "shell" ? new Uint8Array(0) : encodeString(setup.command ?? "");
    const start = settle(ch.request(setup.kind, payload, true));
    return { pty, start };
  }

  /** Tells the server the terminal size changed (no reply, like ssh). */
  windowChange(w: WindowSize): Promise<boolean> {
    return this.channel.request("window-change", encodeWindowChange(w), false);
  }

  /** Delivers a signal to the remote process ("TERM", "INT", ...; sshd ≥ 7.9 honours it). */
  signal(name: string): Promise<boolean> {
    return this.channel.request("signal", encodeString(name), false);
  }

  private handleRequest(name: string, data: Uint8Array): boolean {
    log.debug(`client_input_channel_req: channel ${this.channel.localId} rtype ${name}`);
    try {
      if (name === "exit-status") {
        this.status = decodeExitStatus(data);
        return true;
      }
      if (name === "exit-signal") {
        this.signalInfo = decodeExitSignal(data);
        return true;
      }
    } catch (e) {
      log.debug(`channel ${this.channel.localId}: bad ${name}: ${e}`);
    }
    return false;
  }
}
