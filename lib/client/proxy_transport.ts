// `-O proxy`: after MUX_S_PROXY the control socket carries plain SSH packets (u32 length, u8
// padding 0, payload; no crypto). This PacketTransport lets plain mode run its session over the
// master's connection. Like OpenSSH's client in mux mode (packet.c), it only sends connection
// protocol messages (types 80..127): the master would kill the proxy over anything else.

import type { UnixSocket } from "../../ffi/mod.ts";
import { log } from "../log.ts";
import { encodeProxyPacket, ProxyFramer } from "../mux/proxy_framing.ts";
import { isConnectionMessage } from "../ssh/connection/mod.ts";
import type { PacketTransport } from "../ssh/packet_transport.ts";

/** Read size per socket read: one max-size proxy packet. */
const READ_CHUNK = 256 * 1024;

export class MuxProxyTransport implements PacketTransport {
  private readonly framer = new ProxyFramer();
  private closed = false;
  private eof = false;

  constructor(private readonly sock: UnixSocket) {}

  async send(payload: Uint8Array): Promise<void> {
    if (this.closed) throw new Error("proxy transport is closed");
    const type = payload[0];
    if (type === undefined || !isConnectionMessage(type)) {
      log.debug3(`proxy mode: not sending message type ${type} (outside 80..127)`);
      return;
    }
    await this.sock.write(encodeProxyPacket(payload));
  }

  async receive(): Promise<Uint8Array | null> {
    while (true) {
      const payload = this.framer.next();
      if (payload !== null) return payload;
      if (this.closed || this.eof) return null;
      let chunk: Uint8Array | null;
      try {
        chunk = await this.sock.readSome(READ_CHUNK);
      } catch (e) {
        if (this.closed) return null;
        throw e;
      }
      if (chunk === null || chunk.length === 0) {
        this.eof = true;
        this.framer.end(); // throws if the master stopped inside a packet
        return null;
      }
      this.framer.append(chunk);
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.sock.close();
  }
}
