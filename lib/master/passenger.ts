// One passenger session: a mux client's NEW_SESSION carried out on the master's connection
// with the client's own stdin/stdout/stderr (passed fds). The order follows OpenSSH's
// mux_session_confirm: channel open, then agent / pty-req / env / exec sent at once, then
// SESSION_OPENED; afterwards TTY_ALLOC_FAIL if the pty was refused, and at the end our copies
// of the fds are closed *before* EXIT_MESSAGE (else `ssh -S ctl h cmd | wc` would wait for a
// pipe the master still holds) and the control socket is closed last.

import { log } from "../log.ts";
import type { MuxReply } from "../mux/messages.ts";
import type { Channel } from "../ssh/connection/channel.ts";
import type { SshConnection } from "../ssh/connection/connection.ts";
import type { ByteEndpoint } from "../ssh/connection/bridge.ts";
import { pumpToChannel } from "../ssh/connection/bridge.ts";
import { EscapeFilter } from "../ssh/session/escape.ts";
import { sayTo } from "../ssh/session/escape_commands.ts";
import { pumpOut } from "../ssh/session/pumps.ts";
import { Session, type SessionKind, type SessionReplies } from "../ssh/session/session.ts";
import type { LocalStdio } from "../ssh/session/stdio.ts";
import type { WindowSize } from "../ssh/session/requests.ts";
import { passengerEnv } from "./env_filter.ts";
import { runMuxEscape } from "./escapes.ts";
import type { MasterPolicy } from "./policy.ts";
import type { SessionFacts } from "./control_client.ts";

export interface PassengerRequest {
  wantTty: boolean;
  wantAgent: boolean;
  subsystem: boolean;
  /** A byte value, or anything above 255 for none. */
  escapeChar: number;
  term: string;
  command: string;
  env: readonly string[];
}

export interface PassengerDeps {
  conn: SshConnection;
  policy: MasterPolicy;
  /** Queues a message to this session's control client. */
  send(msg: MuxReply): Promise<void>;
}

/** The client's stdin as the channel's source: a read error counts as end of input (ssh). */
function inputOf(stdin: ByteEndpoint): ByteEndpoint {
  return {
    read: async (buf) => {
      try {
        return await stdin.read(buf);
      } catch (e) {
        log.debug(`mux session: stdin read failed, treating as EOF: ${e}`);
        return 0;
      }
    },
    write: (d) => stdin.write(d),
  };
}

export class Passenger {
  readonly startedAt = Date.now();
  /** Set when the session was ended by `~.` or by its client going away: no EXIT_MESSAGE. */
  #abandoned = false;
  /** Set by run(); a session abandoned before it (its client gone before SESSION_OPENED). */
  #running = false;
  #lastSize: WindowSize | null;
  readonly done: Promise<void>;
  #resolveDone!: () => void;

  private constructor(
    private readonly deps: PassengerDeps,
    private readonly req: PassengerRequest,
    private readonly stdio: LocalStdio,
    readonly session: Session,
    private readonly replies: SessionReplies,
    initialSize: WindowSize | null,
  ) {
    this.#lastSize = initialSize;
    this.done = new Promise((r) => this.#resolveDone = r);
  }

  /** The session id the client sees: our channel number, like OpenSSH. */
  get sid(): number {
    return this.session.channel.localId;
  }

  get channel(): Channel {
    return this.session.channel;
  }

  /** True while the client's stdin is a terminal we asked a pty for (SIGWINCH relay). */
  get tracksWindowSize(): boolean {
    return this.req.wantTty && this.stdio.terminal.isTty();
  }

  /**
   * Opens the channel and sends the session's requests. Rejects with ChannelOpenError when the
   * server refuses the channel (the caller answers "Session open refused by peer"). The modes
   * and size are read from the passed stdin now, before the client puts its tty in raw mode.
   */
  static async open(
    deps: PassengerDeps,
    req: PassengerRequest,
    stdio: LocalStdio,
  ): Promise<Passenger> {
    const tty = req.wantTty;
    // OpenSSH's master reports a pty asked for on a stdin that is no terminal (`-tt` from a
    // pipe or /dev/null) at error level, then sends modes from an all-zero termios as we do.
    if (tty && !stdio.terminal.isTty()) {
      log.error("mux_master_process_new_session: tcgetattr: Inappropriate ioctl for device");
    }
    const size = tty ? stdio.terminal.size() : null;
    const modes = tty ? stdio.terminal.modes() : undefined;
    const session = await Session.openChannel(deps.conn, { tty });
    const kind: SessionKind = req.command === "" ? "shell" : req.subsystem ? "subsystem" : "exec";
    const { policy } = deps;
    const replies = session.sendRequests({
      kind,
      command: req.command,
      agentForwarding: req.wantAgent && policy.agentSocket !== undefined,
      env: passengerEnv(req.env, policy.sendEnv, policy.setEnv),
      pty: tty
        ? {
          term: req.term,
          cols: size?.cols ?? 0,
          rows: size?.rows ?? 0,
          widthPx: size?.widthPx ?? 0,
          heightPx: size?.heightPx ?? 0,
          modes: modes!,
        }
        : undefined,
    });
    return new Passenger(deps, req, stdio, session, replies, size);
  }

  /**
   * Runs the session once SESSION_OPENED is queued: replies, pumps, the end. Resolves after the
   * fds are closed and EXIT_MESSAGE (if any) is queued; the caller then closes the socket.
   */
  async run(): Promise<void> {
    this.#running = true;
    try {
      await this.#run();
    } finally {
      this.stdio.close?.();
      this.#resolveDone();
    }
  }

  async #run(): Promise<void> {
    const ch = this.session.channel;
    const say = sayTo(this.stdio.stderr);
    this.#watchReplies(say);
    const escapes = this.req.wantTty && this.req.escapeChar <= 0xff
      ? new EscapeFilter(String.fromCharCode(this.req.escapeChar), true)
      : undefined;
    const esc = escapes ? String.fromCharCode(this.req.escapeChar) : "";
    const writer = escapes
      ? async (data: Uint8Array) => {
        const r = escapes.process(data);
        if (r.forward.length > 0) await ch.write(r.forward);
        for (const a of r.actions) {
          if (a === "disconnect") {
            // OpenSSH queues "~." for the client's stderr, then force-closes the channel, which
            // drops it: the client sees nothing and exits 255 (observed with 9.2).
            this.abandon();
            throw new Error("escape: session terminated");
          }
          await runMuxEscape(a, { esc, conn: this.deps.conn, channel: ch, say });
        }
      }
      : undefined;
    pumpToChannel(inputOf(this.stdio.stdin), ch, undefined, writer).catch(() => {});
    const outputs = Promise.all([
      pumpOut(ch, () => ch.readBatch(), this.stdio.stdout),
      pumpOut(ch, () => ch.readExtendedBatch(), this.stdio.stderr),
    ]);
    const exit = await this.session.exit;
    await outputs;
    // Our copies of the client's fds go first: its reader of stdout must see EOF.
    this.stdio.close?.();
    if (exit.signal) {
      log.verbose(`mux session ${this.sid}: remote command killed by signal ${exit.signal.name}`);
    }
    if (exit.status !== null && !this.#abandoned) {
      await this.deps.send({ kind: "ExitMessage", sid: this.sid, exitValue: exit.status })
        .catch(() => {});
    }
  }

  /** pty-req and exec/shell/subsystem replies, as clientloop.c client_status_confirm. */
  #watchReplies(say: (text: string) => Promise<void>): void {
    const ch = this.session.channel;
    const lost = () => ch.connectionError !== null;
    const tell = (text: string) => this.deps.policy.quiet ? Promise.resolve() : say(text);
    this.replies.pty?.then(async (ok) => {
      this.session.ptyAllocated = ok;
      if (ok || lost()) return;
      await tell("PTY allocation request failed\r\n");
      const required = this.deps.policy.requestTty === "yes" ||
        this.deps.policy.requestTty === "force";
      if (required) {
        ch.close().catch(() => {});
        return;
      }
      await this.deps.send({ kind: "TtyAllocFail", sid: this.sid }).catch(() => {});
    });
    this.replies.start.then(async (ok) => {
      if (ok || lost()) return;
      // OpenSSH's master queues this text too but closes the channel in the same step, so its
      // clients never see it and exit 255 in silence (9.2, `ssh -S ctl -s host nosuch`). Ours
      // writes it first: the one line says why, as plain-mode ssh says it.
      const what = this.req.command === "" ? "shell" : this.req.subsystem ? "subsystem" : "exec";
      await tell(`${what} request failed\r\n`);
      ch.close().catch(() => {});
    });
  }

  /** What -O list shows of this session. */
  facts(): SessionFacts {
    const ch = this.session.channel;
    return {
      kind: "session",
      id: this.sid,
      command: this.req.command,
      subsystem: this.req.subsystem,
      tty: this.req.wantTty,
      startedAt: this.startedAt,
      bytesIn: ch.bytesIn,
      bytesOut: ch.bytesOut,
    };
  }

  /** RFC 4254 "signal" (no reply: sshd ≥ 7.9 delivers it to the session's process). */
  async signal(name: string): Promise<void> {
    log.verbose(`mux session ${this.sid}: sending signal ${name} to the remote process`);
    if (!await this.session.signal(name)) throw new Error(`session ${this.sid} is closed`);
  }

  /** Re-reads the client's window size; sends window-change when it differs. */
  windowChanged(): void {
    if (!this.tracksWindowSize || this.channel.writeClosed) return;
    const size = this.stdio.terminal.size();
    if (!size) return;
    const last = this.#lastSize;
    if (
      last && last.cols === size.cols && last.rows === size.rows &&
      last.widthPx === size.widthPx && last.heightPx === size.heightPx
    ) return;
    this.#lastSize = size;
    this.session.windowChange(size).catch(() => {});
  }

  /**
   * Ends the session without an exit message: the client went away (its control socket
   * closed: EOF to the server, then close, like mux_master_control_cleanup_cb) or typed `~.`.
   */
  abandon(): void {
    if (this.#abandoned) return;
    this.#abandoned = true;
    const ch = this.session.channel;
    ch.sendEof().catch(() => {});
    ch.close().catch(() => {});
    // Our copies of the client's fds go now, not when the server confirms the close: sshd
    // answers only once the remote command ends (a `sleep 600` would hold the client's stdout
    // reader that long). OpenSSH's master does the same (chan_read_failed/chan_write_failed).
    this.stdio.close?.();
    // The client left before SESSION_OPENED reached it, so run() never starts: nothing else
    // would settle `done`, and the control connection waiting on it would never close.
    if (!this.#running) this.#resolveDone();
  }
}
