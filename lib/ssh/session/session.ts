// A "session" channel (RFC 4254 §6): pty-req, env, then exec / shell / subsystem, and the
// server's exit-status / exit-signal. Requests go out pipelined like ssh sends them; the
// replies come back in order. Byte streams are the caller's business (see run_session.ts).

import { log } from "../../log.ts";
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
   * Opens the channel and starts the session. Rejects with SessionStartError if the server
   * refuses exec/shell/subsystem (the channel is closed then), ChannelOpenError if it refuses
   * the channel.
   */
  static async open(conn: SshConnection, setup: SessionSetup): Promise<Session> {
    // OpenSSH halves window and packet for tty sessions: keystroke latency over bulk.
    const shift = setup.pty ? 1 : 0;
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
    await session.start(setup);
    return session;
  }

  private async start(setup: SessionSetup): Promise<void> {
    const ch = this.channel;
    const replies: Promise<boolean>[] = [];
    // Same order as ssh: agent, pty, env, then the command.
    if (setup.agentForwarding) {
      replies.push(ch.request("auth-agent-req@openssh.com", new Uint8Array(0), false));
    }
    const ptyReply = setup.pty ? ch.request("pty-req", encodePtyReq(setup.pty), true) : undefined;
    for (const [name, value] of setup.env ?? []) {
      log.debug(`channel ${ch.localId}: setting env ${name}`);
      replies.push(ch.request("env", encodeEnv(name, value), false));
    }
    const payload = setup.kind === "shell" ? new Uint8Array(0) : encodeString(setup.command ?? "");
    const startReply = ch.request(setup.kind, payload, true);
    // All are in flight: if the connection dies, the first await throws and the others must
    // not turn into unhandled rejections.
    for (const p of [...replies, ptyReply, startReply]) p?.catch(() => {});
    await Promise.all(replies);
    if (ptyReply) {
      this.ptyAllocated = await ptyReply;
      if (!this.ptyAllocated) log.error(`PTY allocation request failed on channel ${ch.localId}`);
    }
    if (!(await startReply)) {
      const what = setup.kind === "shell" ? "shell" : setup.kind;
      await ch.close();
      throw new SessionStartError(`${what} request failed on channel ${ch.localId}`);
    }
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
