// The SSH connections one master holds. The primary one carries everything OpenSSH's master
// carries (forwards, proxy clients, the master's own session); session and -W channels may also
// go to extra connections, opened when the server refuses a channel because its MaxSessions is
// reached. OpenSSH's sshd answers that with SSH_MSG_CHANNEL_OPEN_FAILURE "open failed", reason
// 2 (connect failed; measured with 9.2), other servers with 1 (administratively prohibited) or
// 4 (resource shortage). Every connection is dialed by the same function the primary was (same
// auth, same host key checks).
//
// Placement: a channel goes to the first live connection with room. A connection's room is
// learned from its refusals: the number of channels it carried when it refused one is its limit
// (sshd's MaxSessions, give or take forwarded channels, which it does not count); until then it
// has room. New connections are assumed to have the limit last learned, so a burst of sessions
// past the limit dials the connections it needs in parallel, not one at a time. A refusal on a
// connection that carries no channel at all is policy, not a limit (MaxSessions 0): it is passed
// on as it is. A -W (direct-tcpip) channel is no session to sshd: it goes to the primary and
// moves on only when refused for resource shortage (reason 2 there means the target refused).
// Extra connections with no channel for EXTRA_IDLE_MS close.

import { log } from "../log.ts";
import type { SshClient } from "../ssh/client.ts";
import type { SshConnection } from "../ssh/connection/connection.ts";
import { ChannelOpenError, ConnectionLostError } from "../ssh/connection/errors.ts";
import {
  SSH2_OPEN_ADMINISTRATIVELY_PROHIBITED,
  SSH2_OPEN_CONNECT_FAILED,
  SSH2_OPEN_RESOURCE_SHORTAGE,
} from "../ssh/connection/messages.ts";
import { errorMessage } from "./errors.ts";

/** How long an extra connection may carry no channel before it is closed. */
export const EXTRA_IDLE_MS = 30_000;
/** Tests shorten the idle time with this variable (milliseconds). */
export const EXTRA_IDLE_ENV = "SSHMUX_EXTRA_IDLE_MS";
/** At most this many extra connections at once; past it a refusal is passed on. */
export const MAX_EXTRA_CONNECTIONS = 16;
/**
 * ConnectTimeout (s) of an extra connection or a reconnect when the user set none: a session
 * waiting for one must not hang on a cut network.
 */
export const DIAL_CONNECT_TIMEOUT_S = 10;

/** What a channel is, for telling a server's session limit from other refusals. */
export type ChannelKind = "session" | "stdio-forward";

/** Refusal reasons that may mean "this connection is full", per kind of channel. */
const LIMIT_REASONS: Record<ChannelKind, readonly number[]> = {
  session: [
    SSH2_OPEN_ADMINISTRATIVELY_PROHIBITED,
    SSH2_OPEN_CONNECT_FAILED,
    SSH2_OPEN_RESOURCE_SHORTAGE,
  ],
  "stdio-forward": [SSH2_OPEN_RESOURCE_SHORTAGE],
};

/** One connection as a listing shows it. */
export interface ConnectionSummary {
  /** 0 for the connection the master started with, then counting up (extras, reconnects). */
  id: number;
  /** The connection forwards and proxy clients use. */
  primary: boolean;
  /** Channels open on it now. */
  channels: number;
  /** Date.now() when it was established. */
  since: number;
}

/** Opens, authenticates and verifies one more connection to the master's destination. */
export type Dial = () => Promise<SshClient>;

export interface ConnectionPoolOptions {
  /** Used for every extra connection and reconnect. */
  dial: Dial;
  /** Destination name for log lines. */
  host: string;
  /** Called for every connection the pool adds after the first (agent forwarding, keepalives). */
  prepare?: (client: SshClient) => void;
  idleMs?: number;
  maxExtra?: number;
}

interface Member {
  id: number;
  client: SshClient;
  primary: boolean;
  since: number;
  /** Channel opens under way on it (not yet counted by channelCount). */
  pending: number;
  /** Channels it carried when it refused one; undefined until it did. */
  limit?: number;
  idleSince?: number;
  alive: boolean;
  closedByUs: boolean;
}

interface DialSlot {
  /** Waiters that will try the new connection once it is up. */
  reserved: number;
  done: Promise<Member | null>;
}

/** The failure a session gets while the primary connection is being re-established. */
export class ReconnectingError extends Error {
  override name = "ReconnectingError";
}

function idleFromEnv(): number {
  try {
    const v = Deno.env.get(EXTRA_IDLE_ENV);
    const n = v === undefined ? NaN : Number(v);
    return Number.isFinite(n) && n >= 0 ? n : EXTRA_IDLE_MS;
  } catch {
    return EXTRA_IDLE_MS; // no --allow-env
  }
}

export class ConnectionPool {
  #members: Member[] = [];
  #dials: DialSlot[] = [];
  #nextId = 0;
  /** The limit last learned from a refusal, assumed for connections not yet refused. */
  #assumedLimit: number | undefined;
  #reconnecting: Promise<unknown> | null = null;
  #reconnectWaitMs = 0;
  #timer: ReturnType<typeof setInterval>;
  #closed = false;
  readonly #idleMs: number;
  readonly #maxExtra: number;

  constructor(primary: SshClient, private readonly o: ConnectionPoolOptions) {
    this.#idleMs = o.idleMs ?? idleFromEnv();
    this.#maxExtra = o.maxExtra ?? MAX_EXTRA_CONNECTIONS;
    this.#add(primary, true);
    this.#timer = setInterval(
      () => this.#closeIdle(),
      Math.max(50, Math.min(1000, this.#idleMs / 2)),
    );
    // The idle check never keeps a process alive on its own.
    Deno.unrefTimer(this.#timer as unknown as number);
  }

  /** The primary connection (after a reconnect, the new one). */
  get primary(): SshConnection {
    return this.primaryClient.connection;
  }

  get primaryClient(): SshClient {
    return this.#members.find((m) => m.primary)!.client;
  }

  /**
   * Runs `open` (which opens one session or -W channel on the connection it is given) on a
   * connection with room, and again on another one, a new one if need be, while the server
   * refuses it for MaxSessions. Rejects with what `open` rejected with otherwise.
   */
  async open<T>(
    open: (conn: SshConnection) => Promise<T>,
    kind: ChannelKind = "session",
  ): Promise<T> {
    await this.#waitForReconnect();
    const tried = new Set<Member>();
    let refusal: ChannelOpenError | undefined;
    for (;;) {
      const m = this.#withRoom(tried, kind) ?? await this.#fromDial(refusal);
      tried.add(m);
      m.pending++;
      try {
        return await open(m.client.connection);
      } catch (e) {
        if (!(e instanceof ChannelOpenError) || !this.#isLimit(e, m, kind)) throw e;
        if (kind === "session") {
          m.limit = m.client.connection.channelCount();
          this.#assumedLimit = m.limit;
        }
        log.debug(`connection ${m.id} refused a ${kind} channel: ${e.message}; trying another`);
        refusal = e;
      } finally {
        m.pending--;
      }
    }
  }

  /** Every live connection, the primary first. */
  connections(): ConnectionSummary[] {
    return this.#members
      .filter((m) => m.alive)
      .sort((a, b) => Number(b.primary) - Number(a.primary) || a.id - b.id)
      .map((m) => ({
        id: m.id,
        primary: m.primary,
        channels: m.client.connection.channelIdsInUse(),
        since: m.since,
      }));
  }

  /**
   * While `p` is pending the primary is being re-established: new channels wait for it, at most
   * `waitMs`, then fail with ReconnectingError.
   */
  reconnecting(p: Promise<unknown>, waitMs: number): void {
    this.#reconnecting = p;
    this.#reconnectWaitMs = waitMs;
    p.finally(() => {
      if (this.#reconnecting === p) this.#reconnecting = null;
    }).catch(() => {});
  }

  /** Makes `client` the primary connection (after the old one was lost). */
  replacePrimary(client: SshClient): number {
    for (const m of this.#members) m.primary = false;
    this.#members = this.#members.filter((m) => m.alive);
    return this.#add(client, true).id;
  }

  /** Closes every connection (the primary too). */
  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#timer);
    const all = this.#members;
    for (const m of all) m.closedByUs = true;
    await Promise.allSettled(all.map((m) => m.client.close()));
    // A dial still under way closes its connection when it lands (#add sees #closed).
  }

  // ------------------------------------------------------------------ internals

  #add(client: SshClient, primary: boolean): Member {
    const m: Member = {
      id: this.#nextId++,
      client,
      primary,
      since: Date.now(),
      pending: 0,
      alive: true,
      closedByUs: false,
    };
    this.#members.push(m);
    if (this.#closed) {
      m.closedByUs = true;
      client.close();
    }
    client.connection.closed.then(() => {
      m.alive = false;
      if (!m.primary) {
        this.#members = this.#members.filter((x) => x !== m);
        if (!m.closedByUs) log.verbose(`extra connection ${m.id} to ${this.o.host} was closed`);
      }
    });
    return m;
  }

  async #waitForReconnect(): Promise<void> {
    const p = this.#reconnecting;
    if (!p) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise((r) => timer = setTimeout(r, this.#reconnectWaitMs));
    try {
      await Promise.race([p, late]);
    } finally {
      clearTimeout(timer);
    }
    if (!this.#members.some((m) => m.primary && m.alive)) {
      const still = this.#reconnecting === p ? ", reconnecting" : "";
      throw new ReconnectingError(`connection to ${this.o.host} lost${still}`);
    }
  }

  /** A limit refusal: a connection full, told apart from policy by the channels it carries. */
  #isLimit(e: ChannelOpenError, m: Member, kind: ChannelKind): boolean {
    return LIMIT_REASONS[kind].includes(e.reasonCode) && m.client.connection.channelCount() > 0;
  }

  /** The first live connection not yet tried with room for a channel of `kind`, primary first. */
  #withRoom(tried: Set<Member>, kind: ChannelKind): Member | undefined {
    const ordered = [...this.#members].sort((a, b) => Number(b.primary) - Number(a.primary));
    return ordered.find((m) => {
      if (!m.alive || tried.has(m)) return false;
      if (kind !== "session") return true;
      const limit = m.limit ?? (m.primary ? undefined : this.#assumedLimit);
      return limit === undefined || m.client.connection.channelCount() + m.pending < limit;
    });
  }

  /**
   * A connection being dialed that still has room for one more waiter, or a new dial. Rejects
   * with the last refusal when no connection can be added.
   */
  async #fromDial(refusal: ChannelOpenError | undefined): Promise<Member> {
    if (!this.#members.some((m) => m.alive)) {
      throw new ConnectionLostError(`connection to ${this.o.host} lost`);
    }
    const full = refusal ??
      new ChannelOpenError(SSH2_OPEN_RESOURCE_SHORTAGE, "every connection is full");
    const room = this.#assumedLimit ?? 1;
    let slot = this.#dials.find((d) => d.reserved < room);
    if (!slot) {
      const extras = this.#members.filter((m) => !m.primary && m.alive).length;
      if (extras + this.#dials.length >= this.#maxExtra || this.#closed) throw full;
      slot = this.#dial();
    }
    slot.reserved++;
    const m = await slot.done;
    if (!m) throw full;
    return m;
  }

  #dial(): DialSlot {
    const slot: DialSlot = {
      reserved: 0,
      done: this.o.dial().then((client) => {
        const m = this.#add(client, false);
        this.o.prepare?.(client);
        log.verbose(`opened extra connection ${m.id} to ${this.o.host} (MaxSessions reached)`);
        return m;
      }, (e) => {
        log.error(`could not open an extra connection to ${this.o.host}: ${errorMessage(e)}`);
        return null;
      }).finally(() => {
        this.#dials = this.#dials.filter((d) => d !== slot);
      }),
    };
    this.#dials.push(slot);
    return slot;
  }

  #closeIdle(): void {
    const now = Date.now();
    for (const m of this.#members) {
      if (m.primary || !m.alive) continue;
      if (m.pending > 0 || m.client.connection.channelCount() > 0) {
        m.idleSince = undefined;
        continue;
      }
      m.idleSince ??= now;
      if (now - m.idleSince < this.#idleMs) continue;
      m.closedByUs = true;
      m.alive = false;
      log.verbose(
        `closed extra connection ${m.id} to ${this.o.host} (no channel for ${
          this.#idleMs / 1000
        } s)`,
      );
      m.client.close();
    }
  }
}
