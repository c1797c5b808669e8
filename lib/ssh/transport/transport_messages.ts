// Codecs for the small transport messages (RFC 4253 §11): DISCONNECT, DEBUG, UNIMPLEMENTED.
// Text from the peer is capped here; the logger and main's fatal print escape it like ssh's.

import { DecodeError } from "../../errors.ts";
import { WireReader } from "../../wire/reader.ts";
import { WireWriter } from "../../wire/writer.ts";
import { SSH_MSG_DEBUG, SSH_MSG_DISCONNECT, SSH_MSG_UNIMPLEMENTED } from "./constants.ts";

/**
 * Peer text capped at `max` characters. It is kept raw, as ssh keeps it: every way it reaches
 * the terminal (lib/log.ts, main's fatal print) escapes control bytes there, once (lib/vis.ts).
 */
export function sanitizePeerText(s: string, max: number): string {
  return s.slice(0, max);
}

function reader(payload: Uint8Array, type: number, name: string): WireReader {
  const r = new WireReader(payload);
  if (r.u8() !== type) throw new DecodeError(`not a ${name} message`);
  return r;
}

export function encodeDisconnect(reasonCode: number, description: string): Uint8Array {
  return new WireWriter(64 + description.length).u8(SSH_MSG_DISCONNECT).u32(reasonCode)
    .string(description).string("").finish();
}

export function parseDisconnect(payload: Uint8Array): { code: number; description: string } {
  const r = reader(payload, SSH_MSG_DISCONNECT, "DISCONNECT");
  const code = r.u32();
  const description = sanitizePeerText(r.text(), 512);
  return { code, description };
}

export function parseDebug(payload: Uint8Array): { display: boolean; message: string } {
  const r = reader(payload, SSH_MSG_DEBUG, "DEBUG");
  const display = r.bool();
  return { display, message: sanitizePeerText(r.text(), 256) };
}

export function encodeUnimplemented(seq: number): Uint8Array {
  return new WireWriter(8).u8(SSH_MSG_UNIMPLEMENTED).u32(seq).finish();
}

export function parseUnimplemented(payload: Uint8Array): number {
  return reader(payload, SSH_MSG_UNIMPLEMENTED, "UNIMPLEMENTED").u32();
}
