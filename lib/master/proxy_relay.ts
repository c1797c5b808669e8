// Proxy mode (MUX_C_PROXY, PROTOCOL.mux §9; channels.c channel_proxy_downstream/upstream): after
// MUX_S_PROXY the control socket carries the client's own SSH connection-protocol messages,
// unencrypted. We relay them over our one SSH connection, renumbering only *our* side's
// channel ids (the ids the client picks become ids from the connection's table; the server's
// ids pass through unchanged, as the client sees them in OPEN_CONFIRMATION).
//
// A proxy client is held to the rules the server would enforce, so it can only ever be dropped
// alone and never ends the shared connection: it may address only its own channels, may not
// send past the window the server gave it, and may send only connection-protocol messages.
// Its global requests are forwarded with their replies matched in order, and the channels the
// server opens for its remote forwards are routed to it. When it goes away, its channels are
// closed on the server and its remote forwards cancelled.

import type { ControlStream } from "./control_stream.ts";
import { log } from "../log.ts";
import { encodeProxyPacket, ProxyFramer } from "../mux/proxy_framing.ts";
import { MUX_PROXY_MIN_DOWNSTREAM_PACKET } from "../mux/constants.ts";
import type { SshConnection } from "../ssh/connection/connection.ts";
import {
  encodeClose,
  encodeGlobalRequest,
  encodeOpenFailure,
  encodeRequestReply,
  SSH2_OPEN_ADMINISTRATIVELY_PROHIBITED,
  SSH2_OPEN_RESOURCE_SHORTAGE,
  SSH_MSG_CHANNEL_CLOSE,
  SSH_MSG_CHANNEL_DATA,
  SSH_MSG_CHANNEL_EXTENDED_DATA,
  SSH_MSG_CHANNEL_FAILURE,
  SSH_MSG_CHANNEL_OPEN,
  SSH_MSG_CHANNEL_OPEN_CONFIRMATION,
  SSH_MSG_CHANNEL_OPEN_FAILURE,
  SSH_MSG_CHANNEL_WINDOW_ADJUST,
  SSH_MSG_GLOBAL_REQUEST,
  SSH_MSG_REQUEST_FAILURE,
  SSH_MSG_REQUEST_SUCCESS,
} from "../ssh/connection/messages.ts";
import {
  decodeAllocatedPort,
  decodeForwardedStreamlocal,
  decodeForwardedTcpip,
  decodeStreamlocalForward,
  decodeTcpipForward,
  encodeStreamlocalForward,
  encodeTcpipForward,
} from "../ssh/forward/messages.ts";
import { WireReader } from "../wire/reader.ts";
import { errorMessage } from "./errors.ts";
import { releasePlain, takePlain } from "../ssh/buffer_pool.ts";

/** Channel types a proxy client may open (what ssh's own client opens). */
const OPENABLE = new Set(["session", "direct-tcpip", "direct-streamlocal@openssh.com"]);

/** Global requests a proxy client may make (OpenSSH 9.2's master allows tcpip-forward only). */
const GLOBAL_REQUESTS = new Set([
  "tcpip-forward",
  "cancel-tcpip-forward",
  "streamlocal-forward@openssh.com",
  "cancel-streamlocal-forward@openssh.com",
  "keepalive@openssh.com",
]);

const READ_CHUNK = 256 * 1024;

/**
 * Bytes written for a proxy client that it has not read yet, at most. What the server sends a
 * proxy client is bounded only by the windows that client itself grants (up to 4 GiB a
 * channel): one that grants big windows and stops reading made the master queue all of it, its
 * memory growing until every session died with it. Stock ssh and Go's x/crypto grant 2 MiB a
 * channel, so this is room for 32 of their channels stalled at once.
 */
export const PROXY_MAX_QUEUED = 64 * 1024 * 1024;
const EMPTY: Uint8Array = new Uint8Array(0);

interface Relayed {
  /** The client's id for the channel. */
  clientId: number;
  /** Ours (from the connection's table). */
  localId: number;
  /** The server's, once it confirmed (or when it opened the channel). */
  serverId?: number;
  /** Bytes the client may still send (the server's window for this channel). */
  window: number;
  clientClosed: boolean;
  serverClosed: boolean;
}

type RemoteForward = { port: number; address: string } | { path: string };

class ProxyViolation extends Error {
  override name = "ProxyViolation";
}

function u32At(p: Uint8Array, off: number): number {
  if (off + 4 > p.length) throw new ProxyViolation("message too short");
  return new DataView(p.buffer, p.byteOffset + off, 4).getUint32(0);
}

function withU32At(p: Uint8Array, off: number, v: number): Uint8Array {
  const out = p.slice();
  new DataView(out.buffer).setUint32(off, v);
  return out;
}

/** Offset of the sender field in CHANNEL_OPEN (after the type byte and the type string). */
function openSenderOffset(p: Uint8Array): number {
  return 1 + 4 + u32At(p, 1);
}

export class ProxyRelay {
  #byClient = new Map<number, Relayed>();
  #byLocal = new Map<number, Relayed>();
  #byServer = new Map<number, Relayed>();
  /** Server ids of channels the server opened for us and the client has not answered yet. */
  #pendingServerOpens = new Set<number>();
  #forwards: RemoteForward[] = [];
  #replies: Promise<void> = Promise.resolve();
  #gone = false;
  /** Bytes handed to the socket for the client and not yet written. */
  #queued = 0;
  /** Rejects when #queued passes PROXY_MAX_QUEUED: run() then drops the client. */
  #overflow: Promise<never>;
  #overflowed!: (e: Error) => void;
  #stalled = false;
  #unroute: () => void = () => {};
  /** Bytes of proxy framing read from / written to the client (-O list). */
  bytesFromClient = 0;
  bytesToClient = 0;

  constructor(
    private readonly conn: SshConnection,
    private readonly sock: ControlStream,
    private readonly name: string,
  ) {
    this.#overflow = new Promise<never>((_, reject) => this.#overflowed = reject);
    this.#overflow.catch(() => {});
  }

  /** Relays until the client hangs up or breaks a rule; then cleans up on the server. */
  async run(): Promise<void> {
    this.#unroute = this.conn.routeChannelOpens((type, data, payload) =>
      this.#routeOpen(type, data, payload)
    );
    const framer = new ProxyFramer({ minPacketLength: MUX_PROXY_MIN_DOWNSTREAM_PACKET });
    const lost = this.conn.closed.then(() => null);
    try {
      for (;;) {
        const read = this.sock.readSome(READ_CHUNK);
        read.catch(() => {}); // if the connection is lost first, the socket's close settles it
        const chunk = await Promise.race([read, lost, this.#overflow]);
        if (chunk === null) break;
        this.bytesFromClient += chunk.length;
        framer.append(chunk);
        for (let p = framer.next(); p !== null; p = framer.next()) await this.#fromClient(p);
      }
      framer.end();
    } catch (e) {
      if (!this.#gone && !this.sock.closed) {
        log.error(`${this.name}: ${errorMessage(e)}; dropping it`);
      }
    } finally {
      this.#cleanup();
      // What it did not read is dropped with it: closing the control connection would wait
      // for that first.
      if (this.#stalled) this.sock.close();
    }
  }

  // ------------------------------------------------------------ client → server

  async #fromClient(p: Uint8Array): Promise<void> {
    const type = p[0];
    switch (type) {
      case SSH_MSG_CHANNEL_OPEN:
        return await this.#clientOpen(p);
      case SSH_MSG_CHANNEL_OPEN_CONFIRMATION:
        return await this.#clientConfirm(p);
      case SSH_MSG_CHANNEL_OPEN_FAILURE: {
        const serverId = u32At(p, 1);
        if (!this.#pendingServerOpens.delete(serverId)) {
          throw new ProxyViolation(`open failure for channel ${serverId} it was not offered`);
        }
        return await this.conn.sendRaw(p);
      }
      case SSH_MSG_GLOBAL_REQUEST:
        return this.#globalRequest(p);
      case SSH_MSG_REQUEST_SUCCESS:
      case SSH_MSG_REQUEST_FAILURE:
        return; // replies to the server's requests: the master answers those itself
    }
    if (type > SSH_MSG_CHANNEL_OPEN_FAILURE && type <= SSH_MSG_CHANNEL_FAILURE) {
      return await this.#clientChannelMessage(p);
    }
    throw new ProxyViolation(`message type ${type} is not allowed from a proxy client`);
  }

  async #clientOpen(p: Uint8Array): Promise<void> {
    const r = new WireReader(p.subarray(1));
    const channelType = r.text();
    const clientId = r.u32();
    if (!OPENABLE.has(channelType)) {
      await this.#toClient(
        encodeOpenFailure(clientId, SSH2_OPEN_ADMINISTRATIVELY_PROHIBITED, "open denied"),
      );
      return;
    }
    if (this.#byClient.has(clientId)) throw new ProxyViolation(`channel ${clientId} reused`);
    const ch: Relayed = {
      clientId,
      localId: -1,
      window: 0,
      clientClosed: false,
      serverClosed: false,
    };
    const localId = this.conn.allocateRelay((m) => this.#fromServer(ch, m));
    if (localId === undefined) {
      await this.#toClient(
        encodeOpenFailure(clientId, SSH2_OPEN_RESOURCE_SHORTAGE, "too many channels"),
      );
      return;
    }
    ch.localId = localId;
    this.#byClient.set(clientId, ch);
    this.#byLocal.set(localId, ch);
    await this.conn.sendRaw(withU32At(p, openSenderOffset(p), localId));
  }

  /** The client accepts a channel the server opened (forwarded-tcpip for its forward). */
  async #clientConfirm(p: Uint8Array): Promise<void> {
    const serverId = u32At(p, 1);
    const clientId = u32At(p, 5);
    if (!this.#pendingServerOpens.delete(serverId)) {
      throw new ProxyViolation(`confirmation for channel ${serverId} it was not offered`);
    }
    if (this.#byClient.has(clientId)) throw new ProxyViolation(`channel ${clientId} reused`);
    const ch: Relayed = {
      clientId,
      localId: -1,
      serverId,
      window: this.#serverWindows.get(serverId) ?? 0,
      clientClosed: false,
      serverClosed: false,
    };
    this.#serverWindows.delete(serverId);
    const localId = this.conn.allocateRelay((m) => this.#fromServer(ch, m));
    if (localId === undefined) {
      await this.conn.sendRaw(
        encodeOpenFailure(serverId, SSH2_OPEN_RESOURCE_SHORTAGE, "too many channels"),
      );
      await this.#toClient(encodeClose(clientId));
      return;
    }
    ch.localId = localId;
    this.#byClient.set(clientId, ch);
    this.#byLocal.set(localId, ch);
    this.#byServer.set(serverId, ch);
    await this.conn.sendRaw(withU32At(p, 5, localId));
  }

  /** Windows the server offered with channels it opened, until the client confirms them. */
  #serverWindows = new Map<number, number>();

  async #clientChannelMessage(p: Uint8Array): Promise<void> {
    const serverId = u32At(p, 1);
    const ch = this.#byServer.get(serverId);
    if (!ch) throw new ProxyViolation(`message for channel ${serverId} that is not its own`);
    if (ch.clientClosed) {
      throw new ProxyViolation(`message for channel ${serverId} after its CLOSE`);
    }
    const type = p[0];
    if (type === SSH_MSG_CHANNEL_DATA || type === SSH_MSG_CHANNEL_EXTENDED_DATA) {
      const len = u32At(p, type === SSH_MSG_CHANNEL_DATA ? 5 : 9);
      if (len > ch.window) {
        throw new ProxyViolation(`channel ${serverId}: sent ${len} bytes past the window`);
      }
      ch.window -= len;
    }
    if (type === SSH_MSG_CHANNEL_CLOSE) ch.clientClosed = true;
    await this.conn.sendRaw(p);
    this.#maybeRelease(ch);
  }

  #globalRequest(p: Uint8Array): void {
    const r = new WireReader(p.subarray(1));
    const name = r.text();
    const wantReply = r.bool();
    const data = p.subarray(p.length - r.remaining);
    if (!GLOBAL_REQUESTS.has(name)) {
      throw new ProxyViolation(`global request ${name} is not allowed from a proxy client`);
    }
    const forward = this.#forwardOf(name, data);
    const reply = this.conn.globalRequest(name, data, wantReply);
    reply.catch(() => {});
    // Replies go back in request order, whatever order the work finishes in.
    this.#replies = this.#replies.then(async () => {
      let ok = false;
      let payload: Uint8Array = EMPTY;
      try {
        const got = await reply;
        ok = got.ok;
        payload = got.data;
      } catch { /* connection gone */ }
      if (ok && forward) this.#trackForward(name, forward, payload);
      if (wantReply) await this.#toClient(encodeRequestReply(ok, payload)).catch(() => {});
    });
  }

  #forwardOf(name: string, data: Uint8Array): RemoteForward | undefined {
    try {
      if (name === "tcpip-forward" || name === "cancel-tcpip-forward") {
        const f = decodeTcpipForward(data);
        return { address: f.address, port: f.port };
      }
      if (
        name === "streamlocal-forward@openssh.com" ||
        name === "cancel-streamlocal-forward@openssh.com"
      ) {
        return decodeStreamlocalForward(data);
      }
    } catch (e) {
      throw new ProxyViolation(`malformed ${name}: ${errorMessage(e)}`);
    }
    return undefined;
  }

  #trackForward(name: string, f: RemoteForward, reply: Uint8Array): void {
    const same = (a: RemoteForward, b: RemoteForward) =>
      "path" in a ? "path" in b && a.path === b.path : "port" in b && a.port === b.port &&
        a.address === b.address;
    if (name.startsWith("cancel-")) {
      this.#forwards = this.#forwards.filter((x) => !same(x, f));
      return;
    }
    if ("port" in f && f.port === 0) {
      try {
        f = { address: f.address, port: decodeAllocatedPort(reply) };
      } catch { /* no port in the reply: nothing will match */ }
    }
    this.#forwards.push(f);
  }

  // ------------------------------------------------------------ server → client

  /** A channel the server opens: ours if it is for one of this client's remote forwards. */
  #routeOpen(type: string, data: Uint8Array, payload: Uint8Array): boolean {
    if (this.#gone) return false;
    let mine = false;
    try {
      if (type === "forwarded-tcpip") {
        const f = decodeForwardedTcpip(data);
        mine = this.#forwards.some((x) =>
          "port" in x && x.port === f.listenPort && x.address === f.listenAddress
        );
      } else if (type === "forwarded-streamlocal@openssh.com") {
        const f = decodeForwardedStreamlocal(data);
        mine = this.#forwards.some((x) => "path" in x && x.path === f.path);
      }
    } catch {
      return false;
    }
    if (!mine) return false;
    const off = openSenderOffset(payload);
    const serverId = u32At(payload, off);
    this.#pendingServerOpens.add(serverId);
    this.#serverWindows.set(serverId, u32At(payload, off + 4));
    this.#toClient(payload).catch(() => {});
    return true;
  }

  #fromServer(ch: Relayed, p: Uint8Array): void {
    const type = p[0];
    if (type === SSH_MSG_CHANNEL_OPEN_CONFIRMATION) {
      ch.serverId = u32At(p, 5);
      ch.window = u32At(p, 9);
      this.#byServer.set(ch.serverId, ch);
      if (this.#gone) {
        ch.clientClosed = true;
        this.conn.sendRaw(encodeClose(ch.serverId)).catch(() => {});
        return;
      }
    } else if (type === SSH_MSG_CHANNEL_OPEN_FAILURE) {
      this.#forget(ch);
    } else if (type === SSH_MSG_CHANNEL_WINDOW_ADJUST) {
      ch.window = Math.min(0xffffffff, ch.window + u32At(p, 5));
    } else if (type === SSH_MSG_CHANNEL_CLOSE) {
      ch.serverClosed = true;
    }
    // The connection hands each message over once and keeps no reference: renumber in place
    // (this runs for every data packet a proxy client receives).
    new DataView(p.buffer, p.byteOffset + 1, 4).setUint32(0, ch.clientId);
    if (!this.#gone) this.#toClient(p).catch(() => {});
    this.#maybeRelease(ch);
  }

  #toClient(payload: Uint8Array): Promise<void> {
    if (this.#gone) return Promise.resolve();
    // Both buffers of a relayed data packet are pooled: the server message's plaintext goes
    // back once copied, the framed copy once written (a fresh 32 KiB array for each of them per
    // packet cost ~7% of the master's CPU in allocation, plus the GC behind it).
    const packet = encodeProxyPacket(payload, takePlain);
    releasePlain(payload);
    this.bytesToClient += packet.length;
    const size = packet.length;
    this.#queued += size;
    if (this.#queued > PROXY_MAX_QUEUED && !this.#stalled) {
      this.#stalled = true;
      this.#overflowed(
        new ProxyViolation(`not reading: over ${PROXY_MAX_QUEUED >> 20} MiB queued for it`),
      );
    }
    const written = this.sock.write(packet);
    written.then(() => {
      this.#queued -= size;
      releasePlain(packet);
    }, () => {});
    return written;
  }

  // ------------------------------------------------------------ bookkeeping

  #maybeRelease(ch: Relayed): void {
    if (ch.clientClosed && ch.serverClosed) this.#forget(ch);
  }

  #forget(ch: Relayed): void {
    this.#byClient.delete(ch.clientId);
    this.#byLocal.delete(ch.localId);
    if (ch.serverId !== undefined) this.#byServer.delete(ch.serverId);
    if (ch.localId >= 0) this.conn.releaseRelay(ch.localId);
  }

  /** The client is gone: close its channels on the server, cancel its forwards. */
  #cleanup(): void {
    this.#gone = true;
    this.#unroute();
    for (const serverId of this.#pendingServerOpens) {
      this.conn.sendRaw(
        encodeOpenFailure(serverId, SSH2_OPEN_ADMINISTRATIVELY_PROHIBITED, "client gone"),
      )
        .catch(() => {});
    }
    this.#pendingServerOpens.clear();
    for (const ch of [...this.#byLocal.values()]) {
      if (!ch.clientClosed && ch.serverId !== undefined) {
        ch.clientClosed = true;
        this.conn.sendRaw(encodeClose(ch.serverId)).catch(() => {});
      }
      this.#maybeRelease(ch);
    }
    for (const f of this.#forwards) {
      const [name, data] = "path" in f
        ? ["cancel-streamlocal-forward@openssh.com", streamlocalData(f.path)]
        : ["cancel-tcpip-forward", tcpipData(f.address, f.port)];
      this.conn.sendRaw(encodeGlobalRequest(name, false, data)).catch(() => {});
    }
    this.#forwards = [];
  }

  /** Channels still held (tests, -O channels). */
  get channelCount(): number {
    return this.#byLocal.size;
  }
}

function tcpipData(address: string, port: number): Uint8Array {
  return encodeTcpipForward(address, port);
}

function streamlocalData(path: string): Uint8Array {
  return encodeStreamlocalForward(path);
}
