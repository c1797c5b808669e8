// Encoder for PROTOCOL.mux messages: one MuxMessage → one complete frame (u32 length + body).
// It refuses (RangeError) to build what a compatible peer would treat as malformed: numbers that
// are not u32, NUL inside strings OpenSSH reads as C strings, forward ports out of range, frames
// over MUX_MAX_PACKET. Those are bugs in the caller, not peer input, hence RangeError.

import { WireWriter } from "../wire/writer.ts";
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
  MUX_MAX_PACKET,
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
  PORT_STREAMLOCAL,
} from "./constants.ts";
import type { MuxForwardFields, MuxMessage } from "./messages.ts";

/** The wire type code of a message. */
export function muxMessageType(msg: MuxMessage): number {
  switch (msg.kind) {
    case "Hello":
      return MUX_MSG_HELLO;
    case "NewSession":
      return MUX_C_NEW_SESSION;
    case "AliveCheck":
      return MUX_C_ALIVE_CHECK;
    case "Terminate":
      return MUX_C_TERMINATE;
    case "OpenFwd":
      return MUX_C_OPEN_FWD;
    case "CloseFwd":
      return MUX_C_CLOSE_FWD;
    case "NewStdioFwd":
      return MUX_C_NEW_STDIO_FWD;
    case "StopListening":
      return MUX_C_STOP_LISTENING;
    case "Proxy":
      return MUX_C_PROXY;
    case "ExtInfoRequest":
      return MUX_C_EXT_INFO;
    case "Signal":
      return MUX_C_SSHMUX_SIGNAL;
    case "SetName":
      return MUX_C_SSHMUX_SET_NAME;
    case "Ok":
      return MUX_S_OK;
    case "PermissionDenied":
      return MUX_S_PERMISSION_DENIED;
    case "Failure":
      return MUX_S_FAILURE;
    case "ExitMessage":
      return MUX_S_EXIT_MESSAGE;
    case "Alive":
      return MUX_S_ALIVE;
    case "SessionOpened":
      return MUX_S_SESSION_OPENED;
    case "RemotePort":
      return MUX_S_REMOTE_PORT;
    case "TtyAllocFail":
      return MUX_S_TTY_ALLOC_FAIL;
    case "ProxyOk":
      return MUX_S_PROXY;
    case "ExtInfoReply":
      return MUX_S_EXT_INFO;
    case "Unknown":
      return u32Checked(msg.type, "type");
  }
}

function u32Checked(v: number, field: string): number {
  if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) {
    throw new RangeError(`mux ${field} ${v} is not a uint32`);
  }
  return v;
}

/** Strings the peer reads with sshbuf_get_cstring: a NUL would make it drop the connection. */
function cstringChecked(s: string, field: string): string {
  if (s.includes("\0")) throw new RangeError(`mux ${field} contains a NUL character`);
  return s;
}

function portChecked(port: number, max: number, field: string): number {
  u32Checked(port, field);
  if (port !== PORT_STREAMLOCAL && port > max) {
    throw new RangeError(`mux ${field} ${port} is out of range`);
  }
  return port;
}

/** Writes `u32 type` then the body; the writer leaves 4 bytes of headroom for the length. */
function writeBody(w: WireWriter, msg: MuxMessage): void {
  const u32 = (v: number, field: string) => w.u32(u32Checked(v, field));
  const bool = (v: boolean) => w.u32(v ? 1 : 0); // PROTOCOL.mux "bool" is a u32 in mux.c
  const cstr = (s: string, field: string) => w.string(cstringChecked(s, field));
  const fwd = (f: MuxForwardFields) => {
    u32(f.rid, "request id");
    u32(f.fwdType, "forwarding type");
    cstr(f.listenHost, "listen host");
    w.u32(portChecked(f.listenPort, MUX_MAX_TCP_PORT, "listen port"));
    cstr(f.connectHost, "connect host");
    w.u32(portChecked(f.connectPort, MUX_MAX_TCP_PORT, "connect port"));
  };

  w.u32(muxMessageType(msg));
  switch (msg.kind) {
    case "Hello":
      u32(msg.version, "version");
      for (const [name, value] of msg.extensions) {
        cstr(name, "extension name");
        w.string(value);
      }
      return;
    case "NewSession":
      u32(msg.rid, "request id");
      w.string(msg.reserved);
      bool(msg.wantTty);
      bool(msg.wantX11);
      bool(msg.wantAgent);
      bool(msg.subsystem);
      u32(msg.escapeChar, "escape char");
      cstr(msg.term, "terminal type");
      cstr(msg.command, "command");
      for (const e of msg.env) cstr(e, "environment string");
      return;
    case "OpenFwd":
    case "CloseFwd":
      fwd(msg);
      return;
    case "NewStdioFwd":
      u32(msg.rid, "request id");
      w.string(msg.reserved);
      cstr(msg.connectHost, "connect host");
      w.u32(portChecked(msg.connectPort, INT_MAX, "connect port"));
      return;
    case "ExtInfoRequest":
      u32(msg.rid, "request id");
      cstr(msg.name, "info name");
      return;
    case "Signal":
      u32(msg.rid, "request id");
      cstr(msg.target, "signal target");
      cstr(msg.signal, "signal name");
      return;
    case "SetName":
      u32(msg.rid, "request id");
      cstr(msg.name, "session name");
      return;
    case "AliveCheck":
    case "Terminate":
    case "StopListening":
    case "Proxy":
    case "Ok":
    case "ProxyOk":
      u32(msg.rid, "request id");
      return;
    case "PermissionDenied":
    case "Failure":
      u32(msg.rid, "request id");
      cstr(msg.reason, "reason");
      return;
    case "ExitMessage":
      u32(msg.sid, "session id");
      u32(msg.exitValue, "exit value");
      return;
    case "Alive":
      u32(msg.rid, "request id");
      u32(msg.pid, "pid");
      return;
    case "SessionOpened":
      u32(msg.rid, "request id");
      u32(msg.sid, "session id");
      return;
    case "RemotePort":
      u32(msg.rid, "request id");
      u32(msg.port, "port");
      return;
    case "TtyAllocFail":
      u32(msg.sid, "session id");
      return;
    case "ExtInfoReply":
      u32(msg.rid, "request id");
      u32(msg.status, "status");
      cstr(msg.message, "info message");
      return;
    case "Unknown":
      if (msg.rid !== undefined) u32(msg.rid, "request id");
      w.raw(msg.data);
      return;
  }
}

/** One complete mux frame: u32 body length, then the body (u32 type first). */
export function encodeMux(msg: MuxMessage): Uint8Array {
  const w = new WireWriter(64, 4);
  writeBody(w, msg);
  const bodyLength = w.length;
  if (bodyLength > MUX_MAX_PACKET) {
    throw new RangeError(`mux message body of ${bodyLength} bytes exceeds ${MUX_MAX_PACKET}`);
  }
  const frame = w.finishWithHeadroom();
  new DataView(frame.buffer, frame.byteOffset, 4).setUint32(0, bodyLength);
  return frame;
}
