// One control connection to a mux master (ours or OpenSSH's), speaking PROTOCOL.mux as OpenSSH's
// client does (mux.c): HELLO first, request ids from 0 incremented after each request that
// succeeded, every reply's id checked, fds passed one per message right after their request.

import type { RawFd, UnixSocket } from "../../ffi/mod.ts";
import { ProtocolError } from "../errors.ts";
import { log } from "../log.ts";
import {
  MUX_EXT_INFO_NAME,
  MUX_EXT_LIST_NAME,
  MUX_EXT_ROUNDTRIP_NAME,
  MUX_EXT_SET_NAME_NAME,
  MUX_EXT_SIGNAL_NAME,
  muxTypeHex,
  SSHMUX_VER,
} from "../mux/constants.ts";
import { readMuxFrame } from "../mux/framer.ts";
import { decodeMux } from "../mux/decode.ts";
import { encodeMux, muxMessageType } from "../mux/encode.ts";
import type { MuxMessage, MuxNewSession, MuxReply } from "../mux/messages.ts";
import { MuxMasterGone, MuxOutOfSequence } from "./errors.ts";
import { MuxRequestRefused } from "../mux/errors.ts";
import type { ForwardRequestFields } from "./forward_request.ts";

/** Hello extension pairs kept from the master: a bound on what a peer can make us store. */

/** A NEW_SESSION request as the caller fills it in; the client adds the rid and reserved field. */
export type NewSessionRequest = Omit<MuxNewSession, "kind" | "rid" | "reserved">;

/** What a reply other than the expected one means for the caller. */
function refusalOf(reply: MuxReply): MuxRequestRefused | undefined {
  if (reply.kind === "PermissionDenied" || reply.kind === "Failure") {
    return MuxRequestRefused.fromReply(reply);
  }
  return undefined;
}

export class MuxClient {
  /** muxclient_request_id: the id the next request carries. */
  private rid = 0;
  /** Extension name → value from the master's HELLO (e.g. OpenSSH 10.3+: info → "0"). */
  readonly extensions = new Map<string, string>();

  constructor(private readonly sock: UnixSocket) {}

  get socket(): UnixSocket {
    return this.sock;
  }

  /** The id the next request will carry (tests, logs). */
  get nextRequestId(): number {
    return this.rid;
  }

  /** HELLO exchange: ours goes first, then the master's is read and checked. */
  async hello(): Promise<void> {
    await this.send({ kind: "Hello", version: SSHMUX_VER, extensions: [] });
    const reply = await this.read();
    if (reply === null) throw new MuxMasterGone("master closed the connection before its hello");
    if (reply.kind !== "Hello") {
      throw new ProtocolError(`expected HELLO, got ${muxTypeHex(muxTypeOf(reply))}`);
    }
    if (reply.version !== SSHMUX_VER) {
      const msg =
        `Unsupported multiplexing protocol version ${reply.version} (expected ${SSHMUX_VER})`;
      // Said at ERROR as ssh does, before its "master hello exchange failed" and the fallback.
      log.error(msg);
      throw new ProtocolError(msg);
    }
    for (const [name, value] of reply.extensions) {
      log.debug2(`master extension "${name}"`);
      this.extensions.set(name, value); // decodeMux keeps MUX_MAX_HELLO_EXTENSIONS at most
    }
  }

  /** Whether the master (sshmux's) answers a round-trip check to the server. */
  get supportsRoundTrip(): boolean {
    return this.supportsInfo && this.extensions.has(MUX_EXT_ROUNDTRIP_NAME);
  }

  /** Whether the master (sshmux's) lists its sessions (MUX_C_EXT_INFO "list@sshmux"). */
  get supportsList(): boolean {
    return this.supportsInfo && this.extensions.has(MUX_EXT_LIST_NAME);
  }

  /** Whether the master (sshmux's) takes session names (MUX_C_SSHMUX_SET_NAME). */
  get supportsSetName(): boolean {
    return this.extensions.has(MUX_EXT_SET_NAME_NAME);
  }

  /** Whether the master (sshmux's) sends signals to sessions (MUX_C_SSHMUX_SIGNAL). */
  get supportsSignal(): boolean {
    return this.extensions.has(MUX_EXT_SIGNAL_NAME);
  }

  /** MUX_C_SSHMUX_SET_NAME: names this connection's session. Throws MuxRequestRefused. */
  async setName(name: string): Promise<void> {
    const reply = await this.request({ kind: "SetName", rid: this.rid, name });
    if (reply.kind !== "Ok") throw this.unexpected(reply);
    this.rid++;
  }

  /** MUX_C_SSHMUX_SIGNAL for another session (by id or name). Throws MuxRequestRefused. */
  async signalSession(target: string, signal: string): Promise<void> {
    const reply = await this.request({ kind: "Signal", rid: this.rid, target, signal });
    if (reply.kind !== "Ok") throw this.unexpected(reply);
    this.rid++;
  }

  /**
   * Sends MUX_C_SSHMUX_SIGNAL for this connection's own session while the session runs: the
   * reply arrives among the session's messages (read()), so its request id is returned at
   * once for the reader to recognise it.
   */
  sendOwnSignal(signal: string): { rid: number; sent: Promise<void> } {
    const rid = this.rid++;
    return { rid, sent: this.send({ kind: "Signal", rid, target: "", signal }) };
  }

  /** Whether the master advertised MUX_C_EXT_INFO support. */
  get supportsInfo(): boolean {
    return this.extensions.has(MUX_EXT_INFO_NAME);
  }

  /**
   * MUX_C_ALIVE_CHECK → the master's pid. A pid of 0 means no master, as for OpenSSH
   * (MuxMasterGone); any reply but ALIVE is a ProtocolError or MuxRequestRefused.
   */
  async aliveCheck(): Promise<number> {
    const reply = await this.request({ kind: "AliveCheck", rid: this.rid });
    if (reply.kind !== "Alive") throw this.unexpected(reply);
    if (reply.pid === 0) throw new MuxMasterGone("master returned pid 0");
    this.rid++;
    return reply.pid;
  }

  /**
   * MUX_C_OPEN_FWD. Resolves with the allocated port when the master answers MUX_S_REMOTE_PORT
   * (remote forward with listen port 0), else undefined. Throws MuxRequestRefused.
   */
  async openForward(f: ForwardRequestFields): Promise<number | undefined> {
    const reply = await this.request({ kind: "OpenFwd", rid: this.rid, ...f });
    if (reply.kind === "Ok") {
      this.rid++;
      return undefined;
    }
    if (reply.kind === "RemotePort") {
      this.rid++;
      return reply.port;
    }
    throw this.unexpected(reply);
  }

  /** MUX_C_CLOSE_FWD; the fields must equal those of the OPEN_FWD (the master matches exactly). */
  async closeForward(f: ForwardRequestFields): Promise<void> {
    const reply = await this.request({ kind: "CloseFwd", rid: this.rid, ...f });
    if (reply.kind !== "Ok") throw this.unexpected(reply);
    this.rid++;
  }

  /**
   * MUX_C_NEW_SESSION followed by stdin, stdout, stderr. Resolves with the session id from
   * MUX_S_SESSION_OPENED (sent once the server confirmed the channel). Throws MuxRequestRefused.
   */
  async newSession(req: NewSessionRequest, fds: [RawFd, RawFd, RawFd]): Promise<number> {
    const rid = this.rid;
    await this.send({ kind: "NewSession", rid, reserved: new Uint8Array(0), ...req });
    await this.sendFds(fds);
    const reply = await this.readReply(rid);
    if (reply.kind !== "SessionOpened") throw this.unexpected(reply);
    this.rid++;
    return reply.sid;
  }

  /** MUX_C_NEW_STDIO_FWD (ssh -W) followed by stdin and stdout. Resolves with the channel id. */
  async newStdioForward(host: string, port: number, fds: [RawFd, RawFd]): Promise<number> {
    const rid = this.rid;
    await this.send({
      kind: "NewStdioFwd",
      rid,
      reserved: new Uint8Array(0),
      connectHost: host,
      connectPort: port,
    });
    await this.sendFds(fds);
    const reply = await this.readReply(rid);
    if (reply.kind !== "SessionOpened") throw this.unexpected(reply);
    this.rid++;
    return reply.sid;
  }

  /**
   * MUX_C_TERMINATE. OpenSSH's master usually exits before its MUX_S_OK is flushed, so EOF
   * counts as success, like the stock client does.
   */
  async terminate(): Promise<void> {
    await this.send({ kind: "Terminate", rid: this.rid });
    const reply = await this.read().catch((e) => {
      // A reset while the master exits is the same "it went away" as EOF.
      log.debug(`terminate: read after request: ${e instanceof Error ? e.message : e}`);
      return null;
    });
    if (reply === null) return;
    this.checkRid(reply, this.rid);
    if (reply.kind !== "Ok") throw this.unexpected(reply);
    this.rid++;
  }

  /** MUX_C_STOP_LISTENING: the master removes its socket and lets sessions finish. */
  async stopListening(): Promise<void> {
    const reply = await this.request({ kind: "StopListening", rid: this.rid });
    if (reply.kind !== "Ok") throw this.unexpected(reply);
    this.rid++;
  }

  /** MUX_C_EXT_INFO (OpenSSH 10.3+). Only call when `supportsInfo`. */
  async extInfo(name: string): Promise<{ status: number; message: string }> {
    const reply = await this.request({ kind: "ExtInfoRequest", rid: this.rid, name });
    if (reply.kind !== "ExtInfoReply") throw this.unexpected(reply);
    this.rid++;
    return { status: reply.status, message: reply.message };
  }

  /**
   * MUX_C_PROXY. After MUX_S_PROXY every byte on the socket is proxy framing; the caller takes
   * over the socket (see proxy_transport.ts) and must not use this client again.
   */
  async requestProxy(): Promise<UnixSocket> {
    const reply = await this.request({ kind: "Proxy", rid: this.rid });
    if (reply.kind !== "ProxyOk") throw this.unexpected(reply);
    this.rid++;
    return this.sock;
  }

  /**
   * Reads one message after a session or stdio forward opened (TTY_ALLOC_FAIL, EXIT_MESSAGE),
   * or null on EOF.
   */
  async read(): Promise<MuxReply | null> {
    let body: Uint8Array | null;
    try {
      body = await readMuxFrame((n) => this.sock.readExact(n));
    } catch (e) {
      // Malformed frames stay ProtocolErrors; a reset, EOF mid-frame or our own close while
      // waiting all mean the master is gone for this connection.
      if (e instanceof ProtocolError || e instanceof RangeError) throw e;
      throw new MuxMasterGone(`read from master failed: ${e instanceof Error ? e.message : e}`);
    }
    return body === null ? null : decodeMux(body, "toClient");
  }

  close(): void {
    this.sock.close();
  }

  private async send(msg: MuxMessage): Promise<void> {
    const frame = encodeMux(msg);
    try {
      await this.sock.write(frame);
    } catch (e) {
      throw new MuxMasterGone(`write to master failed: ${e instanceof Error ? e.message : e}`);
    }
  }

  private async sendFds(fds: RawFd[]): Promise<void> {
    for (const fd of fds) {
      try {
        await this.sock.sendFd(fd);
      } catch (e) {
        throw new MuxMasterGone(`send fds failed: ${e instanceof Error ? e.message : e}`);
      }
    }
  }

  private async request(msg: MuxMessage & { rid: number }): Promise<MuxReply> {
    await this.send(msg);
    return await this.readReply(msg.rid);
  }

  private async readReply(rid: number): Promise<MuxReply> {
    const reply = await this.read();
    if (reply === null) throw new MuxMasterGone("read from master failed: Broken pipe");
    this.checkRid(reply, rid);
    return reply;
  }

  /** OpenSSH's client treats a reply to any other id as fatal. */
  private checkRid(reply: MuxReply, rid: number): void {
    if ("rid" in reply && reply.rid !== undefined && reply.rid !== rid) {
      throw new MuxOutOfSequence(`out of sequence reply: my id ${rid} theirs ${reply.rid}`);
    }
  }

  private unexpected(reply: MuxReply): Error {
    return refusalOf(reply) ??
      new ProtocolError(`unexpected response from master ${muxTypeHex(muxTypeOf(reply))}`);
  }
}

function muxTypeOf(reply: MuxReply): number {
  return reply.kind === "Unknown" ? reply.type : muxMessageType(reply);
}
