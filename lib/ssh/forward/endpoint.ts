// Adapters between local streams (Deno sockets, stdio) and the two shapes the forwarders use:
// ByteEndpoint (what `bridge` pumps) and ChunkStream (what the SOCKS handshake reads).
// Each socket is closed exactly once, whoever asks first.

import type { ByteEndpoint, Channel } from "../connection/mod.ts";
import type { ChunkStream } from "./socks_server.ts";

/** A socket endpoint that also exposes chunk reads for the SOCKS handshake. */
export interface ConnEndpoint extends ByteEndpoint, ChunkStream {
  closeWrite(): void;
  close(): void;
  readonly isClosed: boolean;
}

const CHUNK = 16 * 1024;

export function connEndpoint(conn: Deno.Conn): ConnEndpoint {
  let closed = false;
  let writeClosed = false;
  const ep: ConnEndpoint = {
    get isClosed() {
      return closed;
    },
    async read(buf) {
      if (closed) return 0;
      try {
        return (await conn.read(buf)) ?? 0;
      } catch (e) {
        if (closed) return 0; // our own close() interrupted the read
        throw e;
      }
    },
    async write(data) {
      let off = 0;
      while (off < data.length) off += await conn.write(data.subarray(off));
    },
    async readChunk() {
      const buf = new Uint8Array(CHUNK);
      const n = await ep.read(buf);
      return n === 0 ? null : buf.slice(0, n);
    },
    closeWrite() {
      if (closed || writeClosed) return;
      writeClosed = true;
      try {
        conn.closeWrite();
      } catch { /* peer already gone: nothing left to half-close */ }
    },
    close() {
      if (closed) return;
      closed = true;
      try {
        conn.close();
      } catch { /* already closed by the runtime */ }
    },
  };
  return ep;
}

/** An endpoint that first yields `prefix` (bytes read ahead, e.g. after a SOCKS request). */
export function prefixedEndpoint(inner: ByteEndpoint, prefix: Uint8Array): ByteEndpoint {
  let pending = prefix.length > 0 ? prefix : null;
  return {
    read(buf) {
      if (pending) {
        const n = Math.min(buf.length, pending.length);
        buf.set(pending.subarray(0, n));
        pending = n < pending.length ? pending.subarray(n) : null;
        return Promise.resolve(n);
      }
      return inner.read(buf);
    },
    write: (d) => inner.write(d),
    closeWrite: inner.closeWrite ? () => inner.closeWrite!() : undefined,
    close: inner.close ? () => inner.close!() : undefined,
  };
}

/** A channel as a ChunkStream, for running SOCKS over a forwarded-tcpip channel. */
export function channelChunkStream(ch: Channel): ChunkStream {
  return {
    readChunk: () => ch.read(),
    write: async (d) => {
      await ch.write(d);
    },
  };
}

/** Originator address and port for direct-tcpip, as ssh fills them (127.0.0.1:65535 for unix). */
export function originOf(conn: Deno.Conn): { ip: string; port: number } {
  const a = conn.remoteAddr;
  if (a.transport === "tcp") return { ip: a.hostname, port: a.port };
  return { ip: "127.0.0.1", port: 65535 };
}
