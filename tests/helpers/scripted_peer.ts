// A scripted far end for tests of anything built on SshConnection (channels, sessions,
// forwards): the test reads what our side sent as decoded messages and answers with raw
// payloads built by the connection layer's encoders. No timing: every await is on a message.

import {
  type ConnectionMessage,
  decodeConnectionMessage,
  encodeOpenConfirmation,
} from "../../lib/ssh/connection/mod.ts";
import { type MemoryTransport, memoryTransportPair } from "./memory_transport.ts";

export class ScriptedPeer {
  /** The transport to give our SshConnection. */
  readonly local: MemoryTransport;
  private readonly remote: MemoryTransport;
  private nextRemoteId = 100;

  constructor() {
    [this.local, this.remote] = memoryTransportPair();
  }

  /** Next message our side sent, decoded; rejects after `timeoutMs` (a hung test fails). */
  async next(timeoutMs = 5000): Promise<ConnectionMessage> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error("scripted peer: no message in time")), timeoutMs);
    });
    try {
      const p = await Promise.race([this.remote.receive(), timeout]);
      if (p === null) throw new Error("scripted peer: transport closed");
      return decodeConnectionMessage(p);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Next message, which must be of `kind`. */
  async expect<K extends ConnectionMessage["kind"]>(
    kind: K,
  ): Promise<Extract<ConnectionMessage, { kind: K }>> {
    const m = await this.next();
    if (m.kind !== kind) throw new Error(`scripted peer: expected ${kind}, got ${m.kind}`);
    return m as Extract<ConnectionMessage, { kind: K }>;
  }

  /** Resolves null when our side closed the transport, else the next message. */
  async nextOrClose(timeoutMs = 5000): Promise<ConnectionMessage | null> {
    try {
      return await this.next(timeoutMs);
    } catch (e) {
      if (String(e).includes("transport closed")) return null;
      throw e;
    }
  }

  send(payload: Uint8Array): Promise<void> {
    return this.remote.send(payload);
  }

  /** Reads our CHANNEL_OPEN and confirms it; returns the ids and the open message. */
  async acceptOpen(window = 2 * 1024 * 1024, maxPacket = 32768): Promise<{
    localId: number;
    remoteId: number;
    open: Extract<ConnectionMessage, { kind: "channel-open" }>;
  }> {
    const open = await this.expect("channel-open");
    const remoteId = this.nextRemoteId++;
    await this.send(encodeOpenConfirmation(open.sender, remoteId, window, maxPacket));
    return { localId: open.sender, remoteId, open };
  }

  /** Closes the peer's end, as a dropped connection would. */
  close(): void {
    this.remote.close();
  }
}
