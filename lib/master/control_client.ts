// One control connection, from accept to close: HELLO first (ours is sent at once, theirs must
// be the first thing read, version 4), then one request at a time through the router, reading
// exactly one frame and never past it (the fds of NEW_SESSION / NEW_STDIO_FWD ride on their own
// bytes after the frame). While a request is being answered nothing more is read from this
// client, like OpenSSH's mux_pause, but other clients are never held up: a client that sends a
// request and then withholds its fds is dropped after FD_WAIT_MS, costing nobody else anything.

import { EofError, type RawFd } from "../../ffi/mod.ts";
import type { ControlStream } from "./control_stream.ts";
import { errorMessage } from "./errors.ts";
import { log } from "../log.ts";
import {
  MUX_EXT_INFO_NAME,
  MUX_EXT_LIST_NAME,
  MUX_EXT_ROUNDTRIP_NAME,
  MUX_EXT_SET_NAME_NAME,
  MUX_EXT_SIGNAL_NAME,
  SSHMUX_VER,
} from "../mux/constants.ts";
import { decodeMux } from "../mux/decode.ts";
import { encodeMux } from "../mux/encode.ts";
import { frameHeaderLength, parseFrameLength } from "../mux/framer.ts";
import type { MuxReply, MuxRequest } from "../mux/messages.ts";

/**
 * How long a client may take to pass the fds that must follow its request (10 s;
 * SSHMUX_FD_WAIT_MS overrides it, e.g. for tests of clients that never send them).
 */
export const FD_WAIT_MS = fdWaitMs();

function fdWaitMs(): number {
  try {
    const v = Number(Deno.env.get("SSHMUX_FD_WAIT_MS"));
    if (Number.isInteger(v) && v > 0) return v;
  } catch { /* no env permission */ }
  return 10_000;
}

/**
 * How long closing a control connection waits for the client to read what is queued for it.
 * Unbounded, a client that stopped reading (its socket buffer full) kept the master from ending
 * on -O exit until that client went away.
 */
const CLOSE_FLUSH_MS = 2000;

/** What `-O list` shows of a session or -W forward (listing.ts). */
export interface SessionFacts {
  kind: "session" | "stdio-forward";
  /** The id the client was given (our channel number). */
  id: number;
  /** The remote command ("" = shell), the subsystem name, or host:port for -W. */
  command: string;
  subsystem: boolean;
  tty: boolean;
  /** Date.now() when it opened. */
  startedAt: number;
  /** Payload bytes from / to the server so far. */
  bytesIn: number;
  bytesOut: number;
}

/** A running session (passenger or -W) tied to this connection. */
export interface AttachedSession {
  /** The client went away: end the session without an exit message. */
  abandon(): void;
  readonly done: Promise<void>;
  facts(): SessionFacts;
  /** RFC 4254 "signal" to the remote process; absent for what has no process (-W). */
  signal?(name: string): Promise<void>;
}

/** The extensions our HELLO offers: OpenSSH's "info", then sshmux's own. */
export const MASTER_HELLO_EXTENSIONS: [string, string][] = [
  [MUX_EXT_INFO_NAME, "0"],
  [MUX_EXT_ROUNDTRIP_NAME, "0"],
  [MUX_EXT_LIST_NAME, "0"],
  [MUX_EXT_SET_NAME_NAME, "0"],
  [MUX_EXT_SIGNAL_NAME, "0"],
];

/** What a handler asks the connection to do after its reply (if any) is queued. */
export interface HandlerResult {
  reply?: MuxReply;
  /** Close this control connection (after the reply). */
  drop?: boolean;
  /** Runs once the reply is queued (a session's background part). */
  after?: () => void;
  /**
   * The socket stops carrying mux frames (MUX_S_PROXY): it is handed over, and the connection
   * ends when this resolves.
   */
  takeover?: (sock: ControlStream) => Promise<void>;
}

export type Dispatch = (client: ControlClient, msg: MuxRequest) => Promise<HandlerResult>;

/** Who is at the other end, for listings. */
export interface ControlPeer {
  /** The client's pid (SO_PEERCRED), when the platform tells. */
  pid?: number;
  /** False on stdin/stdout: requests that pass fds are refused there. */
  passesFds: boolean;
}

export class ControlClient {
  session: AttachedSession | undefined;
  /** Set by MUX_C_SSHMUX_SET_NAME (unique among the master's clients). */
  name: string | undefined;
  /** The relay once this client went into proxy mode. */
  proxy:
    | { readonly channelCount: number; bytesFromClient: number; bytesToClient: number }
    | undefined;
  readonly connectedAt = Date.now();
  #closed = false;
  #closing: Promise<void> | undefined;
  readonly closedPromise: Promise<void>;
  #resolveClosed!: () => void;

  constructor(
    readonly id: number,
    private readonly sock: ControlStream,
    readonly peer: ControlPeer = { passesFds: true },
  ) {
    this.closedPromise = new Promise((r) => this.#resolveClosed = r);
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Queues one message; rejects if the client is gone. */
  send(msg: MuxReply): Promise<void> {
    if (this.#closed) return Promise.reject(new Error("control connection closed"));
    return this.sock.write(encodeMux(msg));
  }

  /** Receives `n` passed fds in order, each bounded by FD_WAIT_MS; closes them all on failure. */
  async receiveFds(n: number): Promise<RawFd[]> {
    const fds: RawFd[] = [];
    try {
      for (let i = 0; i < n; i++) fds.push(await this.#recvFdBounded());
      return fds;
    } catch (e) {
      for (const fd of fds) fd.close();
      throw e;
    }
  }

  /**
   * One fd, or a rejection after FD_WAIT_MS. The socket stays open so the FAILURE reply can
   * still go out; the receive left pending ends when the connection closes, and an fd that
   * arrives after the deadline is closed at once.
   */
  async #recvFdBounded(): Promise<RawFd> {
    const pending = this.sock.recvFd();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        pending.then((late) => late.close(), () => {});
        reject(new Error(`no file descriptor within ${FD_WAIT_MS / 1000} s`));
      }, FD_WAIT_MS);
    });
    try {
      return await Promise.race([pending, deadline]);
    } finally {
      clearTimeout(timer);
      pending.catch(() => {});
    }
  }

  /** Serves requests until the client hangs up, breaks a rule, or is closed. */
  async serve(dispatch: Dispatch): Promise<void> {
    try {
      await this.send({
        kind: "Hello",
        version: SSHMUX_VER,
        extensions: MASTER_HELLO_EXTENSIONS,
      });
      let hello = false;
      for (;;) {
        const msg = await this.#readRequest();
        if (msg === null) break;
        if (!hello) {
          if (msg.kind !== "Hello") {
            log.error(`mux client ${this.id}: expected MUX_MSG_HELLO, dropping it`);
            break;
          }
          if (msg.version !== SSHMUX_VER) {
            log.error(
              `mux client ${this.id}: unsupported multiplexing protocol version ${msg.version}` +
                ` (expected ${SSHMUX_VER})`,
            );
            break;
          }
          hello = true;
          continue;
        }
        if (msg.kind === "Hello") {
          log.error(`mux client ${this.id}: HELLO received twice, dropping it`);
          break;
        }
        const result = await dispatch(this, msg);
        if (result.reply) await this.send(result.reply);
        result.after?.();
        if (result.takeover) {
          await result.takeover(this.sock);
          break;
        }
        if (result.drop) break;
      }
    } catch (e) {
      if (!this.#closed) log.debug(`mux client ${this.id}: ${errorMessage(e)}`);
    }
    // The client hung up (or was dropped): a session still running loses its client.
    this.session?.abandon();
    if (this.session) await this.session.done;
    await this.close();
  }

  /** One request, reading exactly one frame; null at a clean EOF. Throws on a bad frame. */
  async #readRequest(): Promise<MuxRequest | null> {
    const header = await this.sock.readExact(frameHeaderLength);
    if (header === null) return null;
    const body = await this.sock.readExact(parseFrameLength(header));
    if (body === null) throw new EofError("connection closed inside a frame");
    return decodeMux(body, "toMaster");
  }

  /**
   * Closes the socket once queued replies are written, or after CLOSE_FLUSH_MS of a client not
   * reading them (dropped then). Idempotent.
   */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      // An empty write waits for every queued message ahead of it.
      const flushed = this.sock.write(new Uint8Array(0)).catch(() => {});
      let timer: ReturnType<typeof setTimeout> | undefined;
      const late = new Promise<void>((r) => timer = setTimeout(r, CLOSE_FLUSH_MS));
      await Promise.race([flushed, late]);
      clearTimeout(timer);
      this.#closed = true;
      this.sock.discardPending();
      this.sock.close();
      this.#resolveClosed();
    })();
    return this.#closing;
  }
}
