// A small program that embeds a master the way issue #12 item 7 means it: it starts
// `sshmux -M -S - host` with pipes for stdin/stdout, speaks PROTOCOL.mux on them (HELLO, then
// PROXY), and then runs its own SSH connection layer over the one pipe, as `ssh -O proxy`
// does over a socket. No socket exists in the file system at any point.

import { decodeMux } from "../../lib/mux/decode.ts";
import { encodeMux } from "../../lib/mux/encode.ts";
import { readMuxFrame } from "../../lib/mux/framer.ts";
import type { MuxReply } from "../../lib/mux/messages.ts";
import { encodeProxyPacket, ProxyFramer } from "../../lib/mux/proxy_framing.ts";
import { SshConnection } from "../../lib/ssh/connection/connection.ts";
import type { PacketTransport } from "../../lib/ssh/packet_transport.ts";

/** Buffered exact reads over a ReadableStream (the master's stdout). */
class PipeReader {
  #buf = new Uint8Array(0);
  #eof = false;
  constructor(private readonly r: ReadableStreamDefaultReader<Uint8Array>) {}

  async #fill(): Promise<boolean> {
    if (this.#eof) return false;
    const { value, done } = await this.r.read();
    if (done) {
      this.#eof = true;
      return false;
    }
    const joined = new Uint8Array(this.#buf.length + value.length);
    joined.set(this.#buf);
    joined.set(value, this.#buf.length);
    this.#buf = joined;
    return true;
  }

  async readExact(n: number): Promise<Uint8Array | null> {
    while (this.#buf.length < n) {
      if (!await this.#fill()) return this.#buf.length === 0 ? null : this.#take(this.#buf.length);
    }
    return this.#take(n);
  }

  /** Whatever is buffered, or the next chunk; null at EOF. */
  async readSome(): Promise<Uint8Array | null> {
    if (this.#buf.length === 0 && !await this.#fill()) return null;
    return this.#take(this.#buf.length);
  }

  #take(n: number): Uint8Array {
    const out = this.#buf.slice(0, n);
    this.#buf = this.#buf.subarray(n);
    return out;
  }
}

/** Proxy-mode packets over the pipes (what MuxProxyTransport does over a socket). */
class PipeProxyTransport implements PacketTransport {
  readonly #framer = new ProxyFramer();
  #closed = false;
  constructor(
    private readonly reader: PipeReader,
    private readonly writer: WritableStreamDefaultWriter<Uint8Array>,
  ) {}

  async send(payload: Uint8Array): Promise<void> {
    if (this.#closed) throw new Error("closed");
    await this.writer.write(encodeProxyPacket(payload));
  }

  async receive(): Promise<Uint8Array | null> {
    for (;;) {
      const p = this.#framer.next();
      if (p !== null) return p;
      if (this.#closed) return null;
      const chunk = await this.reader.readSome();
      if (chunk === null) return null;
      this.#framer.append(chunk);
    }
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.writer.close().catch(() => {});
  }
}

export interface StdioMaster {
  child: Deno.ChildProcess;
  /** The master's HELLO extensions. */
  extensions: [string, string][];
  /** Sends one mux request and reads its reply (before PROXY). */
  request(msg: Parameters<typeof encodeMux>[0]): Promise<MuxReply>;
  /** MUX_C_PROXY; afterwards the pipe carries an SSH connection layer. */
  proxy(): Promise<SshConnection>;
  stderr(): string;
  /** Closes our end of the master's stdin and waits for it to exit. */
  finish(): Promise<Deno.CommandStatus>;
}

const dec = new TextDecoder();

export async function startStdioMaster(program: string, args: string[]): Promise<StdioMaster> {
  const child = new Deno.Command(program, {
    args,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  const reader = new PipeReader(child.stdout.getReader());
  const errChunks: Uint8Array[] = [];
  const errDone = (async () => {
    for await (const c of child.stderr) errChunks.push(c);
  })();
  const stderr = () => errChunks.map((c) => dec.decode(c)).join("");
  const read = async (): Promise<MuxReply> => {
    const body = await readMuxFrame((n) => reader.readExact(n));
    if (body === null) throw new Error(`master closed its stdout: ${stderr()}`);
    return decodeMux(body, "toClient") as MuxReply;
  };
  await writer.write(encodeMux({ kind: "Hello", version: 4, extensions: [] }));
  const hello = await read();
  if (hello.kind !== "Hello") throw new Error(`expected HELLO, got ${hello.kind}`);
  let conn: SshConnection | undefined;
  return {
    child,
    extensions: hello.extensions,
    async request(msg) {
      await writer.write(encodeMux(msg));
      return await read();
    },
    async proxy() {
      await writer.write(encodeMux({ kind: "Proxy", rid: 100 }));
      const r = await read();
      if (r.kind !== "ProxyOk") throw new Error(`proxy refused: ${JSON.stringify(r)}`);
      conn = new SshConnection(new PipeProxyTransport(reader, writer));
      return conn;
    },
    stderr,
    async finish() {
      if (conn) conn.close("done");
      else await writer.close().catch(() => {});
      const status = await child.status;
      await errDone;
      return status;
    },
  };
}
