// One key exchange round (initial or rekey), as a small sans-IO state machine: it takes the
// server's KEXINIT and kex reply and returns what to send and the new packet protection.
// The transport drives it and does all I/O.

import { ProtocolError } from "../../errors.ts";
import { log } from "../../log.ts";
import { WireWriter } from "../../wire/writer.ts";
import type { PacketOpener, PacketSealer } from "../crypto/cipher.ts";
import { cipherByName, cipherOnFallback } from "../crypto/ciphers.ts";
import { macByName, macOnFallback } from "../crypto/mac.ts";
import { loadNodeCrypto } from "../crypto/node_crypto.ts";
import { fingerprintSha256 } from "../keys/public_key.ts";
import { sameBytes } from "../keys/signer.ts";
import { KEX_STRICT_S, SSH_MSG_KEX_ECDH_INIT } from "./constants.ts";
import { kexByName } from "./kex/registry.ts";
import type { KexClient, KexMethod } from "./kex/kex_method.ts";
import { deriveKey, exchangeHash, parseKexReply, verifyHostSignature } from "./key_exchange.ts";
import { chooseAlgorithms, type KexInit, type Negotiated, parseKexInit } from "./kexinit.ts";

export interface KexRoundContext {
  clientVersion: string;
  serverVersion: string;
  /** "H port P" for messages. */
  where: string;
  /** Undefined on the first exchange. */
  sessionId?: Uint8Array;
  /** The host key from the first exchange; a rekey must present the same one. */
  firstHostKey?: Uint8Array;
  verifyHostKey(blob: Uint8Array, algorithm: string): Promise<void>;
}

export interface NewKeys {
  h: Uint8Array;
  hostKey: Uint8Array;
  sealer: PacketSealer;
  opener: PacketOpener;
}

export class KexRound {
  theirKexInit?: Uint8Array;
  negotiated?: Negotiated;
  /** The server offered strict kex (only meaningful on the first exchange). */
  serverStrict = false;
  /** The server sent a guessed kex packet for a method we did not choose: drop it. */
  ignoreGuess = false;
  private method?: KexMethod;
  private client?: KexClient;
  replied = false;
  sentNewKeys = false;
  pendingOpener?: PacketOpener;

  constructor(
    private readonly ctx: KexRoundContext,
    readonly ourKexInit: Uint8Array,
    private readonly ours: KexInit,
  ) {}

  /** Handles the server's KEXINIT; returns the payload of our kex init message (30). */
  async onServerKexInit(payload: Uint8Array): Promise<Uint8Array> {
    if (this.theirKexInit) throw new ProtocolError("duplicate SSH_MSG_KEXINIT");
    this.theirKexInit = Uint8Array.from(payload);
    const theirs = parseKexInit(payload);
    this.serverStrict = theirs.kex.includes(KEX_STRICT_S);
    const n = chooseAlgorithms(
      this.ours,
      theirs,
      (c) => cipherByName(c)?.aead ?? false,
      this.ctx.where,
    );
    this.negotiated = n;
    if (theirs.firstKexPacketFollows) {
      // RFC 4253 §7: the guess was wrong when the two sides' first kex or host key algorithms
      // differ; the server then resends, and its guessed packet must be dropped.
      this.ignoreGuess = theirs.kex[0] !== this.ours.kex[0] ||
        theirs.hostKey[0] !== this.ours.hostKey[0];
    }
    log.debug(`kex: algorithm: ${n.kex}`);
    log.debug(`kex: host key algorithm: ${n.hostKey}`);
    log.debug(`kex: server->client cipher: ${n.cipherSC} MAC: ${n.macSC || "<implicit>"}`);
    log.debug(`kex: client->server cipher: ${n.cipherCS} MAC: ${n.macCS || "<implicit>"}`);
    const method = kexByName(n.kex);
    if (!method) throw new ProtocolError(`internal: negotiated unknown kex ${n.kex}`);
    this.method = method;
    this.client = await method.start();
    return new WireWriter(this.client.clientField.length + 8)
      .u8(SSH_MSG_KEX_ECDH_INIT)
      .raw(this.client.clientField)
      .finish();
  }

  /**
   * Decides which backend carries each negotiated algorithm (the first decision per family
   * runs libcrypto's self-test) and loads node:crypto when the fallback is in play: its
   * ciphers and MACs call it synchronously, and loading it costs ~60 ms of CPU, so only then.
   * The transport calls this while it waits for the reply; onReply calls it again (cached).
   */
  prepareCiphers(): Promise<void> {
    const n = this.negotiated;
    if (!n) return Promise.resolve();
    const mCS = n.macCS ? macByName(n.macCS) : undefined;
    const mSC = n.macSC ? macByName(n.macSC) : undefined;
    if (
      cipherOnFallback(n.cipherCS) || cipherOnFallback(n.cipherSC) ||
      (mCS !== undefined && macOnFallback(mCS)) || (mSC !== undefined && macOnFallback(mSC))
    ) {
      return loadNodeCrypto();
    }
    return Promise.resolve();
  }

  /** Handles the kex reply (31): verifies the server and derives the new keys. */
  async onReply(payload: Uint8Array): Promise<NewKeys> {
    const method = this.method, client = this.client, n = this.negotiated;
    if (!method || !client || !n || this.replied) {
      throw new ProtocolError("unexpected key exchange reply");
    }
    this.replied = true;
    const reply = parseKexReply(payload);
    const k = await client.finish(reply.serverField);
    const h = exchangeHash(method.hash, {
      clientVersion: this.ctx.clientVersion,
      serverVersion: this.ctx.serverVersion,
      clientKexInit: this.ourKexInit,
      serverKexInit: this.theirKexInit!,
      hostKey: reply.hostKey,
      clientField: client.clientField,
      serverField: reply.serverField,
      sharedSecret: k,
    });
    await verifyHostSignature(n.hostKey, reply.hostKey, reply.signature, h);
    const first = this.ctx.firstHostKey;
    if (first) {
      if (!sameBytes(first, reply.hostKey)) {
        throw new ProtocolError("Server host key changed during rekeying");
      }
    } else {
      log.debug(`Server host key: ${n.hostKey} ${fingerprintSha256(reply.hostKey)}`);
      await this.ctx.verifyHostKey(reply.hostKey, n.hostKey);
    }
    const sid = this.ctx.sessionId ?? h;
    const key = (letter: string, len: number) => deriveKey(method.hash, k, h, letter, sid, len);
    const cCS = cipherByName(n.cipherCS)!, cSC = cipherByName(n.cipherSC)!;
    const mCS = n.macCS ? macByName(n.macCS) : undefined;
    const mSC = n.macSC ? macByName(n.macSC) : undefined;
    await this.prepareCiphers();
    const sealer = cCS.sealer(
      key("C", cCS.keyLength),
      key("A", cCS.ivLength),
      mCS,
      mCS ? key("E", mCS.keyLength) : undefined,
    );
    const opener = cSC.opener(
      key("D", cSC.keyLength),
      key("B", cSC.ivLength),
      mSC,
      mSC ? key("F", mSC.keyLength) : undefined,
    );
    log.debug(`kex: client->server cipher ${n.cipherCS} runs on ${sealer.backend ?? "?"}`);
    log.debug(`kex: server->client cipher ${n.cipherSC} runs on ${opener.backend ?? "?"}`);
    return { h, hostKey: reply.hostKey, sealer, opener };
  }
}
