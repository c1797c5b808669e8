// SSH user authentication messages (RFC 4252, RFC 4256 keyboard-interactive): constants with
// the RFC names, encoders for what we send, decoders (bounds-checked, capped) for what we get.

import { ProtocolError, SizeLimitError } from "../../errors.ts";
import { WireReader } from "../../wire/reader.ts";
import { WireWriter } from "../../wire/writer.ts";
import { SSH_MSG_SERVICE_ACCEPT, SSH_MSG_SERVICE_REQUEST } from "../transport/constants.ts";

export const SSH_MSG_USERAUTH_REQUEST = 50;
export const SSH_MSG_USERAUTH_FAILURE = 51;
export const SSH_MSG_USERAUTH_SUCCESS = 52;
export const SSH_MSG_USERAUTH_BANNER = 53;
/** Message 60 means one of these three, depending on the method in progress. */
export const SSH_MSG_USERAUTH_PK_OK = 60;
export const SSH_MSG_USERAUTH_PASSWD_CHANGEREQ = 60;
export const SSH_MSG_USERAUTH_INFO_REQUEST = 60;
export const SSH_MSG_USERAUTH_INFO_RESPONSE = 61;

export const SERVICE_USERAUTH = "ssh-userauth";
export const SERVICE_CONNECTION = "ssh-connection";

/** Caps on server-supplied auth data. OpenSSH's server never sends more than 100 prompts. */
export const MAX_KBDINT_PROMPTS = 100;
export const MAX_AUTH_TEXT = 64 * 1024;

export function encodeServiceRequest(service: string): Uint8Array {
  return new WireWriter(32).u8(SSH_MSG_SERVICE_REQUEST).string(service).finish();
}

export function parseServiceAccept(msg: Uint8Array): string {
  const r = new WireReader(msg);
  if (r.u8() !== SSH_MSG_SERVICE_ACCEPT) throw new ProtocolError("expected SERVICE_ACCEPT");
  // RFC 4253 says the name is present; some old servers omit it.
  return r.atEnd() ? "" : r.cstring();
}

function requestHeader(user: string, method: string): WireWriter {
  return new WireWriter(256).u8(SSH_MSG_USERAUTH_REQUEST).string(user).string(SERVICE_CONNECTION)
    .string(method);
}

export function encodeNoneRequest(user: string): Uint8Array {
  return requestHeader(user, "none").finish();
}

/** publickey without a signature: asks whether the server would accept this key (PK_OK). */
export function encodePublickeyQuery(user: string, alg: string, blob: Uint8Array): Uint8Array {
  return requestHeader(user, "publickey").bool(false).string(alg).string(blob).finish();
}

/** The bytes the signature covers (RFC 4252 §7): session id, then the request minus the signature. */
export function publickeySignedData(
  sessionId: Uint8Array,
  user: string,
  alg: string,
  blob: Uint8Array,
): Uint8Array {
  return new WireWriter(512).string(sessionId).u8(SSH_MSG_USERAUTH_REQUEST).string(user)
    .string(SERVICE_CONNECTION).string("publickey").bool(true).string(alg).string(blob).finish();
}

export function encodePublickeyRequest(
  user: string,
  alg: string,
  blob: Uint8Array,
  signature: Uint8Array,
): Uint8Array {
  return requestHeader(user, "publickey").bool(true).string(alg).string(blob).string(signature)
    .finish();
}

export function encodePasswordRequest(user: string, password: string): Uint8Array {
  return requestHeader(user, "password").bool(false).string(password).finish();
}

export function encodeKbdIntRequest(user: string): Uint8Array {
  // language tag and submethods: both empty, as ssh sends them by default.
  return requestHeader(user, "keyboard-interactive").string("").string("").finish();
}

export function encodeInfoResponse(answers: readonly string[]): Uint8Array {
  const w = new WireWriter(64).u8(SSH_MSG_USERAUTH_INFO_RESPONSE).u32(answers.length);
  for (const a of answers) w.string(a);
  return w.finish();
}

export interface UserauthFailure {
  methods: string[];
  partialSuccess: boolean;
}

export function parseFailure(msg: Uint8Array): UserauthFailure {
  const r = new WireReader(msg);
  r.u8();
  const raw = r.string();
  if (raw.length > MAX_AUTH_TEXT) throw new SizeLimitError("auth method list too long");
  const text = new TextDecoder().decode(raw);
  const methods = text.length ? text.split(",") : [];
  const partialSuccess = r.bool();
  return { methods, partialSuccess };
}

export function parseBanner(msg: Uint8Array): string {
  const r = new WireReader(msg);
  r.u8();
  return r.text();
}

export function parsePkOk(msg: Uint8Array): { alg: string; blob: Uint8Array } {
  const r = new WireReader(msg);
  r.u8();
  const alg = r.cstring();
  const blob = r.string();
  return { alg, blob };
}

export interface InfoRequest {
  name: string;
  instruction: string;
  prompts: { prompt: string; echo: boolean }[];
}

export function parseInfoRequest(msg: Uint8Array): InfoRequest {
  const r = new WireReader(msg);
  r.u8();
  const name = r.text();
  const instruction = r.text();
  r.string(); // language tag (deprecated)
  const n = r.u32();
  if (n > MAX_KBDINT_PROMPTS) throw new SizeLimitError(`server sent ${n} prompts`);
  const prompts = [];
  for (let i = 0; i < n; i++) {
    const prompt = r.text();
    const echo = r.bool();
    prompts.push({ prompt, echo });
  }
  return { name, instruction, prompts };
}

/**
 * Makes server text safe for the user's terminal the way ssh prints banners and prompts
 * (utf8.c): control characters other than tab, newline and carriage return become octal
 * escapes ("\033"), so no escape sequence from the server reaches the terminal.
 */
export function sanitizeForTerminal(s: string): string {
  // deno-lint-ignore no-control-regex
  return s.replace(/[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]/g, (c) => {
    const bytes = new TextEncoder().encode(c);
    return Array.from(bytes, (b) => "\\" + b.toString(8).padStart(3, "0")).join("");
  });
}
