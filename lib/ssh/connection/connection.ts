// The SSH connection protocol (RFC 4254) over any PacketTransport: one receive loop that
// decodes messages and routes them to channels, global-request replies and open handlers.
// A protocol violation by the peer ends the whole connection (as OpenSSH's packet_disconnect
// does); `closed` then resolves with the error.

import { ProtocolError } from "../../errors.ts";
import { log } from "../../log.ts";
import { u32At } from "../../wire/reader.ts";
import type { PacketTransport } from "../packet_transport.ts";
import {
  Channel,
  type ChannelInfo,
  type ChannelLink,
  DEFAULT_MAX_PACKET,
  DEFAULT_WINDOW,
  type RequestHandler,
} from "./channel.ts";
import { ChannelTable } from "./channel_table.ts";
import { ChannelOpenError, ConnectionLostError } from "./errors.ts";
import {
  type ConnectionMessage,
  decodeConnectionMessage,
  encodeChannelOpen,
  encodeGlobalRequest,
  encodeOpenConfirmation,
  encodeOpenFailure,
  encodeRequestReply,
  isConnectionMessage,
  SSH2_OPEN_RESOURCE_SHORTAGE,
  SSH2_OPEN_UNKNOWN_CHANNEL_TYPE,
} from "./messages.ts";

export interface ChannelOptions {
  /** Our receive window (default 2 MiB). */
  window?: number;
  /** Largest data packet we accept (default 32 KiB). */
  maxPacket?: number;
  /** Installed before any request can arrive, so none is missed (exit-status ...). */
  onRequest?: RequestHandler;
}

export interface IncomingOpen {
  type: string;
  data: Uint8Array;
  /** Confirms the open; the channel is usable at once. */
  accept(opts?: ChannelOptions): Channel;
  reject(code: number, description: string): void;
}

/** Answers a server-initiated open by calling accept or reject, now or later (may be async). */
export type OpenHandler = (req: IncomingOpen) => unknown;

export interface GlobalReply {
  ok: boolean;
  data: Uint8Array;
}

/** A global-request handler's answer: ok, or ok with reply data (e.g. an allocated port). */
export type GlobalRequestResult = boolean | void | { ok: boolean; data?: Uint8Array };
export type GlobalRequestHandler = (
  data: Uint8Array,
  wantReply: boolean,
) => GlobalRequestResult | Promise<GlobalRequestResult>;

interface PendingOpen {
  kind: "pending";
  type: string;
  opts: ChannelOptions;
  resolve(c: Channel): void;
  reject(e: Error): void;
}
/**
 * A channel id whose messages are passed on raw, not handled here: a mux master's proxy-mode
 * client owns the channel and the relay renumbers its messages (lib/master/proxy_relay.ts).
 */
class RelaySlot {
  constructor(readonly sink: RelaySink) {}
}

/** Receives the peer's messages for a relayed channel, whole (type byte first). */
export type RelaySink = (payload: Uint8Array) => void;

/**
 * Offered every channel the peer opens before the type handlers: returns true if it took the
 * open (and will answer it itself, e.g. by relaying it to a proxy client).
 */
export type OpenRouter = (type: string, data: Uint8Array, payload: Uint8Array) => boolean;

type Slot = PendingOpen | Channel | RelaySlot;

/** CHANNEL_DATA's number (RFC 4254), for the receive fast path. */
const SSH_MSG_CHANNEL_DATA = 94;

/** Channel messages whose first field is the recipient (our) channel id. */
const FIRST_CHANNEL_MSG = 91;
const LAST_CHANNEL_MSG = 100;

const EMPTY: Uint8Array = new Uint8Array(0);

export class SshConnection {
  /** Resolves when the connection ends: null for a clean close, else the error. */
  readonly closed: Promise<Error | null>;
  /** Date.now() of the last message from the peer (ServerAlive uses it). */
  lastReceived = Date.now();

  private readonly table = new ChannelTable<Slot>();
  private readonly openHandlers = new Map<string, OpenHandler>();
  private readonly openRouters = new Set<OpenRouter>();
  private readonly globalHandlers = new Map<string, GlobalRequestHandler>();
  private readonly globalWaiters: Array<{ resolve(r: GlobalReply): void; reject(e: Error): void }> =
    [];
  /** Replies to the peer's global requests go out in request order, even from async handlers. */
  private globalReplyChain: Promise<void> = Promise.resolve();
  private ended: Error | null = null;
  private resolveClosed!: (e: Error | null) => void;
  private readonly link: ChannelLink;

  constructor(private readonly transport: PacketTransport) {
    this.closed = new Promise((r) => this.resolveClosed = r);
    this.link = {
      send: (p) => this.send(p),
      release: (c) => this.table.release(c.localId),
      fail: (e) => this.finish(e),
    };
    // Like ssh: the server's keepalives get a failure reply; host-key rotation hints are
    // accepted silently (we do not update known_hosts from them).
    this.onGlobalRequest("keepalive@openssh.com", () => false);
    this.onGlobalRequest("hostkeys-00@openssh.com", () => false);
    this.receiveLoop();
  }

  // ---------------------------------------------------------------- public API

  openChannel(type: string, typeData: Uint8Array, opts: ChannelOptions = {}): Promise<Channel> {
    if (this.ended) return Promise.reject(this.lostError());
    return new Promise((resolve, reject) => {
      const pending: PendingOpen = { kind: "pending", type, opts, resolve, reject };
      const id = this.table.allocate(pending);
      if (id === undefined) {
        reject(new ChannelOpenError(SSH2_OPEN_RESOURCE_SHORTAGE, "too many channels"));
        return;
      }
      const window = opts.window ?? DEFAULT_WINDOW;
      const maxPacket = opts.maxPacket ?? DEFAULT_MAX_PACKET;
      this.send(encodeChannelOpen(type, id, window, maxPacket, typeData)).catch((e) => {
        if (this.table.get(id) === pending) this.table.release(id);
        reject(e);
      });
    });
  }

  /**
   * Installs the handler for server-opened channels of `type`. A second registration throws:
   * two owners (forwards, agent forwarding, a mux master's relays) must never silently take
   * each other's channels.
   */
  onChannelOpen(type: string, handler: OpenHandler): void {
    if (this.openHandlers.has(type)) {
      throw new Error(`a handler for "${type}" channels is already installed`);
    }
    this.openHandlers.set(type, handler);
  }

  globalRequest(name: string, data: Uint8Array, wantReply: boolean): Promise<GlobalReply> {
    if (this.ended) return Promise.reject(this.lostError());
    const reply = wantReply
      ? new Promise<GlobalReply>((resolve, reject) => this.globalWaiters.push({ resolve, reject }))
      : Promise.resolve({ ok: true, data: EMPTY });
    return this.send(encodeGlobalRequest(name, wantReply, data)).then(() => reply);
  }

  onGlobalRequest(name: string, handler: GlobalRequestHandler): void {
    this.globalHandlers.set(name, handler);
  }

  close(reason?: string): void {
    this.finish(null, reason);
  }

  /**
   * Reserves a local channel id whose incoming messages go to `sink` raw (recipient still our
   * id). undefined when the table is full. The owner releases it after both CLOSEs.
   */
  allocateRelay(sink: RelaySink): number | undefined {
    if (this.ended) return undefined;
    return this.table.allocate(new RelaySlot(sink));
  }

  releaseRelay(id: number): void {
    if (this.table.get(id) instanceof RelaySlot) this.table.release(id);
  }

  /** Sends a connection-protocol message as it is (a relay's renumbered message). */
  sendRaw(payload: Uint8Array): Promise<void> {
    return this.send(payload);
  }

  /** Adds a router for peer-opened channels; returns the function that removes it. */
  routeChannelOpens(router: OpenRouter): () => void {
    this.openRouters.add(router);
    return () => this.openRouters.delete(router);
  }

  /** Channel ids in use: our channels, relayed ones (proxy clients) and pending opens. */
  channelIdsInUse(): number {
    return this.table.size;
  }

  channelCount(): number {
    let n = 0;
    for (const [, s] of this.table.entries()) if (s instanceof Channel) n++;
    return n;
  }

  /** Starts a key exchange now (ssh's `~R`) when the transport can; otherwise nothing. */
  requestRekey(): void {
    this.transport.rekey?.();
  }

  listChannels(): ChannelInfo[] {
    const out: ChannelInfo[] = [];
    for (const [, s] of this.table.entries()) if (s instanceof Channel) out.push(s.info());
    return out;
  }

  // ---------------------------------------------------------------- internals

  private send(payload: Uint8Array): Promise<void> {
    if (this.ended) return Promise.reject(this.lostError());
    return this.transport.send(payload);
  }

  private lostError(): ConnectionLostError {
    const e = this.ended;
    return e instanceof ConnectionLostError
      ? e
      : new ConnectionLostError(e?.message ?? "connection closed", e);
  }

  private async receiveLoop(): Promise<void> {
    try {
      while (!this.ended) {
        let payload: Uint8Array | null | undefined = await this.transport.receive();
        if (payload === null) break;
        this.lastReceived = Date.now();
        // Then whatever else has arrived, without a promise per message.
        while (payload && !this.ended) {
          this.handleMessage(payload);
          payload = this.transport.receiveQueued?.();
        }
      }
      this.finish(null, "connection closed by peer");
    } catch (e) {
      this.finish(e instanceof Error ? e : new Error(String(e)));
    }
  }

  private handleMessage(payload: Uint8Array): void {
    if (payload.length === 0) throw new ProtocolError("empty message");
    if (!isConnectionMessage(payload[0])) {
      // Transport-layer messages are the transport's business; anything else is unknown.
      log.debug3(`connection: ignoring message type ${payload[0]}`);
      return;
    }
    if (this.relayed(payload)) return;
    // Bulk data, well-formed (exactly `u32 recipient | string data`), skips the generic
    // decoder's reader and message object; anything else is decoded (and rejected) there.
    if (payload[0] === SSH_MSG_CHANNEL_DATA && payload.length >= 9) {
      const len = u32At(payload, 5);
      if (len === payload.length - 9) {
        this.channel(u32At(payload, 1), "data").handleData(payload.subarray(9));
        return;
      }
    }
    this.dispatch(decodeConnectionMessage(payload), payload);
  }

  /** Passes a message for a relayed channel to its sink; false if it is not one. */
  private relayed(payload: Uint8Array): boolean {
    const type = payload[0];
    if (type < FIRST_CHANNEL_MSG || type > LAST_CHANNEL_MSG || payload.length < 5) return false;
    const id = u32At(payload, 1);
    const slot = this.table.get(id);
    if (!(slot instanceof RelaySlot)) return false;
    slot.sink(payload);
    return true;
  }

  /** Ends the connection once: every channel and waiter learns why. */
  private finish(err: Error | null, reason = "connection closed"): void {
    if (this.ended) return;
    if (err) log.debug(`connection: ${err.name}: ${err.message}`);
    this.ended = err ?? new ConnectionLostError(reason);
    const lost = this.lostError();
    for (const [id, s] of [...this.table.entries()]) {
      if (s instanceof Channel) s.connectionLost(lost);
      else if (!(s instanceof RelaySlot)) s.reject(lost);
      this.table.release(id);
    }
    for (const w of this.globalWaiters.splice(0)) w.reject(lost);
    try {
      this.transport.close();
    } catch { /* already closed */ }
    this.resolveClosed(err);
  }

  private channel(id: number, what: string): Channel {
    const s = this.table.get(id);
    if (s instanceof Channel) return s;
    throw new ProtocolError(`${what} for ${s ? "unconfirmed" : "unknown"} channel ${id}`);
  }

  private dispatch(m: ConnectionMessage, payload: Uint8Array): void {
    switch (m.kind) {
      case "data":
        return this.channel(m.recipient, "data").handleData(m.data);
      case "extended-data":
        return this.channel(m.recipient, "extended data").handleExtendedData(m.code, m.data);
      case "window-adjust":
        return this.channel(m.recipient, "window adjust").handleWindowAdjust(m.bytes);
      case "eof":
        return this.channel(m.recipient, "EOF").handleEof();
      case "close":
        return this.channel(m.recipient, "CLOSE").handleClose();
      case "channel-request":
        return this.channel(m.recipient, "request").handleRequest(m.name, m.wantReply, m.data);
      case "channel-success":
      case "channel-failure":
        return this.channel(m.recipient, "request reply").handleRequestReply(
          m.kind === "channel-success",
        );
      case "open-confirmation":
      case "open-failure":
        return this.openReply(m);
      case "channel-open":
        for (const route of this.openRouters) if (route(m.type, m.data, payload)) return;
        return this.incomingOpen(m);
      case "global-request":
        return this.incomingGlobalRequest(m.name, m.wantReply, m.data);
      case "request-success":
      case "request-failure": {
        const w = this.globalWaiters.shift();
        if (!w) throw new ProtocolError("global request reply without a request");
        return w.resolve({
          ok: m.kind === "request-success",
          data: m.kind === "request-success" ? m.data : EMPTY,
        });
      }
    }
  }

  private openReply(
    m: Extract<ConnectionMessage, { kind: "open-confirmation" | "open-failure" }>,
  ): void {
    const s = this.table.get(m.recipient);
    if (!s || s instanceof Channel || s instanceof RelaySlot) {
      throw new ProtocolError(`open reply for channel ${m.recipient} that is not opening`);
    }
    if (m.kind === "open-failure") {
      this.table.release(m.recipient);
      s.reject(new ChannelOpenError(m.reasonCode, m.description, m.recipient));
      return;
    }
    const ch = new Channel(this.link, {
      localId: m.recipient,
      remoteId: m.sender,
      type: s.type,
      localWindow: s.opts.window ?? DEFAULT_WINDOW,
      localMaxPacket: s.opts.maxPacket ?? DEFAULT_MAX_PACKET,
      remoteWindow: m.window,
      remoteMaxPacket: m.maxPacket,
      onRequest: s.opts.onRequest,
    });
    this.table.replace(m.recipient, ch);
    s.resolve(ch);
  }

  private incomingOpen(m: Extract<ConnectionMessage, { kind: "channel-open" }>): void {
    let answered = false;
    const req: IncomingOpen = {
      type: m.type,
      data: m.data,
      accept: (opts: ChannelOptions = {}) => {
        if (answered) throw new Error("channel open already answered");
        if (this.ended) throw this.lostError();
        answered = true;
        const window = opts.window ?? DEFAULT_WINDOW;
        const maxPacket = opts.maxPacket ?? DEFAULT_MAX_PACKET;
        // Allocate with a placeholder first: the Channel needs its own id.
        const id = this.table.allocate(undefined as unknown as Slot);
        if (id === undefined) {
          this.send(encodeOpenFailure(m.sender, SSH2_OPEN_RESOURCE_SHORTAGE, "too many channels"))
            .catch(() => {});
          throw new ChannelOpenError(SSH2_OPEN_RESOURCE_SHORTAGE, "too many channels");
        }
        const ch = new Channel(this.link, {
          localId: id,
          remoteId: m.sender,
          type: m.type,
          localWindow: window,
          localMaxPacket: maxPacket,
          remoteWindow: m.window,
          remoteMaxPacket: m.maxPacket,
          onRequest: opts.onRequest,
        });
        this.table.replace(id, ch);
        this.send(encodeOpenConfirmation(m.sender, id, window, maxPacket)).catch(() => {});
        return ch;
      },
      reject: (code: number, description: string) => {
        if (answered) return;
        answered = true;
        this.send(encodeOpenFailure(m.sender, code, description)).catch(() => {});
      },
    };
    const handler = this.openHandlers.get(m.type);
    if (!handler) {
      log.debug(`connection: refusing unexpected channel open of type ${m.type}`);
      req.reject(SSH2_OPEN_UNKNOWN_CHANNEL_TYPE, "unknown channel type");
      return;
    }
    // A failing handler (sync or async) must neither crash us nor leave the peer waiting.
    const failed = (e: unknown) => {
      log.debug(`connection: open handler for ${m.type} failed: ${e}`);
      req.reject(SSH2_OPEN_RESOURCE_SHORTAGE, "open failed");
    };
    try {
      const r = handler(req);
      if (r instanceof Promise) r.catch(failed);
    } catch (e) {
      failed(e);
    }
  }

  private incomingGlobalRequest(name: string, wantReply: boolean, data: Uint8Array): void {
    const handler = this.globalHandlers.get(name);
    // Started at once (handlers see requests in order); a throwing handler means failure.
    let answer: Promise<GlobalRequestResult>;
    try {
      answer = Promise.resolve(handler?.(data, wantReply));
    } catch (e) {
      answer = Promise.reject(e);
    }
    this.globalReplyChain = this.globalReplyChain.then(async () => {
      let ok = false;
      let reply: Uint8Array = EMPTY;
      try {
        const r = await answer;
        if (typeof r === "object" && r !== null) {
          ok = r.ok;
          reply = r.data ?? EMPTY;
        } else ok = r === true;
      } catch (e) {
        log.debug(`connection: global request ${name} handler failed: ${e}`);
      }
      if (wantReply && !this.ended) {
        await this.send(encodeRequestReply(ok, reply)).catch(() => {});
      }
    });
  }
}
