// RFC 4254 connection-protocol messages: numbers, decoders and encoders.
// Decoders are pure (payload in, typed record out) and throw only ProtocolError subclasses,
// so a malformed peer message becomes a typed error, never a crash. Names follow the RFC.

import { WireReader } from "../../wire/reader.ts";
import { WireWriter } from "../../wire/writer.ts";
import { ProtocolError, SizeLimitError } from "../../errors.ts";
import { allocPayload } from "../transport/packet_codec.ts";

export const SSH_MSG_GLOBAL_REQUEST = 80;
export const SSH_MSG_REQUEST_SUCCESS = 81;
export const SSH_MSG_REQUEST_FAILURE = 82;
export const SSH_MSG_CHANNEL_OPEN = 90;
export const SSH_MSG_CHANNEL_OPEN_CONFIRMATION = 91;
export const SSH_MSG_CHANNEL_OPEN_FAILURE = 92;
export const SSH_MSG_CHANNEL_WINDOW_ADJUST = 93;
export const SSH_MSG_CHANNEL_DATA = 94;
export const SSH_MSG_CHANNEL_EXTENDED_DATA = 95;
export const SSH_MSG_CHANNEL_EOF = 96;
export const SSH_MSG_CHANNEL_CLOSE = 97;
export const SSH_MSG_CHANNEL_REQUEST = 98;
export const SSH_MSG_CHANNEL_SUCCESS = 99;
export const SSH_MSG_CHANNEL_FAILURE = 100;

/** Channel-open failure reason codes (RFC 4254 §5.1). */
export const SSH2_OPEN_ADMINISTRATIVELY_PROHIBITED = 1;
export const SSH2_OPEN_CONNECT_FAILED = 2;
export const SSH2_OPEN_UNKNOWN_CHANNEL_TYPE = 3;
export const SSH2_OPEN_RESOURCE_SHORTAGE = 4;

/** Extended data type for stderr (RFC 4254 §5.2). */
export const SSH2_EXTENDED_DATA_STDERR = 1;

/** Caps on names and texts read from the peer: real names are short. */
export const MAX_NAME_LEN = 256;
export const MAX_TEXT_LEN = 8192;

export type ConnectionMessage =
  | { kind: "global-request"; name: string; wantReply: boolean; data: Uint8Array }
  | { kind: "request-success"; data: Uint8Array }
  | { kind: "request-failure" }
  | {
    kind: "channel-open";
    type: string;
    sender: number;
    window: number;
    maxPacket: number;
    data: Uint8Array;
  }
  | {
    kind: "open-confirmation";
    recipient: number;
    sender: number;
    window: number;
    maxPacket: number;
    data: Uint8Array;
  }
  | { kind: "open-failure"; recipient: number; reasonCode: number; description: string }
  | { kind: "window-adjust"; recipient: number; bytes: number }
  | { kind: "data"; recipient: number; data: Uint8Array }
  | { kind: "extended-data"; recipient: number; code: number; data: Uint8Array }
  | { kind: "eof"; recipient: number }
  | { kind: "close"; recipient: number }
  | {
    kind: "channel-request";
    recipient: number;
    name: string;
    wantReply: boolean;
    data: Uint8Array;
  }
  | { kind: "channel-success"; recipient: number }
  | { kind: "channel-failure"; recipient: number };

function name(r: WireReader, what: string): string {
  const raw = r.string();
  if (raw.length > MAX_NAME_LEN) throw new SizeLimitError(`${what} longer than ${MAX_NAME_LEN}`);
  if (raw.includes(0)) throw new ProtocolError(`${what} contains a NUL byte`);
  return new TextDecoder().decode(raw);
}

function text(r: WireReader, what: string): string {
  const raw = r.string();
  if (raw.length > MAX_TEXT_LEN) throw new SizeLimitError(`${what} longer than ${MAX_TEXT_LEN}`);
  return new TextDecoder().decode(raw);
}

/** True for message numbers this layer owns (RFC 4250: 80-127). */
export function isConnectionMessage(type: number): boolean {
  return type >= 80 && type <= 127;
}

/** Decodes one connection-protocol payload (type byte first). Throws ProtocolError. */
export function decodeConnectionMessage(payload: Uint8Array): ConnectionMessage {
  const r = new WireReader(payload);
  const type = r.u8();
  let m: ConnectionMessage;
  switch (type) {
    case SSH_MSG_GLOBAL_REQUEST:
      m = {
        kind: "global-request",
        name: name(r, "request name"),
        wantReply: r.bool(),
        data: r.rest(),
      };
      break;
    case SSH_MSG_REQUEST_SUCCESS:
      m = { kind: "request-success", data: r.rest() };
      break;
    case SSH_MSG_REQUEST_FAILURE:
      m = { kind: "request-failure" };
      break;
    case SSH_MSG_CHANNEL_OPEN:
      m = {
        kind: "channel-open",
        type: name(r, "channel type"),
        sender: r.u32(),
        window: r.u32(),
        maxPacket: r.u32(),
        data: r.rest(),
      };
      break;
    case SSH_MSG_CHANNEL_OPEN_CONFIRMATION:
      m = {
        kind: "open-confirmation",
        recipient: r.u32(),
        sender: r.u32(),
        window: r.u32(),
        maxPacket: r.u32(),
        data: r.rest(),
      };
      break;
    case SSH_MSG_CHANNEL_OPEN_FAILURE: {
      const recipient = r.u32();
      const reasonCode = r.u32();
      const description = text(r, "open failure description");
      // The language tag is optional in practice (some servers omit it).
      if (r.remaining > 0) text(r, "language tag");
      m = { kind: "open-failure", recipient, reasonCode, description };
      break;
    }
    case SSH_MSG_CHANNEL_WINDOW_ADJUST:
      m = { kind: "window-adjust", recipient: r.u32(), bytes: r.u32() };
      break;
    case SSH_MSG_CHANNEL_DATA:
      m = { kind: "data", recipient: r.u32(), data: r.string() };
      break;
    case SSH_MSG_CHANNEL_EXTENDED_DATA:
      m = { kind: "extended-data", recipient: r.u32(), code: r.u32(), data: r.string() };
      break;
    case SSH_MSG_CHANNEL_EOF:
      m = { kind: "eof", recipient: r.u32() };
      break;
    case SSH_MSG_CHANNEL_CLOSE:
      m = { kind: "close", recipient: r.u32() };
      break;
    case SSH_MSG_CHANNEL_REQUEST:
      m = {
        kind: "channel-request",
        recipient: r.u32(),
        name: name(r, "channel request name"),
        wantReply: r.bool(),
        data: r.rest(),
      };
      break;
    case SSH_MSG_CHANNEL_SUCCESS:
      m = { kind: "channel-success", recipient: r.u32() };
      break;
    case SSH_MSG_CHANNEL_FAILURE:
      m = { kind: "channel-failure", recipient: r.u32() };
      break;
    default:
      throw new ProtocolError(`unexpected connection message type ${type}`);
  }
  // Trailing bytes are tolerated only where the message ends in free-form data (rest()).
  r.expectEnd(`message ${type}`);
  return m;
}

// ---- encoders (what we send) ----

export function encodeGlobalRequest(
  name: string,
  wantReply: boolean,
  data: Uint8Array,
): Uint8Array {
  return new WireWriter(32 + data.length).u8(SSH_MSG_GLOBAL_REQUEST).string(name).bool(wantReply)
    .raw(data).finish();
}

export function encodeRequestReply(ok: boolean, data: Uint8Array = new Uint8Array(0)): Uint8Array {
  if (!ok) return Uint8Array.of(SSH_MSG_REQUEST_FAILURE);
  return new WireWriter(8 + data.length).u8(SSH_MSG_REQUEST_SUCCESS).raw(data).finish();
}

export function encodeChannelOpen(
  type: string,
  sender: number,
  window: number,
  maxPacket: number,
  data: Uint8Array,
): Uint8Array {
  return new WireWriter(32 + data.length).u8(SSH_MSG_CHANNEL_OPEN).string(type).u32(sender)
    .u32(window).u32(maxPacket).raw(data).finish();
}

export function encodeOpenConfirmation(
  recipient: number,
  sender: number,
  window: number,
  maxPacket: number,
  data: Uint8Array = new Uint8Array(0),
): Uint8Array {
  return new WireWriter(24 + data.length).u8(SSH_MSG_CHANNEL_OPEN_CONFIRMATION).u32(recipient)
    .u32(sender).u32(window).u32(maxPacket).raw(data).finish();
}

export function encodeOpenFailure(
  recipient: number,
  reasonCode: number,
  description: string,
): Uint8Array {
  return new WireWriter(32).u8(SSH_MSG_CHANNEL_OPEN_FAILURE).u32(recipient).u32(reasonCode)
    .string(description).string("").finish();
}

export function encodeWindowAdjust(recipient: number, bytes: number): Uint8Array {
  return new WireWriter(16).u8(SSH_MSG_CHANNEL_WINDOW_ADJUST).u32(recipient).u32(bytes).finish();
}

/** CHANNEL_DATA built in one allocation (the hot path). */
export function encodeData(recipient: number, data: Uint8Array): Uint8Array {
  // Bulk data: room around it lets the transport frame the packet without another copy.
  const out = allocPayload(9 + data.length);
  const v = new DataView(out.buffer, out.byteOffset);
  out[0] = SSH_MSG_CHANNEL_DATA;
  v.setUint32(1, recipient);
  v.setUint32(5, data.length);
  out.set(data, 9);
  return out;
}

export function encodeExtendedData(recipient: number, code: number, data: Uint8Array): Uint8Array {
  const out = allocPayload(13 + data.length);
  const v = new DataView(out.buffer, out.byteOffset);
  out[0] = SSH_MSG_CHANNEL_EXTENDED_DATA;
  v.setUint32(1, recipient);
  v.setUint32(5, code);
  v.setUint32(9, data.length);
  out.set(data, 13);
  return out;
}

export function encodeEof(recipient: number): Uint8Array {
  return new WireWriter(8).u8(SSH_MSG_CHANNEL_EOF).u32(recipient).finish();
}

export function encodeClose(recipient: number): Uint8Array {
  return new WireWriter(8).u8(SSH_MSG_CHANNEL_CLOSE).u32(recipient).finish();
}

export function encodeChannelRequest(
  recipient: number,
  name: string,
  wantReply: boolean,
  data: Uint8Array,
): Uint8Array {
  return new WireWriter(32 + data.length).u8(SSH_MSG_CHANNEL_REQUEST).u32(recipient).string(name)
    .bool(wantReply).raw(data).finish();
}

export function encodeChannelReply(recipient: number, ok: boolean): Uint8Array {
  return new WireWriter(8).u8(ok ? SSH_MSG_CHANNEL_SUCCESS : SSH_MSG_CHANNEL_FAILURE)
    .u32(recipient).finish();
}
