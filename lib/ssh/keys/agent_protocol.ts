// ssh-agent protocol codec (draft-miller-ssh-agent; OpenSSH PROTOCOL.agent): the client's
// REQUEST_IDENTITIES and SIGN_REQUEST, and parsing the agent's replies, with caps on everything.

import { ProtocolError, SizeLimitError } from "../../errors.ts";
import { WireReader } from "../../wire/reader.ts";
import { WireWriter } from "../../wire/writer.ts";

export const SSH_AGENT_FAILURE = 5;
export const SSH_AGENT_SUCCESS = 6;
export const SSH_AGENTC_REQUEST_IDENTITIES = 11;
export const SSH_AGENT_IDENTITIES_ANSWER = 12;
export const SSH_AGENTC_SIGN_REQUEST = 13;
export const SSH_AGENT_SIGN_RESPONSE = 14;
export const SSH_AGENT_EXTENSION_FAILURE = 28;

/** SIGN_REQUEST flags selecting the RSA signature hash. */
export const SSH_AGENT_RSA_SHA2_256 = 0x02;
export const SSH_AGENT_RSA_SHA2_512 = 0x04;

/** OpenSSH's limits: a reply is at most 256 KiB, an agent holds at most 2048 identities. */
export const AGENT_MAX_MESSAGE = 256 * 1024;
export const AGENT_MAX_IDENTITIES = 2048;

export interface AgentIdentity {
  blob: Uint8Array;
  comment: string;
}

/** A framed request: u32 length, then the message (type byte first). */
export function encodeRequestIdentities(): Uint8Array {
  return new WireWriter(8).u8(SSH_AGENTC_REQUEST_IDENTITIES).framed();
}

export function signFlagsFor(alg: string): number {
  if (alg === "rsa-sha2-256") return SSH_AGENT_RSA_SHA2_256;
  if (alg === "rsa-sha2-512") return SSH_AGENT_RSA_SHA2_512;
  return 0;
}

export function encodeSignRequest(blob: Uint8Array, data: Uint8Array, alg: string): Uint8Array {
  return new WireWriter(blob.length + data.length + 32)
    .u8(SSH_AGENTC_SIGN_REQUEST)
    .string(blob)
    .string(data)
    .u32(signFlagsFor(alg))
    .framed();
}

/** Reads a frame length from the first 4 bytes; throws SizeLimitError above the cap. */
export function frameLength(header: Uint8Array): number {
  const len = new DataView(header.buffer, header.byteOffset, 4).getUint32(0);
  if (len === 0) throw new ProtocolError("agent sent an empty message");
  if (len > AGENT_MAX_MESSAGE) {
    throw new SizeLimitError(`agent message of ${len} bytes exceeds cap`);
  }
  return len;
}

/** Parses an IDENTITIES_ANSWER body (the message after the length). */
export function parseIdentitiesAnswer(msg: Uint8Array): AgentIdentity[] {
  const r = new WireReader(msg);
  const type = r.u8();
  if (type === SSH_AGENT_FAILURE) throw new ProtocolError("agent refused to list identities");
  if (type !== SSH_AGENT_IDENTITIES_ANSWER) {
    throw new ProtocolError(`agent replied with message type ${type} to REQUEST_IDENTITIES`);
  }
  const n = r.u32();
  if (n > AGENT_MAX_IDENTITIES) throw new SizeLimitError(`agent lists ${n} identities`);
  const out: AgentIdentity[] = [];
  for (let i = 0; i < n; i++) {
    const blob = r.string().slice();
    const comment = r.text();
    out.push({ blob, comment });
  }
  r.expectEnd("identities answer");
  return out;
}

/** Parses a SIGN_RESPONSE body; null when the agent refused (SSH_AGENT_FAILURE). */
export function parseSignResponse(msg: Uint8Array): Uint8Array | null {
  const r = new WireReader(msg);
  const type = r.u8();
  if (type === SSH_AGENT_FAILURE || type === SSH_AGENT_EXTENSION_FAILURE) return null;
  if (type !== SSH_AGENT_SIGN_RESPONSE) {
    throw new ProtocolError(`agent replied with message type ${type} to SIGN_REQUEST`);
  }
  const sig = r.string().slice();
  r.expectEnd("sign response");
  return sig;
}
