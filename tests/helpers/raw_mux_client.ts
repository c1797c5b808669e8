// A hand-driven control connection for tests that play a broken or hostile mux client against
// a master: raw bytes, frames, any number of fds per message, replies read one frame at a time.

import { connectUnix, type RawFd, UnixSocket } from "../../ffi/mod.ts";
import { fdNumber } from "../../ffi/raw_fd.ts";
import { trySendFds } from "../../ffi/fdpass.ts";
import { POLLOUT, waitFd } from "../../ffi/reactor.ts";
import { decodeMux } from "../../lib/mux/decode.ts";
import { encodeMux } from "../../lib/mux/encode.ts";
import type { MuxMessage, MuxReply } from "../../lib/mux/messages.ts";

/** A plain NEW_SESSION request (no tty, X11 or agent) for `command`. */
export function newSessionRequest(rid: number, command: string, term = "dumb"): MuxMessage {
  return {
    kind: "NewSession",
    rid,
    reserved: new Uint8Array(0),
    wantTty: false,
    wantX11: false,
    wantAgent: false,
    subsystem: false,
    escapeChar: 0xffffffff,
    term,
    command,
    env: [],
  };
}

export class RawMuxClient {
  readonly sock: UnixSocket;

  constructor(path: string) {
    this.sock = new UnixSocket(connectUnix(path));
  }

  write(bytes: Uint8Array): Promise<void> {
    return this.sock.write(bytes);
  }

  send(msg: MuxMessage): Promise<void> {
    return this.sock.write(encodeMux(msg));
  }

  /** Sends all `fds` in one SCM_RIGHTS message (the protocol sends one per message). */
  async sendFds(fds: RawFd[]): Promise<void> {
    const nums = fds.map(fdNumber);
    while (!trySendFds(fdNumber(this.sock.rawFd), nums)) await waitFd(this.sock.rawFd, POLLOUT);
  }

  /** The next frame from the master, or null at EOF. */
  async read(): Promise<MuxReply | null> {
    const header = await this.sock.readExact(4);
    if (header === null) return null;
    const len = new DataView(header.buffer).getUint32(0);
    const body = await this.sock.readExact(len);
    if (body === null) return null;
    return decodeMux(body, "toClient");
  }

  /** HELLO both ways; returns the master's. */
  async hello(): Promise<MuxReply | null> {
    await this.send({ kind: "Hello", version: 4, extensions: [] });
    return await this.read();
  }

  /** Reads until EOF; returns the frames that came before it. Throws after `ms`. */
  async drain(ms = 10_000): Promise<MuxReply[]> {
    const got: MuxReply[] = [];
    const timer = setTimeout(() => this.sock.close(), ms);
    try {
      for (;;) {
        const m = await this.read();
        if (m === null) return got;
        got.push(m);
      }
    } catch (e) {
      if (this.sock.closed) throw new Error(`no EOF within ${ms} ms (got ${JSON.stringify(got)})`);
      // A reset is the master closing on input it did not read: as good as EOF here.
      if (e instanceof Error && /ECONNRESET|reset by peer/.test(e.message)) return got;
      throw e;
    } finally {
      clearTimeout(timer);
    }
  }

  close(): void {
    this.sock.close();
  }
}
