// A control connection over this process's stdin and stdout (`sshmux -M -S - host`): the
// program that started us speaks PROTOCOL.mux on the pipe, typically HELLO then PROXY, with no
// socket in the file system (a container exec, an embedding program). Pipes carry no fds, so
// NEW_SESSION and NEW_STDIO_FWD are refused there; everything else works as on a socket.

import { EofError, FdIo, RawFd } from "../../ffi/mod.ts";
import type { ControlStream } from "./control_stream.ts";

/** Reads are at most this large (one max-size proxy packet and its header fit). */
const READ_CHUNK = 256 * 1024 + 64;

export class StdioControlStream implements ControlStream {
  readonly #in: FdIo;
  readonly #out: FdIo;
  /** Bytes read past what the last readExact needed, served first. */
  #pending: Uint8Array = new Uint8Array(0);
  #eof = false;
  #closed = false;

  constructor(input: RawFd = RawFd.std(0), output: RawFd = RawFd.std(1)) {
    this.#in = new FdIo(input);
    this.#out = new FdIo(output);
  }

  get closed(): boolean {
    return this.#closed;
  }

  async #fill(): Promise<boolean> {
    if (this.#eof) return false;
    const buf = new Uint8Array(READ_CHUNK);
    const n = await this.#in.read(buf);
    if (n === 0) {
      this.#eof = true;
      return false;
    }
    const got = buf.subarray(0, n);
    if (this.#pending.length === 0) {
      this.#pending = n < READ_CHUNK / 2 ? got.slice() : got;
    } else {
      const joined = new Uint8Array(this.#pending.length + n);
      joined.set(this.#pending);
      joined.set(got, this.#pending.length);
      this.#pending = joined;
    }
    return true;
  }

  #take(n: number): Uint8Array {
    const out = this.#pending.subarray(0, n);
    this.#pending = this.#pending.subarray(n);
    return out;
  }

  async readExact(n: number): Promise<Uint8Array | null> {
    while (this.#pending.length < n) {
      if (!await this.#fill()) {
        const got = this.#pending.length;
        if (got === 0) return null;
        this.#pending = new Uint8Array(0); // a frame cut short is gone, not half-read later
        throw new EofError(`stdin closed after ${got} of ${n} bytes`);
      }
    }
    return this.#take(n).slice();
  }

  async readSome(max: number): Promise<Uint8Array | null> {
    if (this.#pending.length === 0 && !await this.#fill()) return null;
    return this.#take(Math.min(max, this.#pending.length));
  }

  write(data: Uint8Array): Promise<void> {
    return this.#out.write(data);
  }

  recvFd(): Promise<RawFd> {
    return Promise.reject(new Error("file descriptors cannot be passed over stdin/stdout"));
  }

  discardPending(): void {
    this.#pending = new Uint8Array(0);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#in.close();
    this.#out.close();
  }
}
