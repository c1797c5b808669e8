// A mux master as an object: one SSH connection, its forwards, a listening ControlPath and the
// control connections it serves. Nothing here is process-wide (no exit, no process signals
// other than the SIGWINCH relay its tty sessions need), so a process could hold several.

import {
  getuid,
  peerPid,
  peerUid,
  type RawFd,
  SysError,
  type UnixListener,
  UnixSocket,
} from "../../ffi/mod.ts";
import { log } from "../log.ts";
import type { SshConnection } from "../ssh/connection/connection.ts";
import type { ForwardManager } from "../ssh/forward/manager.ts";
import { askPermission } from "./confirm.ts";
import type { MasterContext } from "./context.ts";
import type { ChannelKind, ConnectionPool, ConnectionSummary } from "./connection_pool.ts";
import { listenControl, removeControl } from "./control_socket.ts";
import { ControlClient, type ControlPeer } from "./control_client.ts";
import type { ControlStream } from "./control_stream.ts";
import { StdioControlStream } from "./stdio_stream.ts";
import { errorMessage } from "./errors.ts";
import { channelsText, type ConnectionFacts, connectionInfoText } from "./info_text.ts";
import type { Passenger } from "./passenger.ts";
import type { MasterPolicy } from "./policy.ts";
import { router } from "./router.ts";
import { TtySessions } from "./tty_sessions.ts";

/** How long accept() rests after running out of fds or memory. */
const ACCEPT_RETRY_MS = 1000;

/** accept() failures that pass once clients leave: out of fds (ours or the system's), memory. */
function isResourceShortage(e: unknown): boolean {
  return e instanceof SysError && ["EMFILE", "ENFILE", "ENOBUFS", "ENOMEM"].includes(e.code);
}

export interface MuxMasterOptions {
  /** The primary connection and any extra ones (MaxSessions, reconnects). */
  pool: ConnectionPool;
  forwards: ForwardManager;
  policy: MasterPolicy;
  /** What -O conninfo reports about the transport (algorithms, addresses). */
  facts: () => ConnectionFacts;
  /** Called for MUX_C_TERMINATE. */
  onTerminate: () => void;
  pid?: number;
}

export class MuxMaster implements MasterContext {
  readonly forwards: ForwardManager;
  readonly policy: MasterPolicy;
  readonly pid: number;
  readonly startedAt = Date.now();
  #listener: UnixListener | null = null;
  #path: string | undefined;
  #clients = new Set<ControlClient>();
  #nextId = 1;
  #ttys = new TtySessions();
  #stopped = false;
  #closed = false;
  readonly #dispatch;

  constructor(private readonly o: MuxMasterOptions) {
    this.forwards = o.forwards;
    this.policy = o.policy;
    this.pid = o.pid ?? Deno.pid;
    this.#dispatch = router(this);
  }

  /** The primary connection; a new one after a reconnect (ControlHeal). */
  get conn(): SshConnection {
    return this.o.pool.primary;
  }

  /** Listens at `path` and starts accepting. False if the path exists (no multiplexing). */
  listen(path: string): boolean {
    const l = listenControl(path);
    if (!l) return false;
    this.#listener = l;
    this.#path = path;
    log.verbose(`mux master listening on ${path}`);
    this.#acceptLoop(l);
    return true;
  }

  /**
   * `-S -`: serves the one control connection on our stdin/stdout (no socket in the file
   * system). Resolves when the program at the other end closes it.
   */
  serveStdio(): Promise<void> {
    log.verbose("mux master serving its stdin/stdout");
    return this.serve(new StdioControlStream(), { passesFds: false });
  }

  /** Whether the ControlPath is still served (not after -O stop or close). */
  get listening(): boolean {
    return this.#listener !== null;
  }

  /** True once -O stop was handled. */
  get stopped(): boolean {
    return this.#stopped;
  }

  /** Connected control clients. */
  get clientCount(): number {
    return this.#clients.size;
  }

  /** OpenSSH's idle rule (channel_still_open): no mux client connected and no open channel. */
  get idle(): boolean {
    return this.#clients.size === 0 && this.conn.channelCount() === 0;
  }

  async #acceptLoop(l: UnixListener): Promise<void> {
    const myUid = getuid();
    for (;;) {
      let fd: RawFd;
      try {
        fd = await l.accept();
      } catch (e) {
        if (this.#listener !== l) return;
        if (!isResourceShortage(e)) {
          log.error(`mux master: accept failed: ${errorMessage(e)}`);
          return;
        }
        // Out of fds (say, hundreds of clients that never speak): the listener stays readable,
        // so retrying at once would spin, and giving up would leave every later client hanging
        // on a socket nobody accepts. Wait for clients to leave, as mux.c does.
        log.error(
          `mux master: accept failed: ${errorMessage(e)}; retrying in ${ACCEPT_RETRY_MS} ms`,
        );
        await new Promise((r) => setTimeout(r, ACCEPT_RETRY_MS));
        if (this.#listener !== l) return;
        continue;
      }
      this.#takeIn(fd, myUid);
    }
  }

  /**
   * Serves one control connection (accepted, or stdin/stdout for `-S -`); resolves when it
   * ends.
   */
  serve(stream: ControlStream, peer: ControlPeer): Promise<void> {
    const client = new ControlClient(this.#nextId++, stream, peer);
    this.#clients.add(client);
    log.debug(`mux client ${client.id} connected${peer.pid ? ` (pid ${peer.pid})` : ""}`);
    return client.serve(this.#dispatch).finally(() => {
      this.#clients.delete(client);
      log.debug(`mux client ${client.id} gone`);
    });
  }

  /** An accepted connection: served if its peer may use us (true), else closed. */
  #takeIn(fd: RawFd, myUid: number): boolean {
    if (!this.#admit(fd, myUid)) return false;
    this.serve(new UnixSocket(fd), { passesFds: true, pid: peerPid(fd) });
    return true;
  }

  /** Peer uid must be ours or root (channels.c channel_post_mux_listener). */
  #admit(fd: RawFd, myUid: number): boolean {
    try {
      const uid = peerUid(fd);
      if (uid === 0 || uid === myUid) return true;
      log.error(`multiplex uid mismatch: peer euid ${uid} != uid ${myUid}`);
    } catch (e) {
      log.error(`mux master: getpeereid failed: ${errorMessage(e)}`);
    }
    fd.close();
    return false;
  }

  // ------------------------------------------------------------ MasterContext

  terminate(): void {
    this.o.onTerminate();
  }

  clients(): Iterable<ControlClient> {
    return this.#clients;
  }

  stopListening(): void {
    this.retire();
  }

  /**
   * Stops taking clients without dropping one that already connected: the path goes first
   * (a later arrival finds no master and, with ControlMaster auto, starts its own), then what
   * is still queued on the listener is accepted and served, then the listener closes. Used
   * for -O stop and when the master ends by itself (ControlPersist, its own session's end),
   * so a client arriving at that moment is served rather than cut off after connecting.
   * Returns how many queued clients were taken in; the master is `stopped` afterwards.
   */
  retire(): number {
    this.#stopped = true;
    const l = this.#listener;
    if (!l) return 0;
    // Unlinked now, and never again by us: a new master may own the path a moment later.
    if (this.#path) removeControl(this.#path);
    this.#path = undefined;
    const myUid = getuid();
    let taken = 0;
    try {
      for (let fd = l.tryAccept(); fd; fd = l.tryAccept()) {
        if (this.#takeIn(fd, myUid)) taken++;
      }
    } catch (e) {
      // Out of fds: those still queued are refused (their connect sees the listener close),
      // which must not keep the master from stopping.
      log.error(`mux master: accept failed while stopping: ${errorMessage(e)}`);
    }
    this.#listener = null;
    l.close();
    if (taken > 0) log.debug(`mux master retiring: ${taken} queued client(s) still served`);
    return taken;
  }

  trackTty(p: Passenger): () => void {
    return this.#ttys.track(p);
  }

  connectionInfo(): string {
    return connectionInfoText(this.o.facts());
  }

  channelsInfo(): string {
    return channelsText(this.conn.listChannels());
  }

  async roundTrip(ms: number): Promise<{ ok: boolean; text: string }> {
    const started = performance.now();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<"late">((r) => timer = setTimeout(() => r("late"), ms));
    const reply = this.conn.globalRequest("keepalive@openssh.com", new Uint8Array(0), true)
      .then(() => "answered" as const, (e) => e as Error);
    try {
      const r = await Promise.race([reply, late]);
      if (r === "answered") {
        return { ok: true, text: `${Math.round(performance.now() - started)} ms` };
      }
      if (r === "late") return { ok: false, text: `no answer within ${ms / 1000} s` };
      return { ok: false, text: `connection lost: ${r.message}` };
    } finally {
      clearTimeout(timer);
    }
  }

  withSessionConnection<T>(
    open: (conn: SshConnection) => Promise<T>,
    kind?: ChannelKind,
  ): Promise<T> {
    return this.o.pool.open(open, kind);
  }

  connections(): ConnectionSummary[] {
    return this.o.pool.connections();
  }

  confirm(prompt: string): Promise<boolean> {
    const mode = this.policy.controlMaster;
    if (mode !== "ask" && mode !== "autoask") return Promise.resolve(true);
    return askPermission(prompt);
  }

  // ------------------------------------------------------------ shutdown

  #closeListener(): void {
    const l = this.#listener;
    if (!l) return;
    this.#listener = null;
    l.close();
    if (this.#path) removeControl(this.#path);
  }

  /**
   * Stops listening, removes the socket, and ends every control connection: sessions still
   * running lose their client (no exit message: stock clients exit 255), our fd copies close.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#closeListener();
    this.#ttys.close();
    const clients = [...this.#clients];
    for (const c of clients) {
      c.session?.abandon();
      c.close();
    }
    await Promise.allSettled(clients.map((c) => c.closedPromise));
  }
}
