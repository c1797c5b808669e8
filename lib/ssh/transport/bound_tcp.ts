// TCP from a chosen source address (BindAddress/BindInterface) through ffi/'s connectTcpFrom,
// since Deno.connect cannot bind. It resolves the destination itself (getaddrinfo, as ssh
// does, /etc/hosts included), so it can try each address in turn with a source of the
// same family, like ssh: a source that cannot be had (bad -b, no address on -B's interface,
// bind failure) is logged and skips that address; when none connects, the last connect error
// (or "failure" when the last address got no socket) ends in "ssh: connect to host ...", after
// ConnectionAttempts rounds (attempts.ts).
import { type BoundConnection, connectTcpFrom, SysError } from "../../../ffi/inet.ts";
import { DisconnectError } from "../../errors.ts";
import { log } from "../../log.ts";
import { connectInRounds } from "./attempts.ts";
import { logConnecting } from "./direct_tcp.ts";
import { resolveDestination } from "./resolve_destination.ts";
import { sourceAddress } from "./bind_source.ts";
import type { ByteStream, TcpTarget } from "./byte_stream.ts";

export async function connectBoundTcp(t: TcpTarget): Promise<ByteStream> {
  const { host, port } = t;
  const addrs = await resolveDestination(host, t.addressFamily);
  const rounds = t.connectionAttempts ?? 1;
  const conn = await connectInRounds<BoundConnection>(host, port, rounds, async () => {
    let failed = "failure";
    for (const a of addrs) {
      logConnecting(host, a.host, port);
      const source = await sourceAddress(a.family, t);
      if (source === undefined) {
        failed = "failure";
        continue;
      }
      try {
        return {
          ok: await connectTcpFrom({
            remote: { ...a, port },
            bind: source,
            timeoutMs: t.connectTimeoutMs,
          }),
        };
      } catch (e) {
        if (!(e instanceof SysError)) throw e;
        if (e.op === "connect") {
          log.debug(`connect to address ${a.host} port ${port}: ${e.description}`);
          failed = e.description;
        } else {
          log.error(`${e.op === "bind" ? `bind ${source.host}` : e.op}: ${e.description}`);
          failed = "failure";
        }
      }
    }
    return { failed };
  });
  return new BoundTcpStream(conn);
}

class BoundTcpStream implements ByteStream {
  private closed = false;
  readonly local: { host: string; port: number };
  readonly remote: { host: string; port: number };
  constructor(private readonly conn: BoundConnection) {
    this.local = { host: conn.local.host, port: conn.local.port };
    this.remote = { host: conn.remote.host, port: conn.remote.port };
  }
  get peerId(): string {
    return `${this.remote.host} port ${this.remote.port}`;
  }
  async read(buf: Uint8Array): Promise<number | null> {
    if (this.closed) return null;
    try {
      const n = await this.conn.io.read(buf);
      return n === 0 ? null : n;
    } catch (e) {
      if (this.closed) return null;
      throw sysIoError(e, this.peerId, "read");
    }
  }
  async write(data: Uint8Array): Promise<void> {
    try {
      await this.conn.io.write(data);
    } catch (e) {
      throw sysIoError(e, this.peerId, "write");
    }
  }
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.conn.io.close();
  }
}

/** A socket error after connect, worded as byte_stream.ts words Deno's (ssh's texts). */
function sysIoError(e: unknown, where: string, op: "read" | "write"): DisconnectError {
  if (!(e instanceof SysError)) {
    return new DisconnectError(`${op} ${where}: ${e instanceof Error ? e.message : e}`);
  }
  if (e.code === "ECONNRESET") return new DisconnectError(`Connection reset by ${where}`);
  if (e.code === "EPIPE") {
    return new DisconnectError(`ssh_dispatch_run_fatal: Connection to ${where}: Broken pipe`);
  }
  return new DisconnectError(`${op} ${where}: ${e.description}`);
}
