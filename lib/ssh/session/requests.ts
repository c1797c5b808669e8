// Session channel requests (RFC 4254 §6): the payloads we send (pty-req, env, exec, ...) and
// the ones the server sends us (exit-status, exit-signal), decoded with caps.

import { WireReader } from "../../wire/reader.ts";
import { WireWriter } from "../../wire/writer.ts";
import { SizeLimitError } from "../../errors.ts";

export interface WindowSize {
  cols: number;
  rows: number;
  widthPx: number;
  heightPx: number;
}

export interface PtyRequest extends WindowSize {
  term: string;
  /** Encoded terminal modes (RFC 4254 §8), ending with TTY_OP_END. */
  modes: Uint8Array;
}

export interface ExitSignal {
  /** Signal name without "SIG" (e.g. "TERM"). */
  name: string;
  coreDumped: boolean;
  message: string;
}

/** TTY_OP_END alone: "no modes", what we send when the local side has no terminal. */
export const NO_TTY_MODES = Uint8Array.of(0);

export function encodePtyReq(p: PtyRequest): Uint8Array {
  return new WireWriter(64 + p.modes.length).string(p.term).u32(p.cols).u32(p.rows)
    .u32(p.widthPx).u32(p.heightPx).string(p.modes).finish();
}

export function encodeWindowChange(w: WindowSize): Uint8Array {
  return new WireWriter(16).u32(w.cols).u32(w.rows).u32(w.widthPx).u32(w.heightPx).finish();
}

export function encodeEnv(name: string, value: string): Uint8Array {
  return new WireWriter(16 + name.length + value.length).string(name).string(value).finish();
}

/** exec's command, subsystem's name and signal's name are all one string. */
export function encodeString(s: string): Uint8Array {
  return new WireWriter(8 + s.length).string(s).finish();
}

export function decodeExitStatus(data: Uint8Array): number {
  const r = new WireReader(data);
  const status = r.u32();
  r.expectEnd("exit-status");
  return status;
}

export function decodeExitSignal(data: Uint8Array): ExitSignal {
  const r = new WireReader(data);
  const rawName = r.string();
  if (rawName.length > 64) throw new SizeLimitError("exit-signal name longer than 64");
  const coreDumped = r.bool();
  const rawMsg = r.string();
  if (rawMsg.length > 4096) throw new SizeLimitError("exit-signal message longer than 4096");
  // Language tag: optional in practice.
  if (r.remaining > 0) r.string();
  r.expectEnd("exit-signal");
  const dec = new TextDecoder();
  return { name: dec.decode(rawName), coreDumped, message: dec.decode(rawMsg) };
}
