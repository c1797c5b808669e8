// Remote forwards (-R): ask the server to listen (tcpip-forward / streamlocal-forward@openssh.com),
// then serve the forwarded-tcpip / forwarded-streamlocal@openssh.com opens it sends back by
// connecting locally (TCP or unix) and bridging. `-R [addr:]port` with no target is a remote
// dynamic forward: the channel carries a SOCKS request and we connect where it says.
// Opens for listens we did not ask for are refused.

import type { ForwardSpec } from "./spec.ts";
import { log } from "../../log.ts";
import {
  type Channel,
  type IncomingOpen,
  SSH2_OPEN_ADMINISTRATIVELY_PROHIBITED,
  SSH2_OPEN_CONNECT_FAILED,
} from "../connection/mod.ts";
import { type BridgeFn, defaultBridge, type ForwardConnection } from "./conn_api.ts";
import { channelChunkStream, connEndpoint } from "./endpoint.ts";
import { errnoText } from "./bind.ts";
import { ForwardError } from "./errors.ts";
import {
  CHAN_FORWARDED_STREAMLOCAL,
  CHAN_FORWARDED_TCPIP,
  decodeAllocatedPort,
  decodeForwardedStreamlocal,
  decodeForwardedTcpip,
  encodeStreamlocalForward,
  encodeTcpipForward,
  REQ_CANCEL_STREAMLOCAL_FORWARD,
  REQ_CANCEL_TCPIP_FORWARD,
  REQ_STREAMLOCAL_FORWARD,
  REQ_TCPIP_FORWARD,
} from "./messages.ts";
import { socksHandshake } from "./socks_server.ts";
import { isDynamicTarget, sameForward } from "./spec.ts";

export interface RemoteForwardDeps {
  conn: ForwardConnection;
  /** Defaults to the connection layer's bridge. */
  bridge?: BridgeFn;
  /** SOCKS handshake deadline for remote dynamic forwards (default 30 s). */
  socksTimeoutMs?: number;
  /** Local connect deadline in ms (default 30 s). */
  connectTimeoutMs?: number;
  /**
   * Give up on a tcpip-forward / streamlocal-forward reply after this many ms (default: wait
   * forever, like ssh). For transports that may never deliver the reply, such as a stock
   * OpenSSH master's proxy mode, which does not route global-request replies to the proxy client.
   */
  replyTimeoutMs?: number;
}

/** The address ssh sends in tcpip-forward (channels.c channel_rfwd_bind_host). */
export function remoteBindHost(listenHost: string | undefined): string {
  if (listenHost === undefined) return "localhost";
  if (listenHost === "" || listenHost === "*") return "";
  return listenHost;
}

interface RemoteEntry {
  spec: ForwardSpec;
  /** The address sent in tcpip-forward; undefined for a path. */
  bindHost?: string;
  /** The port the server listens on (the allocated one for port 0); 0 until known. */
  port: number;
}

export class RemoteForwarder {
  #entries: RemoteEntry[] = [];
  #conns = new Set<{ close(): void }>();

  constructor(private readonly deps: RemoteForwardDeps) {
    deps.conn.onChannelOpen(CHAN_FORWARDED_TCPIP, (req) => this.#onForwardedTcpip(req));
    deps.conn.onChannelOpen(CHAN_FORWARDED_STREAMLOCAL, (req) => this.#onForwardedStreamlocal(req));
  }

  /** Asks the server to listen. Resolves the allocated port for port 0; rejects ForwardError. */
  async add(spec: ForwardSpec): Promise<{ allocatedPort?: number }> {
    const entry: RemoteEntry = { spec, port: spec.listenPort };
    let name: string, data: Uint8Array, failure: string;
    if (spec.listenPath !== undefined) {
      name = REQ_STREAMLOCAL_FORWARD;
      data = encodeStreamlocalForward(spec.listenPath);
      failure = `remote port forwarding failed for listen path ${spec.listenPath}`;
    } else {
      entry.bindHost = remoteBindHost(spec.listenHost);
      name = REQ_TCPIP_FORWARD;
      data = encodeTcpipForward(entry.bindHost, spec.listenPort);
      failure = `remote port forwarding failed for listen port ${spec.listenPort}`;
    }
    // A path or fixed-port entry is live before the reply, so an open racing the reply finds
    // it (only a port-0 entry must wait for the port the server allocates).
    const allocates = spec.listenPath === undefined && spec.listenPort === 0;
    if (!allocates) this.#entries.push(entry);
    let reply: { ok: boolean; data: Uint8Array };
    try {
      reply = await this.#withReplyTimeout(name, this.deps.conn.globalRequest(name, data, true));
    } catch (e) {
      this.#remove(entry);
      throw new ForwardError("remote-failed", failure, [(e as Error).message]);
    }
    if (!reply.ok) {
      this.#remove(entry);
      throw new ForwardError("remote-failed", failure);
    }
    if (allocates) {
      try {
        entry.port = decodeAllocatedPort(reply.data);
      } catch (e) {
        const line = `Invalid allocated port for remote forward: ${(e as Error).message}`;
        log.error(line);
        throw new ForwardError("remote-failed", failure, [line]);
      }
      this.#entries.push(entry);
      return { allocatedPort: entry.port };
    }
    return {};
  }

  async #withReplyTimeout<T>(name: string, p: Promise<T>): Promise<T> {
    const ms = this.deps.replyTimeoutMs;
    if (ms === undefined) return await p;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no reply to ${name} within ${ms} ms`)), ms);
    });
    p.catch(() => {}); // a reply (or failure) arriving after the deadline is dropped
    try {
      return await Promise.race([p, late]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Asks the server to stop listening; connections already forwarded keep running. */
  async cancel(spec: ForwardSpec): Promise<void> {
    const entry = this.#entries.find((e) => sameForward(e.spec, spec));
    if (!entry) throw new ForwardError("not-found", "port not forwarded");
    this.#remove(entry);
    const [name, data] = spec.listenPath !== undefined
      ? [REQ_CANCEL_STREAMLOCAL_FORWARD, encodeStreamlocalForward(spec.listenPath)]
      : [REQ_CANCEL_TCPIP_FORWARD, encodeTcpipForward(entry.bindHost ?? "", entry.port)];
    const reply = await this.#withReplyTimeout(name, this.deps.conn.globalRequest(name, data, true))
      .catch(() => ({ ok: false }));
    if (!reply.ok) throw new ForwardError("cancel-failed", "port not in permitted opens");
  }

  /**
   * Asks the server again for every listen (a master's ControlHeal: the old connection's
   * listeners died with it). A port the server once allocated is asked for by number, so
   * clients told that port keep using it. Resolves with one line per listen refused (the
   * entry is dropped then).
   */
  async reissue(): Promise<string[]> {
    const failed: string[] = [];
    for (const entry of [...this.#entries]) {
      const { spec } = entry;
      const [name, data, what] = spec.listenPath !== undefined
        ? [REQ_STREAMLOCAL_FORWARD, encodeStreamlocalForward(spec.listenPath), spec.listenPath]
        : [
          REQ_TCPIP_FORWARD,
          encodeTcpipForward(entry.bindHost ?? "", entry.port),
          `port ${entry.port}`,
        ];
      const reply = await this.#withReplyTimeout(
        name,
        this.deps.conn.globalRequest(name, data, true),
      )
        .catch(() => ({ ok: false }));
      if (!reply.ok) {
        this.#remove(entry);
        failed.push(`remote forward for listen ${what} not re-established`);
      }
    }
    return failed;
  }

  /** Whether a listen for exactly `spec` is held. */
  has(spec: ForwardSpec): boolean {
    return this.#entries.some((e) => sameForward(e.spec, spec));
  }

  /** Ends every connection carried by remote forwards (the listens themselves stay). */
  closeConnections(): void {
    for (const c of this.#conns) c.close();
    this.#conns.clear();
  }

  #remove(entry: RemoteEntry): void {
    const i = this.#entries.indexOf(entry);
    if (i >= 0) this.#entries.splice(i, 1);
  }

  #onForwardedTcpip(req: IncomingOpen): void {
    let msg;
    try {
      msg = decodeForwardedTcpip(req.data);
    } catch (e) {
      log.error(`client_request_forwarded_tcpip: ${(e as Error).message}`);
      req.reject(SSH2_OPEN_ADMINISTRATIVELY_PROHIBITED, "open failed");
      return;
    }
    log.debug(
      `client_request_forwarded_tcpip: listen ${msg.listenAddress} port ${msg.listenPort}, ` +
        `originator ${msg.originatorAddress} port ${msg.originatorPort}`,
    );
    const tcp = this.#entries.filter((e) => e.bindHost !== undefined && e.port === msg.listenPort);
    // Exact address match first (what OpenSSH requires); a server that reports the bound
    // address differently (127.0.0.1 for "localhost") still reaches a port we own uniquely.
    const entry = tcp.find((e) => e.bindHost === msg.listenAddress) ??
      (tcp.length === 1 ? tcp[0] : undefined);
    if (!entry) {
      log.error(`WARNING: Server requests forwarding for unknown listen_port ${msg.listenPort}`);
      req.reject(SSH2_OPEN_ADMINISTRATIVELY_PROHIBITED, "open failed");
      return;
    }
    this.#serve(req, entry.spec).catch((e) => log.debug(`forwarded-tcpip ended: ${e}`));
  }

  #onForwardedStreamlocal(req: IncomingOpen): void {
    let path: string;
    try {
      path = decodeForwardedStreamlocal(req.data).path;
    } catch (e) {
      log.error(`client_request_forwarded_streamlocal: ${(e as Error).message}`);
      req.reject(SSH2_OPEN_ADMINISTRATIVELY_PROHIBITED, "open failed");
      return;
    }
    const entry = this.#entries.find((e) => e.spec.listenPath === path);
    if (!entry) {
      log.error(`WARNING: Server requests forwarding for unknown path ${path.slice(0, 100)}`);
      req.reject(SSH2_OPEN_ADMINISTRATIVELY_PROHIBITED, "open failed");
      return;
    }
    this.#serve(req, entry.spec).catch((e) => log.debug(`forwarded-streamlocal ended: ${e}`));
  }

  async #serve(req: IncomingOpen, spec: ForwardSpec): Promise<void> {
    if (spec.listenPath === undefined && isDynamicTarget(spec)) {
      return await this.#serveDynamic(req.accept());
    }
    // Like ssh: connect locally first, and confirm the channel only once that worked.
    let conn: Deno.Conn;
    try {
      conn = await this.#connectLocal(spec.connectPath, spec.connectHost ?? "", spec.connectPort);
    } catch (e) {
      req.reject(SSH2_OPEN_CONNECT_FAILED, errnoText(e));
      return;
    }
    let channel: Channel;
    try {
      channel = req.accept();
    } catch (e) {
      conn.close();
      throw e;
    }
    await this.#bridge(channel, conn, new Uint8Array(0));
  }

  async #serveDynamic(channel: Channel): Promise<void> {
    let hs;
    try {
      hs = await socksHandshake(channelChunkStream(channel), {
        timeoutMs: this.deps.socksTimeoutMs,
      });
    } catch (e) {
      log.debug(`remote dynamic forward: ${(e as Error).message}`);
      closeChannel(channel);
      return;
    }
    let conn: Deno.Conn;
    try {
      conn = await this.#connectLocal(undefined, hs.request.host, hs.request.port);
    } catch (e) {
      const refused = e instanceof Deno.errors.ConnectionRefused;
      await hs.fail(refused ? "refused" : "unreachable").catch(() => {});
      closeChannel(channel);
      return;
    }
    try {
      await hs.succeed();
    } catch (e) {
      conn.close();
      closeChannel(channel);
      throw e;
    }
    await this.#bridge(channel, conn, hs.leftover);
  }

  async #bridge(channel: Channel, conn: Deno.Conn, leftover: Uint8Array): Promise<void> {
    const endpoint = connEndpoint(conn);
    const handle = {
      close: () => {
        endpoint.close();
        closeChannel(channel);
      },
    };
    this.#conns.add(handle);
    try {
      if (leftover.length > 0) await endpoint.write(leftover);
      await (this.deps.bridge ?? defaultBridge)(channel, endpoint);
    } finally {
      handle.close();
      this.#conns.delete(handle);
    }
  }

  async #connectLocal(path: string | undefined, host: string, port: number): Promise<Deno.Conn> {
    const timeoutMs = this.deps.connectTimeoutMs ?? 30_000;
    const what = path ?? `${host} port ${port}`;
    const attempt = path !== undefined
      ? Deno.connect({ transport: "unix", path })
      : Deno.connect({ hostname: host, port, transport: "tcp" });
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Deno.errors.TimedOut("Connection timed out")), timeoutMs);
    });
    try {
      return await Promise.race([attempt, timeout]);
    } catch (e) {
      // A connect that completes after the deadline must not leak its socket.
      attempt.then((c) => c.close(), () => {});
      log.debug(`connect_to ${what}: ${errnoText(e)}`);
      log.error(`connect_to ${what}: failed.`);
      throw e;
    } finally {
      clearTimeout(timer);
    }
  }
}

function closeChannel(ch: Channel): void {
  try {
    const r = ch.close();
    if (r instanceof Promise) r.catch(() => {});
  } catch { /* already closed */ }
}
