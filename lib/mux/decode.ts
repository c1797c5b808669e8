// Decoder for one PROTOCOL.mux frame body (the bytes after the u32 length), following what
// OpenSSH's mux.c accepts on each side:
// - bools are u32, any nonzero value is true;
// - strings OpenSSH reads with sshbuf_get_cstring reject an embedded NUL;
// - NEW_SESSION environment strings run to the end of the body, the first MUX_MAX_ENV_VARS
//   are kept and the rest is ignored unparsed (mux.c stops reading there too);
// - HELLO extension pairs run to the end of the body; a malformed list is an error;
// - OPEN_FWD/CLOSE_FWD ports above 65535 and -W ports above INT_MAX (other than
//   PORT_STREAMLOCAL) are malformed: OpenSSH drops the connection without a reply;
// - trailing bytes after the fields of any other message are ignored, as mux.c does on the
//   master side and openssh-mux-client does on the client side (room for future fields).
// Every failure is a DecodeError (a ProtocolError); the body is never read out of bounds.

import { WireReader } from "../wire/reader.ts";
import { DecodeError } from "../errors.ts";
import {
  INT_MAX,
  MUX_C_ALIVE_CHECK,
  MUX_C_CLOSE_FWD,
  MUX_C_EXT_INFO,
  MUX_C_NEW_SESSION,
  MUX_C_NEW_STDIO_FWD,
  MUX_C_OPEN_FWD,
  MUX_C_PROXY,
  MUX_C_SSHMUX_SET_NAME,
  MUX_C_SSHMUX_SIGNAL,
  MUX_C_STOP_LISTENING,
  MUX_C_TERMINATE,
  MUX_MAX_ENV_VARS,
  MUX_MAX_HELLO_EXTENSIONS,
  MUX_MAX_TCP_PORT,
  MUX_MSG_HELLO,
  MUX_S_ALIVE,
  MUX_S_EXIT_MESSAGE,
  MUX_S_EXT_INFO,
  MUX_S_FAILURE,
  MUX_S_OK,
  MUX_S_PERMISSION_DENIED,
  MUX_S_PROXY,
  MUX_S_REMOTE_PORT,
  MUX_S_SESSION_OPENED,
  MUX_S_TTY_ALLOC_FAIL,
  muxTypeName,
  PORT_STREAMLOCAL,
} from "./constants.ts";
import type {
  MuxDirection,
  MuxForwardFields,
  MuxHello,
  MuxMessage,
  MuxReply,
  MuxRequest,
  MuxUnknown,
} from "./messages.ts";

const utf8 = new TextDecoder("utf-8", { fatal: false });

/** Parses one frame body read by the master (`toMaster`) or by the client (`toClient`). */
export function decodeMux(body: Uint8Array, direction: "toMaster"): MuxRequest;
export function decodeMux(body: Uint8Array, direction: "toClient"): MuxReply;
export function decodeMux(body: Uint8Array, direction: MuxDirection): MuxMessage;
export function decodeMux(body: Uint8Array, direction: MuxDirection): MuxMessage {
  const r = new WireReader(body);
  const type = r.u32();
  try {
    if (type === MUX_MSG_HELLO) return decodeHello(r);
    return direction === "toMaster" ? decodeRequest(type, r) : decodeReply(type, r);
  } catch (e) {
    if (e instanceof DecodeError) {
      throw new DecodeError(`malformed ${muxTypeName(type)}: ${e.message}`);
    }
    throw e;
  }
}

function decodeHello(r: WireReader): MuxHello {
  const version = r.u32();
  const extensions: [string, string][] = [];
  // Both sides read (cstring name, string value) pairs until the body ends; the value is
  // skipped by OpenSSH, so any bytes are allowed in it.
  while (!r.atEnd()) {
    const name = r.cstring();
    const value = r.string();
    if (extensions.length < MUX_MAX_HELLO_EXTENSIONS) extensions.push([name, utf8.decode(value)]);
  }
  return { kind: "Hello", version, extensions };
}

function decodeForward(rid: number, r: WireReader): MuxForwardFields {
  const fwdType = r.u32();
  const listenHost = r.cstring();
  const listenPort = forwardPort(r.u32(), "listen");
  const connectHost = r.cstring();
  const connectPort = forwardPort(r.u32(), "connect");
  return { rid, fwdType, listenHost, listenPort, connectHost, connectPort };
}

function forwardPort(port: number, side: string): number {
  if (port !== PORT_STREAMLOCAL && port > MUX_MAX_TCP_PORT) {
    throw new DecodeError(`${side} port ${port} out of range`);
  }
  return port;
}

function decodeRequest(type: number, r: WireReader): MuxRequest {
  // Every request after HELLO starts with a request id; mux.c drops a request without one,
  // even one of an unknown type.
  const rid = r.u32();
  switch (type) {
    case MUX_C_NEW_SESSION: {
      const reserved = r.string().slice();
      const wantTty = r.u32() !== 0;
      const wantX11 = r.u32() !== 0;
      const wantAgent = r.u32() !== 0;
      const subsystem = r.u32() !== 0;
      const escapeChar = r.u32();
      const term = r.cstring();
      const command = r.cstring();
      const env: string[] = [];
      while (!r.atEnd() && env.length < MUX_MAX_ENV_VARS) env.push(r.cstring());
      return {
        kind: "NewSession",
        rid,
        reserved,
        wantTty,
        wantX11,
        wantAgent,
        subsystem,
        escapeChar,
        term,
        command,
        env,
      };
    }
    case MUX_C_ALIVE_CHECK:
      return { kind: "AliveCheck", rid };
    case MUX_C_TERMINATE:
      return { kind: "Terminate", rid };
    case MUX_C_OPEN_FWD:
      return { kind: "OpenFwd", ...decodeForward(rid, r) };
    case MUX_C_CLOSE_FWD:
      return { kind: "CloseFwd", ...decodeForward(rid, r) };
    case MUX_C_NEW_STDIO_FWD: {
      const reserved = r.string().slice();
      const connectHost = r.cstring();
      const connectPort = r.u32();
      if (connectPort !== PORT_STREAMLOCAL && connectPort > INT_MAX) {
        throw new DecodeError(`invalid port 0x${connectPort.toString(16)}`);
      }
      return { kind: "NewStdioFwd", rid, reserved, connectHost, connectPort };
    }
    case MUX_C_STOP_LISTENING:
      return { kind: "StopListening", rid };
    case MUX_C_PROXY:
      return { kind: "Proxy", rid };
    case MUX_C_EXT_INFO:
      return { kind: "ExtInfoRequest", rid, name: r.cstring() };
    case MUX_C_SSHMUX_SIGNAL:
      return { kind: "Signal", rid, target: r.cstring(), signal: r.cstring() };
    case MUX_C_SSHMUX_SET_NAME:
      return { kind: "SetName", rid, name: r.cstring() };
    default:
      return unknown(type, rid, r);
  }
}

function decodeReply(type: number, r: WireReader): MuxReply {
  switch (type) {
    case MUX_S_OK:
      return { kind: "Ok", rid: r.u32() };
    case MUX_S_PERMISSION_DENIED:
      return { kind: "PermissionDenied", rid: r.u32(), reason: r.cstring() };
    case MUX_S_FAILURE:
      return { kind: "Failure", rid: r.u32(), reason: r.cstring() };
    case MUX_S_EXIT_MESSAGE:
      return { kind: "ExitMessage", sid: r.u32(), exitValue: r.u32() };
    case MUX_S_ALIVE:
      return { kind: "Alive", rid: r.u32(), pid: r.u32() };
    case MUX_S_SESSION_OPENED:
      return { kind: "SessionOpened", rid: r.u32(), sid: r.u32() };
    case MUX_S_REMOTE_PORT:
      return { kind: "RemotePort", rid: r.u32(), port: r.u32() };
    case MUX_S_TTY_ALLOC_FAIL:
      return { kind: "TtyAllocFail", sid: r.u32() };
    case MUX_S_PROXY:
      return { kind: "ProxyOk", rid: r.u32() };
    case MUX_S_EXT_INFO:
      return { kind: "ExtInfoReply", rid: r.u32(), status: r.u32(), message: r.cstring() };
    default:
      // The client has no rid rule for unknown replies (the stock one reads an error string
      // after the type); report a rid when the body has room for one.
      return unknown(type, r.remaining >= 4 ? r.u32() : undefined, r);
  }
}

function unknown(type: number, rid: number | undefined, r: WireReader): MuxUnknown {
  const data = r.rest().slice();
  return rid === undefined ? { kind: "Unknown", type, data } : { kind: "Unknown", type, rid, data };
}
