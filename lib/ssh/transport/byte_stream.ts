// The byte pipe under the transport: a TCP connection (Deno's, direct_tcp.ts/family_tcp.ts; from
// a bound source with -b/-B, bound_tcp.ts) or a ProxyCommand's stdin/stdout (`sh -c`, like ssh).
// Connection failures become FatalError with ssh's messages
// ("ssh: connect to host H port P: Connection refused").

import { DisconnectError, FatalError } from "../../errors.ts";
import { log } from "../../log.ts";
import { lazyModule } from "../../lazy_module.ts";
import { connectDirectTcp } from "./direct_tcp.ts";

export interface ByteStream {
  /** Reads into `buf`; resolves the byte count, or null at end of stream. */
  read(buf: Uint8Array): Promise<number | null>;
  /** Writes all of `data`. */
  write(data: Uint8Array): Promise<void>;
  /** Closes the stream (idempotent); pending reads end. */
  close(): void;
  readonly local: { host: string; port: number } | undefined;
  readonly remote: { host: string; port: number };
  /** How ssh names the peer in messages (its remote_id): "ADDR port N". */
  readonly peerId?: string;
}

/** ssh's remote_id when the transport is not a socket (ProxyCommand's pipes). */
const NOT_A_SOCKET = "UNKNOWN port 65535";

class TcpStream implements ByteStream {
  private closed = false;
  readonly local: { host: string; port: number };
  readonly remote: { host: string; port: number };
  constructor(private readonly conn: Deno.TcpConn) {
    const l = conn.localAddr as Deno.NetAddr;
    const r = conn.remoteAddr as Deno.NetAddr;
    this.local = { host: l.hostname, port: l.port };
    this.remote = { host: r.hostname, port: r.port };
  }
  get peerId(): string {
    return `${this.remote.host} port ${this.remote.port}`;
  }
  async read(buf: Uint8Array): Promise<number | null> {
    if (this.closed) return null;
    try {
      return await this.conn.read(buf);
    } catch (e) {
      if (this.closed) return null;
      throw ioError(e, this.peerId, "read");
    }
  }
  async write(data: Uint8Array): Promise<void> {
    let off = 0;
    try {
      while (off < data.length) off += await this.conn.write(data.subarray(off));
    } catch (e) {
      throw ioError(e, this.peerId, "write");
    }
  }
  close(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      this.conn.close();
    } catch { /* already closed by the runtime */ }
  }
}

/** A socket error after connect, worded like ssh ("Connection reset by H port P"). */
function ioError(e: unknown, where: string, op: "read" | "write"): DisconnectError {
  if (e instanceof Deno.errors.ConnectionReset) {
    return new DisconnectError(`Connection reset by ${where}`);
  }
  if (e instanceof Deno.errors.BrokenPipe) {
    // ssh's sshpkt_fatal wording for a failed packet write (EPIPE).
    return new DisconnectError(`ssh_dispatch_run_fatal: Connection to ${where}: Broken pipe`);
  }
  const msg = e instanceof Error ? e.message.replace(/\s*\(os error \d+\)$/, "") : String(e);
  return new DisconnectError(`${op} ${where}: ${msg}`);
}

/**
 * Everything a TCP connect depends on, named as in the transport config (which is one): the
 * early connect and connectTransport compare two of these to know the connection is the same.
 */
export interface TcpTarget {
  host: string;
  port: number;
  connectTimeoutMs?: number;
  /** ConnectionAttempts: rounds over the address list (default 1) */
  connectionAttempts?: number;
  /** BindAddress / BindInterface: where the connection leaves from */
  bindAddress?: string;
  bindInterface?: string;
  /** AddressFamily: which of the destination's addresses are tried */
  addressFamily?: "any" | "inet" | "inet6";
}

/** A TcpTarget as a comparable string; an unset field and its default are the same. */
export function tcpTargetKey(t: TcpTarget): string {
  return JSON.stringify([
    t.host,
    t.port,
    t.connectTimeoutMs ?? null,
    t.connectionAttempts ?? 1,
    t.bindAddress ?? "",
    t.bindInterface ?? "",
    t.addressFamily ?? "any",
  ]);
}

/**
 * Opens a TCP connection like ssh: ConnectTimeout (ms) per connect, ConnectionAttempts rounds.
 * With BindAddress or BindInterface it goes through ffi/ (bound_tcp.ts); otherwise through
 * Deno.connect, which is quicker to start and cannot bind, given the addresses of one family
 * under AddressFamily inet/inet6 (family_tcp.ts) or the name to resolve itself.
 */
export async function connectTcp(t: TcpTarget): Promise<ByteStream> {
  if (t.bindAddress || t.bindInterface) {
    // Loaded only here: the FFI connect's modules are no cost to a connection without -b/-B.
    const bound: typeof import("./bound_tcp.ts") = await import(lazyModule("./bound_tcp.ts"));
    return await bound.connectBoundTcp(t);
  }
  const rounds = { timeoutMs: t.connectTimeoutMs, attempts: t.connectionAttempts ?? 1 };
  let conn: Deno.TcpConn;
  if (t.addressFamily === "inet" || t.addressFamily === "inet6") {
    const f: typeof import("./family_tcp.ts") = await import(lazyModule("./family_tcp.ts"));
    conn = await f.connectFamilyTcp(t.host, t.port, t.addressFamily, rounds);
  } else {
    conn = await connectDirectTcp(t.host, t.port, rounds);
  }
  conn.setNoDelay(true);
  return new TcpStream(conn);
}

/** ssh's ProxyCommand tokens: %h host, %p port, %r user (left as is), %% a percent sign. */
export function expandProxyCommand(cmd: string, host: string, port: number): string {
  return cmd.replace(/%([hp%])/g, (_, t) => (t === "h" ? host : t === "p" ? String(port) : "%"));
}

class ProxyCommandStream implements ByteStream {
  private readonly reader: ReadableStreamDefaultReader<Uint8Array>;
  private readonly writer: WritableStreamDefaultWriter<Uint8Array>;
  private leftover: Uint8Array | undefined;
  private closed = false;
  readonly local = undefined;
  readonly peerId = NOT_A_SOCKET;
  constructor(
    private readonly child: Deno.ChildProcess,
    readonly remote: { host: string; port: number },
  ) {
    this.reader = child.stdout.getReader();
    this.writer = child.stdin.getWriter();
    // Reap the child; its exit is reported through end-of-stream on stdout.
    child.status.then((s) => log.debug(`ProxyCommand exited with status ${s.code}`), () => {});
  }
  async read(buf: Uint8Array): Promise<number | null> {
    if (this.closed) return null;
    let chunk = this.leftover;
    this.leftover = undefined;
    if (!chunk) {
      const r = await this.reader.read().catch(() => ({ done: true, value: undefined }));
      if (r.done || !r.value) return null;
      chunk = r.value;
    }
    const n = Math.min(buf.length, chunk.length);
    buf.set(chunk.subarray(0, n));
    if (n < chunk.length) this.leftover = chunk.subarray(n);
    return n;
  }
  async write(data: Uint8Array): Promise<void> {
    // The writer may keep a reference to the chunk, so hand it a copy it owns.
    try {
      await this.writer.write(Uint8Array.from(data));
    } catch (e) {
      throw ioError(e, this.peerId, "write");
    }
  }
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.writer.close().catch(() => {});
    this.reader.cancel().catch(() => {});
    try {
      this.child.kill("SIGHUP");
    } catch { /* already exited */ }
  }
}

/** Spawns `sh -c proxyCommand` and talks SSH over its stdin/stdout; stderr stays the user's. */
export function spawnProxyCommand(proxyCommand: string, host: string, port: number): ByteStream {
  const cmd = expandProxyCommand(proxyCommand, host, port);
  log.debug(`Executing proxy command: exec ${cmd}`);
  try {
    const child = new Deno.Command("sh", {
      args: ["-c", `exec ${cmd}`],
      stdin: "piped",
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    return new ProxyCommandStream(child, { host, port });
  } catch (e) {
    throw new FatalError(`ssh: proxy command failed: ${e instanceof Error ? e.message : e}`);
  }
}
