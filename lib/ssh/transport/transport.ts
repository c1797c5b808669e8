// SshTransport: the client side of the SSH transport layer (RFC 4253) over a ByteStream.
// One read loop cuts and opens packets in order and handles transport messages (kex, rekey,
// ignore/debug/disconnect, ext-info); everything else goes to receive(). Outgoing packets are
// sealed in order with their sequence number and written in batches; while a key exchange is in
// progress, non-kex payloads are held and sent under the new keys (nothing is lost or reordered).

import { DisconnectError, ProtocolError, reportAtInfo } from "../../errors.ts";
import { log } from "../../log.ts";
import type { PacketTransport } from "../packet_transport.ts";
import type { PacketSealer } from "../crypto/cipher.ts";
import type { ByteStream } from "./byte_stream.ts";
import * as C from "./constants.ts";
import type { AlgorithmLists } from "./kexinit.ts";
import { parseExtInfo } from "./ext_info.ts";
import { InputBuffer } from "./input_buffer.ts";
import { clientKexInit, encodeKexInit, type Negotiated } from "./kexinit.ts";
import { KexRound } from "./kex_round.ts";
import { buildPacket, noneSealer, recyclePacket } from "./packet_codec.ts";
import { PacketInbox } from "./packet_inbox.ts";
import { type IncomingPacket, PacketReader } from "./packet_reader.ts";
import { ReadTimeout } from "./read_timeout.ts";
import { RekeyPolicy } from "./rekey_policy.ts";
import { readServerVersion } from "./version.ts";
import {
  encodeDisconnect,
  encodeUnimplemented,
  parseDebug,
  parseDisconnect,
  parseUnimplemented,
} from "./transport_messages.ts";
import { disconnectReasonCode, Outbox } from "./outbox.ts";

export interface TransportOptions {
  host: string;
  port: number;
  lists: AlgorithmLists;
  rekeyLimitBytes: number;
  rekeyLimitSeconds: number;
  connectTimeoutMs?: number;
  readTimeoutMs?: number;
  /** Our identification line already went out on the stream (early_connect.ts). */
  versionSent?: boolean;
  verifyHostKey(hostKeyBlob: Uint8Array, algorithm: string): Promise<void>;
}

export class SshTransport implements PacketTransport {
  private _sessionId: Uint8Array = new Uint8Array(0);
  private _serverVersion = "";
  private _serverSigAlgs: string[] | undefined;
  private _algorithms: Readonly<Negotiated> = {
    kex: "",
    hostKey: "",
    cipherCS: "",
    cipherSC: "",
    macCS: "",
    macSC: "",
  };
  private _hostKey: Uint8Array | undefined;
  readonly local: { host: string; port: number } | undefined;
  readonly remote: { host: string; port: number };
  readonly stats = {
    bytesIn: 0,
    bytesOut: 0,
    packetsIn: 0,
    packetsOut: 0,
    rekeys: 0,
    startedAt: Date.now(),
  };

  private readonly input: InputBuffer;
  private readonly reader: PacketReader;
  private readonly outbox: Outbox;
  private sealer: PacketSealer = noneSealer();
  private seqOut = 0;
  private kex: KexRound | undefined;
  private firstKexDone = false;
  private strict = false;
  private held: Uint8Array[] = [];
  private readonly inbox = new PacketInbox();
  private closed = false;
  private failure: Error | undefined;
  private readonly rekeyPolicy: RekeyPolicy;
  private firstKex!: { resolve(): void; reject(e: Error): void; promise: Promise<void> };
  private readonly readTimeout = new ReadTimeout({
    waiting: () => !this.firstKexDone || this.kex !== undefined || this.inbox.waiting,
    expired: () => {
      if (!this.closed) {
        this.fail(new DisconnectError(`Connection to ${this.where} timed out`), false);
      }
    },
  });

  constructor(private readonly stream: ByteStream, private readonly opts: TransportOptions) {
    this.local = stream.local;
    this.remote = stream.remote;
    this.input = new InputBuffer(stream);
    this.rekeyPolicy = new RekeyPolicy(opts.rekeyLimitBytes, opts.rekeyLimitSeconds);
    this.reader = new PacketReader(this.input, this.where);
    this.outbox = new Outbox(
      stream,
      (e) => this.fail(e, false),
      (n) => (this.stats.bytesOut += n),
      recyclePacket,
    );
  }

  /** H of the first key exchange (RFC 4253 §7.2), signed over in user auth. */
  get sessionId(): Uint8Array {
    return this._sessionId;
  }
  /** The server's identification string, without CR LF. */
  get serverVersion(): string {
    return this._serverVersion;
  }
  /** The server's `server-sig-algs` (RFC 8308), once its EXT_INFO arrived. */
  get serverSigAlgs(): readonly string[] | undefined {
    return this._serverSigAlgs;
  }
  /** The algorithms of the current keys (MACs are "" for AEAD ciphers). */
  get algorithms(): Readonly<Negotiated> {
    return this._algorithms;
  }
  /** The server's host key blob from the first exchange. */
  get hostKey(): Uint8Array | undefined {
    return this._hostKey;
  }

  /** Strict kex (kex-strict-*-v00@openssh.com) was negotiated in the first exchange. */
  get strictKex(): boolean {
    return this.strict;
  }

  /** ssh's remote_id: "ADDR port N", or "UNKNOWN port 65535" through a ProxyCommand. */
  private get where(): string {
    return this.stream.peerId ?? `${this.opts.host} port ${this.opts.port}`;
  }

  /** Version exchange and the first key exchange; resolves after both NEWKEYS. */
  async handshake(): Promise<void> {
    let resolve!: () => void, reject!: (e: Error) => void;
    const promise = new Promise<void>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    promise.catch(() => {});
    this.firstKex = { resolve, reject, promise };
    if (!this.opts.versionSent) {
      this.outbox.pushRaw(new TextEncoder().encode(`${C.CLIENT_VERSION}\r\n`));
    }
    this._serverVersion = await readServerVersion(
      this.input,
      this.where,
      this.opts.connectTimeoutMs,
    );
    this.setReadTimeout(this.opts.readTimeoutMs ?? 0);
    this.startKex();
    this.readLoop();
    this.rekeyPolicy.start(() => this.maybeRekey());
    await promise;
  }

  // ---------------------------------------------------------------- sending

  send(payload: Uint8Array): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.closed) return Promise.reject(new DisconnectError("transport closed"));
    if (this.kex && !this.kex.sentNewKeys) {
      this.held.push(Uint8Array.from(payload));
      this.outbox.heldBytes += payload.length;
    } else {
      this.sendNow(payload);
    }
    this.rekeyPolicy.count(payload.length);
    this.maybeRekey();
    return this.outbox.backpressure();
  }

  /** Seals and queues one packet under the current keys, bypassing the kex hold. */
  private sendNow(payload: Uint8Array): void {
    const seq = this.seqOut;
    this.seqOut = (seq + 1) >>> 0;
    const sealer = this.sealer;
    const packet = buildPacket(payload, sealer);
    const release = sealer.releasesPacket === true;
    this.outbox.push(
      sealer.sealParts ? sealer.sealParts(seq, packet) : sealer.seal(seq, packet),
      packet.length,
    );
    // The payload was ours alone (send() callers hand it over); the sealer is done with it.
    if (release) recyclePacket(packet);
    this.stats.packetsOut++;
  }

  /** Starts a key exchange now (ssh's ~R). No-op while one is running or before the first. */
  rekey(): void {
    if (this.closed || this.kex || !this.firstKexDone) return;
    log.debug("request rekeying");
    this.startKex();
  }

  private maybeRekey(): void {
    if (this.closed || this.kex || !this.firstKexDone) return;
    if (this.rekeyPolicy.due()) {
      log.debug("rekey limit reached, rekeying");
      this.startKex();
    }
  }

  private startKex(): void {
    const ours = clientKexInit(this.opts.lists, !this.firstKexDone);
    const payload = encodeKexInit(ours);
    this.kex = new KexRound(
      {
        clientVersion: C.CLIENT_VERSION,
        serverVersion: this.serverVersion,
        where: this.where,
        sessionId: this.firstKexDone ? this.sessionId : undefined,
        firstHostKey: this.hostKey,
        verifyHostKey: this.opts.verifyHostKey,
      },
      payload,
      ours,
    );
    this.sendNow(payload);
  }

  /**
   * ssh's packet_timeout_ms: while we wait for the server (a key exchange running, or a
   * receive() pending), `ms` without a packet ends the connection with ssh's "Connection to H
   * port P timed out". Time spent not waiting (a password prompt) does not count. 0 = off.
   */
  setReadTimeout(ms: number): void {
    this.readTimeout.set(this.closed ? 0 : ms);
  }

  // ---------------------------------------------------------------- receiving

  /**
   * The next message for the layers above (types 5, 6 and >= 50). Resolves null after a clean
   * end of stream; rejects with DisconnectError after the server's DISCONNECT and with
   * ProtocolError after a protocol failure.
   */
  receive(): Promise<Uint8Array | null> {
    const p = this.inbox.shift();
    if (p) return Promise.resolve(p);
    if (this.failure) return Promise.reject(this.failure);
    if (this.closed) return Promise.resolve(null);
    // The read timeout counts from when someone starts waiting (as ssh's does per read).
    if (!this.inbox.waiting) this.readTimeout.touch();
    return this.inbox.wait();
  }

  receiveQueued(): Uint8Array | undefined {
    return this.inbox.shift();
  }

  private async readLoop(): Promise<void> {
    try {
      while (!this.closed) {
        // Open ahead only outside key exchange: a packet after NEWKEYS needs the new keys.
        const first = await this.reader.next(!this.kex);
        if (this.closed) return;
        if (!first) {
          this.onEof();
          return;
        }
        this.readTimeout.touch();
        // Then every packet that socket read brought in whole, without a promise each.
        let pkt: IncomingPacket | undefined = first;
        while (pkt) {
          this.stats.bytesIn += pkt.wireLength;
          this.stats.packetsIn++;
          this.rekeyPolicy.count(pkt.payload.length);
          const handled = this.dispatch(pkt.payload, pkt.seq);
          if (handled) await handled;
          if (this.closed) return;
          this.maybeRekey();
          const room = this.inbox.room();
          if (room) await room;
          if (this.closed) return;
          pkt = this.reader.nextBuffered();
        }
      }
    } catch (e) {
      this.fail(e instanceof Error ? e : new ProtocolError(String(e)));
    }
  }

  /** Handles one packet; a promise only for the key exchange steps that need one. */
  private dispatch(payload: Uint8Array, seq: number): void | Promise<void> {
    const type = payload[0];
    const kex = this.kex;
    if (kex?.ignoreGuess && type >= 30 && type <= 49) {
      kex.ignoreGuess = false;
      return;
    }
    switch (type) {
      case C.SSH_MSG_DISCONNECT:
        return this.onDisconnect(payload);
      case C.SSH_MSG_IGNORE:
        return this.checkAllowedBeforeKex(type);
      case C.SSH_MSG_DEBUG:
        this.checkAllowedBeforeKex(type);
        return this.onDebug(payload);
      case C.SSH_MSG_UNIMPLEMENTED:
        this.checkAllowedBeforeKex(type);
        log.debug(`Received SSH2_MSG_UNIMPLEMENTED for ${parseUnimplemented(payload)}`);
        return;
      case C.SSH_MSG_KEXINIT:
        return this.onKexInit(payload, seq);
      case C.SSH_MSG_KEX_ECDH_REPLY:
        return this.onKexReply(payload);
      case C.SSH_MSG_NEWKEYS:
        return this.onNewKeys();
      case C.SSH_MSG_EXT_INFO:
        if (!this.firstKexDone) throw new ProtocolError("SSH_MSG_EXT_INFO before key exchange");
        return this.onExtInfo(payload);
    }
    if (!this.firstKexDone) {
      throw new ProtocolError(`unexpected message type ${type} during initial key exchange`);
    }
    if (type >= 30 && type <= 49) throw new ProtocolError(`unexpected kex message type ${type}`);
    if (
      type >= C.SSH_MSG_USERAUTH_FIRST || type === C.SSH_MSG_SERVICE_ACCEPT ||
      type === C.SSH_MSG_SERVICE_REQUEST
    ) {
      this.inbox.deliver(payload);
      return;
    }
    this.sendNow(encodeUnimplemented(seq));
  }

  /** Strict kex forbids anything but kex messages until the first NEWKEYS. */
  private checkAllowedBeforeKex(type: number): void {
    if (!this.firstKexDone && this.strict) {
      throw new ProtocolError(`strict KEX violation: unexpected message type ${type}`);
    }
  }

  private onDebug(payload: Uint8Array): void {
    const { display, message } = parseDebug(payload);
    if (display) log.info(`Remote: ${message}`);
    else log.debug(`Remote: ${message}`);
  }

  private onDisconnect(payload: Uint8Array): void {
    const { code, description } = parseDisconnect(payload);
    this.fail(
      new DisconnectError(`Received disconnect from ${this.where}:${code}: ${description}`, code),
      false,
    );
  }

  private onExtInfo(payload: Uint8Array): void {
    const info = parseExtInfo(payload);
    if (info.serverSigAlgs) this._serverSigAlgs = info.serverSigAlgs;
    for (const name of info.extensions.keys()) {
      log.debug(`kex_ext_info_client_parse: ${name.slice(0, 64)}`);
    }
  }

  private async onKexInit(payload: Uint8Array, seq: number): Promise<void> {
    if (!this.kex) this.startKex();
    const round = this.kex!;
    const init = await round.onServerKexInit(payload);
    if (!this.firstKexDone) {
      this.strict = round.serverStrict;
      if (this.strict && seq !== 0) {
        throw new ProtocolError("strict KEX violation: KEXINIT was not the first packet");
      }
    }
    this.sendNow(init);
    // The new keys' backends are decided (libcrypto's self-test, ~10-15 ms the first time)
    // while the server computes its reply, once this packet is on its way. (Not on a timer:
    // the first one costs ~10 ms of its own, timeout_while_pending.ts.)
    this.outbox.drained().then(() => round.prepareCiphers()).catch(() => {});
  }

  private async onKexReply(payload: Uint8Array): Promise<void> {
    const round = this.kex;
    if (!round || !round.negotiated) throw new ProtocolError("unexpected key exchange reply");
    const nk = await round.onReply(payload);
    if (!this.firstKexDone) {
      this._sessionId = nk.h;
      this._hostKey = nk.hostKey;
    }
    this._algorithms = { ...round.negotiated };
    this.sendNow(Uint8Array.of(C.SSH_MSG_NEWKEYS));
    // The old sealer sealed NEWKEYS synchronously (libcrypto) or holds no native state.
    this.sealer.dispose?.();
    this.sealer = nk.sealer;
    if (this.strict) this.seqOut = 0;
    round.sentNewKeys = true;
    round.pendingOpener = nk.opener;
    const held = this.held;
    this.held = [];
    this.outbox.heldBytes = 0;
    for (const p of held) this.sendNow(p);
  }

  private onNewKeys(): void {
    const round = this.kex;
    if (!round?.pendingOpener) throw new ProtocolError("unexpected SSH_MSG_NEWKEYS");
    this.reader.setOpener(round.pendingOpener, this.strict);
    this.kex = undefined;
    this.rekeyPolicy.reset();
    if (!this.firstKexDone) {
      this.firstKexDone = true;
      this.firstKex.resolve();
    } else {
      this.stats.rekeys++;
      log.debug("rekeying completed");
    }
  }

  private onEof(): void {
    if (!this.firstKexDone) {
      this.fail(new DisconnectError(`Connection closed by ${this.where}`), false);
      return;
    }
    this.teardown(undefined);
  }

  // ---------------------------------------------------------------- closing

  async disconnect(reasonCode: number, description: string): Promise<void> {
    if (this.closed) return;
    this.sendNow(encodeDisconnect(reasonCode, description));
    await this.outbox.idle(2000);
    this.teardown(undefined);
  }

  close(): void {
    this.teardown(undefined);
  }

  /** Ends the transport with an error, telling the peer why when that still makes sense. */
  private fail(err: Error, tellPeer = true): void {
    if (this.closed) return;
    // What ends the connection from inside the packet layer is ssh's sshpkt_fatal: INFO.
    if (err instanceof ProtocolError || err instanceof DisconnectError) reportAtInfo(err);
    this.failure = err;
    log.debug(`transport failed: ${err.message}`);
    if (tellPeer && err instanceof ProtocolError) {
      try {
        this.sendNow(encodeDisconnect(disconnectReasonCode(err), err.message.slice(0, 200)));
      } catch { /* nothing more to do */ }
      // Waiters are told only after the DISCONNECT left (or 500 ms), so a caller that closes
      // on error does not cut it off.
      this.closed = true;
      this.outbox.idle(500).finally(() => this.teardown(err));
      return;
    }
    this.teardown(err);
  }

  private rejectWaiters(err: Error | undefined): void {
    this.inbox.end(err);
    if (err && this.firstKex) this.firstKex.reject(err);
    else if (this.firstKex && !this.firstKexDone) {
      this.firstKex.reject(new DisconnectError(`Connection closed by ${this.where}`));
    }
    this.outbox.releaseWaiters();
  }

  private teardown(err: Error | undefined): void {
    if (err && !this.failure) this.failure = err;
    this.closed = true;
    this.readTimeout.stop();
    this.rekeyPolicy.stop();
    this.stream.close();
    // Native key contexts go now, not at some garbage collection; a late seal or open on
    // them throws, which a closed transport ignores.
    this.sealer.dispose?.();
    this.kex?.pendingOpener?.dispose?.();
    this.reader.dispose();
    this.rejectWaiters(this.failure);
  }
}
