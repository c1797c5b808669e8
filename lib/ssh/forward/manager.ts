// ForwardManager: the set of forwards one SSH connection carries, for plain ssh (-L/-R/-D from
// the command line) and for the master serving `-O forward` / `-O cancel` from mux clients.
// Duplicates follow OpenSSH's mux (mux.c:599-626, 801-827): an identical local or dynamic
// forward is a success with no new listener; an identical remote one re-reports its allocated port.

import type { ForwardSpec } from "./spec.ts";
import { log } from "../../log.ts";
import type { BridgeFn, ForwardConnection } from "./conn_api.ts";
import { ForwardError } from "./errors.ts";
import { LocalForward } from "./local.ts";
import { RemoteForwarder } from "./remote.ts";
import { describeForward, type ForwardKind, invalidReason, sameForward } from "./spec.ts";

export interface ForwardManagerOptions {
  conn: ForwardConnection;
  /** Defaults to the connection layer's bridge. */
  bridge?: BridgeFn;
  /** GatewayPorts: a local forward with no listen host binds all interfaces. */
  gatewayPorts?: boolean;
  socksTimeoutMs?: number;
  connectTimeoutMs?: number;
  /** See RemoteForwardDeps.replyTimeoutMs (default: wait for the server's reply forever). */
  replyTimeoutMs?: number;
}

export interface AddResult {
  /** The port the server allocated for a remote forward asked with listen port 0. */
  allocatedPort?: number;
  /** The local port listened on (TCP local/dynamic forwards), the allocated one for port 0. */
  boundPort?: number;
  /** True when an identical forward already existed and nothing new was opened. */
  duplicate: boolean;
}

export interface ActiveForward {
  kind: ForwardKind;
  spec: ForwardSpec;
  allocatedPort?: number;
  boundPort?: number;
  /** Human-readable, like mux.c format_forward. */
  description: string;
}

interface Entry {
  kind: ForwardKind;
  spec: ForwardSpec;
  /** Settles when the forward is set up; duplicates arriving meanwhile wait on it. */
  ready: Promise<AddResult>;
  local?: LocalForward;
  allocatedPort?: number;
  boundPort?: number;
}

export class ForwardManager {
  #entries: Entry[] = [];
  #remote: RemoteForwarder;
  #closed = false;

  constructor(private readonly opts: ForwardManagerOptions) {
    this.#remote = new RemoteForwarder({
      conn: opts.conn,
      bridge: opts.bridge,
      socksTimeoutMs: opts.socksTimeoutMs,
      connectTimeoutMs: opts.connectTimeoutMs,
      replyTimeoutMs: opts.replyTimeoutMs,
    });
  }

  /** GatewayPorts as this manager binds with (also how OpenSSH names unbound forwards). */
  get gatewayPorts(): boolean {
    return this.opts.gatewayPorts ?? false;
  }

  /**
   * Starts a forward. Rejects with ForwardError: "invalid" for a malformed spec,
   * "listen-failed" (local/dynamic) or "remote-failed" (remote) when it cannot be set up.
   */
  async add(spec: ForwardSpec, kind: ForwardKind): Promise<AddResult> {
    if (this.#closed) throw new ForwardError("invalid", "forwarding is shut down");
    const bad = invalidReason(kind, spec);
    if (bad) throw new ForwardError("invalid", `Invalid forwarding request: ${bad}`);
    const existing = this.#find(spec, kind);
    if (existing) {
      const r = await existing.ready;
      return { ...r, duplicate: true };
    }
    const entry: Entry = { kind, spec: { ...spec }, ready: Promise.resolve({ duplicate: false }) };
    entry.ready = this.#start(entry);
    this.#entries.push(entry);
    try {
      return await entry.ready;
    } catch (e) {
      this.#drop(entry);
      throw e;
    }
  }

  async #start(entry: Entry): Promise<AddResult> {
    const { kind, spec } = entry;
    if (kind === "remote") {
      const r = await this.#remote.add(spec);
      entry.allocatedPort = r.allocatedPort;
      log.debug(`${describeForward(kind, spec)} established`);
      return r.allocatedPort === undefined
        ? { duplicate: false }
        : { allocatedPort: r.allocatedPort, duplicate: false };
    }
    const local = await LocalForward.start(kind, spec, {
      conn: this.opts.conn,
      bridge: this.opts.bridge,
      gatewayPorts: this.opts.gatewayPorts ?? false,
      socksTimeoutMs: this.opts.socksTimeoutMs,
    });
    if (this.#closed) {
      local.stop();
      throw new ForwardError("invalid", "forwarding is shut down");
    }
    entry.local = local;
    entry.boundPort = local.boundPort;
    return { boundPort: local.boundPort, duplicate: false };
  }

  /**
   * Cancels the forward that matches `spec` exactly (every field, like mux CLOSE_FWD).
   * Rejects ForwardError "not-found" ("port not forwarded") or "cancel-failed".
   */
  async cancel(spec: ForwardSpec, kind: ForwardKind): Promise<void> {
    const entry = this.#find(spec, kind);
    if (!entry) throw new ForwardError("not-found", "port not forwarded");
    try {
      await entry.ready;
    } catch {
      throw new ForwardError("not-found", "port not forwarded");
    }
    this.#drop(entry);
    if (entry.kind === "remote") {
      await this.#remote.cancel(entry.spec);
    } else {
      entry.local?.stop();
      await entry.local?.done();
    }
  }

  /**
   * After the connection under these forwards was replaced: -R listens are asked for again
   * (same ports); one that the server refuses is dropped and reported. -L/-D listeners are
   * local and simply open their channels on the new connection.
   */
  async reissueRemote(): Promise<void> {
    const failed = await this.#remote.reissue();
    for (const line of failed) log.error(line);
    const gone = this.#entries.filter((e) => e.kind === "remote" && !this.#remote.has(e.spec));
    for (const e of gone) this.#drop(e);
  }

  list(): ActiveForward[] {
    return this.#entries.map((e) => ({
      kind: e.kind,
      spec: { ...e.spec },
      allocatedPort: e.allocatedPort,
      boundPort: e.boundPort,
      description: describeForward(e.kind, e.spec),
    }));
  }

  /** Stops every listener and ends every forwarded connection (connection shutdown). */
  async closeAll(): Promise<void> {
    this.#closed = true;
    const entries = this.#entries;
    this.#entries = [];
    await Promise.allSettled(entries.map((e) => e.ready));
    for (const e of entries) {
      e.local?.stop();
      e.local?.closeConnections();
    }
    this.#remote.closeConnections();
    await Promise.allSettled(entries.map((e) => e.local?.done()));
  }

  #find(spec: ForwardSpec, kind: ForwardKind): Entry | undefined {
    // Local and dynamic forwards share one table in OpenSSH; the spec's connect fields tell them apart.
    const isLocalSide = (k: ForwardKind) => k !== "remote";
    return this.#entries.find((e) =>
      isLocalSide(e.kind) === isLocalSide(kind) && sameForward(e.spec, spec)
    );
  }

  #drop(entry: Entry): void {
    const i = this.#entries.indexOf(entry);
    if (i >= 0) this.#entries.splice(i, 1);
  }
}
