// Local listeners: -L (TCP or unix socket → direct-tcpip / direct-streamlocal@openssh.com) and
// -D (SOCKS on the listener → direct-tcpip to the requested target). One LocalForward owns its
// listeners; stop() closes them (connections already forwarded keep running, as with ssh's
// cancel), closeConnections() ends those too.

import type { ForwardSpec } from "./spec.ts";
import { log } from "../../log.ts";
import {
  type ByteEndpoint,
  type Channel,
  SSH2_OPEN_ADMINISTRATIVELY_PROHIBITED,
  SSH2_OPEN_CONNECT_FAILED,
} from "../connection/mod.ts";
import {
  type BridgeFn,
  defaultBridge,
  type ForwardConnection,
  openFailureCode,
} from "./conn_api.ts";
import { type ConnEndpoint, connEndpoint, originOf, prefixedEndpoint } from "./endpoint.ts";
import { listenForwardTcp, listenForwardUnix, unlinkIfOurs } from "./bind.ts";
import { ForwardError } from "./errors.ts";
import {
  CHAN_DIRECT_STREAMLOCAL,
  CHAN_DIRECT_TCPIP,
  encodeDirectStreamlocal,
  encodeDirectTcpip,
} from "./messages.ts";
import { type SocksFailure, socksHandshake } from "./socks_server.ts";
import { describeForward, type ForwardKind } from "./spec.ts";
import { describeOpenFailure } from "./open_failure.ts";

export interface LocalForwardDeps {
  conn: ForwardConnection;
  /** Defaults to the connection layer's bridge. */
  bridge?: BridgeFn;
  gatewayPorts: boolean;
  /** SOCKS handshake deadline for -D clients (default 30 s). */
  socksTimeoutMs?: number;
}

interface Active {
  endpoint: ConnEndpoint;
  channel?: Channel;
}

export class LocalForward {
  #listeners: Deno.Listener[] = [];
  #active = new Set<Active>();
  #stopped = false;
  #socketId?: { ino: number | null | undefined; dev?: number };
  #loops: Promise<void>[] = [];

  private constructor(
    readonly kind: "local" | "dynamic",
    readonly spec: ForwardSpec,
    private readonly deps: LocalForwardDeps,
    /** The port actually listened on (TCP), the allocated one if 0 was asked for. */
    readonly boundPort: number | undefined,
  ) {}

  /** Opens the listener(s) and starts accepting. Rejects with ForwardError("listen-failed"). */
  static async start(
    kind: "local" | "dynamic",
    spec: ForwardSpec,
    deps: LocalForwardDeps,
  ): Promise<LocalForward> {
    if (spec.listenPath !== undefined) {
      const r = await listenForwardUnix(spec.listenPath);
      if (!r.listener) {
        throw new ForwardError("listen-failed", r.errors[r.errors.length - 1], r.errors);
      }
      const fwd = new LocalForward(kind, spec, deps, undefined);
      fwd.#socketId = { ino: r.ino, dev: r.dev };
      fwd.#serve([r.listener]);
      return fwd;
    }
    const r = listenForwardTcp(spec.listenHost, spec.listenPort, deps.gatewayPorts);
    if (r.listeners.length === 0) {
      throw new ForwardError("listen-failed", r.errors[r.errors.length - 1], r.errors);
    }
    const fwd = new LocalForward(kind, spec, deps, r.port);
    fwd.#serve(r.listeners);
    return fwd;
  }

  get activeConnections(): number {
    return this.#active.size;
  }

  /** Stops listening (and removes our socket file). Established connections continue. */
  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    for (const l of this.#listeners) {
      try {
        l.close();
      } catch { /* already closed */ }
    }
    this.#listeners = [];
    if (this.spec.listenPath !== undefined && this.#socketId) {
      unlinkIfOurs(this.spec.listenPath, this.#socketId.ino, this.#socketId.dev);
    }
  }

  /** Ends every connection this forward carries. */
  closeConnections(): void {
    for (const a of this.#active) closeActive(a);
  }

  /** Resolves once the accept loops have ended (after stop()). */
  async done(): Promise<void> {
    await Promise.all(this.#loops);
  }

  #serve(listeners: Deno.Listener[]): void {
    this.#listeners = listeners;
    for (const l of listeners) this.#loops.push(this.#acceptLoop(l));
  }

  async #acceptLoop(listener: Deno.Listener): Promise<void> {
    while (!this.#stopped) {
      let conn: Deno.Conn;
      try {
        conn = await listener.accept();
      } catch (e) {
        if (this.#stopped || e instanceof Deno.errors.BadResource) return;
        // EMFILE and friends: keep the listener, but do not spin.
        log.error(`accept on ${describeForward(this.kind, this.spec)}: ${(e as Error).message}`);
        await new Promise((r) => setTimeout(r, 100));
        continue;
      }
      if (this.#stopped) {
        conn.close();
        return;
      }
      this.#handle(conn).catch((e) => log.debug(`forwarded connection ended: ${e}`));
    }
  }

  async #handle(conn: Deno.Conn): Promise<void> {
    const endpoint = connEndpoint(conn);
    const active: Active = { endpoint };
    this.#active.add(active);
    try {
      let local: ByteEndpoint = endpoint;
      if (this.kind === "dynamic") {
        const opened = await this.#socksOpen(conn, endpoint);
        if (!opened) return;
        active.channel = opened.channel;
        local = prefixedEndpoint(endpoint, opened.leftover);
      } else {
        active.channel = await this.#openDirect(conn);
        if (!active.channel) return;
      }
      if (endpoint.isClosed) return; // closeConnections() ran while the channel opened
      await (this.deps.bridge ?? defaultBridge)(active.channel, local);
    } finally {
      closeActive(active);
      this.#active.delete(active);
    }
  }

  async #openDirect(conn: Deno.Conn): Promise<Channel | undefined> {
    const spec = this.spec;
    const origin = originOf(conn);
    const [type, data] = spec.connectPath !== undefined
      ? [CHAN_DIRECT_STREAMLOCAL, encodeDirectStreamlocal(spec.connectPath)]
      : [
        CHAN_DIRECT_TCPIP,
        encodeDirectTcpip(spec.connectHost ?? "", spec.connectPort, origin.ip, origin.port),
      ];
    log.debug(`Connection to ${describeForward(this.kind, spec)} requested.`);
    try {
      return await this.deps.conn.openChannel(type, data);
    } catch (e) {
      log.info(describeOpenFailure(e));
      return undefined;
    }
  }

  async #socksOpen(
    conn: Deno.Conn,
    endpoint: ConnEndpoint,
  ): Promise<{ channel: Channel; leftover: Uint8Array } | undefined> {
    let hs;
    try {
      hs = await socksHandshake(endpoint, { timeoutMs: this.deps.socksTimeoutMs });
    } catch (e) {
      log.debug(`dynamic forward: ${(e as Error).message}`);
      return undefined;
    }
    const { host, port } = hs.request;
    const origin = originOf(conn);
    log.debug(
      `Connection to dynamic forward for ${host}:${port} requested (SOCKS${hs.request.version}).`,
    );
    let channel: Channel;
    try {
      channel = await this.deps.conn.openChannel(
        CHAN_DIRECT_TCPIP,
        encodeDirectTcpip(host, port, origin.ip, origin.port),
      );
    } catch (e) {
      log.info(describeOpenFailure(e));
      await hs.fail(socksFailureFor(openFailureCode(e))).catch(() => {});
      return undefined;
    }
    try {
      await hs.succeed();
    } catch (e) {
      // The SOCKS client went away while the channel opened: do not leak the channel.
      log.debug(`dynamic forward: client gone before the reply: ${e}`);
      closeChannel(channel);
      return undefined;
    }
    return { channel, leftover: hs.leftover };
  }
}

function socksFailureFor(code: number | undefined): SocksFailure {
  if (code === SSH2_OPEN_CONNECT_FAILED) return "refused";
  if (code === SSH2_OPEN_ADMINISTRATIVELY_PROHIBITED) return "not-allowed";
  return "general";
}

function closeChannel(ch: Channel): void {
  try {
    ch.close().catch(() => {});
  } catch { /* already closed */ }
}

function closeActive(a: Active): void {
  a.endpoint.close();
  if (a.channel) closeChannel(a.channel);
}

export type { ForwardKind };
