// SOCKS4, SOCKS4a and SOCKS5 (RFC 1928, no authentication, CONNECT only) request parsing,
// sans-IO: each parser looks at the bytes buffered so far and says "need more", returns the
// parsed message and how many bytes it used, or throws SocksError. Every field is capped, so
// a peer cannot make us buffer more than MAX_SOCKS_REQUEST bytes before we decide.

import { formatIPv6 } from "../../../ffi/sockaddr.ts";
import { ProtocolError } from "../../errors.ts";

export const SOCKS4_VERSION = 0x04;
export const SOCKS5_VERSION = 0x05;
export const SOCKS_CMD_CONNECT = 0x01;
export const SOCKS4_GRANTED = 0x5a;
export const SOCKS4_REJECTED = 0x5b;
export const SOCKS5_AUTH_NONE = 0x00;
export const SOCKS5_AUTH_NO_ACCEPTABLE = 0xff;
export const SOCKS5_ATYP_IPV4 = 0x01;
export const SOCKS5_ATYP_DOMAIN = 0x03;
export const SOCKS5_ATYP_IPV6 = 0x04;

/** RFC 1928 §6 reply codes. */
export const SOCKS5_REP = {
  SUCCEEDED: 0x00,
  GENERAL_FAILURE: 0x01,
  NOT_ALLOWED: 0x02,
  NETWORK_UNREACHABLE: 0x03,
  HOST_UNREACHABLE: 0x04,
  CONNECTION_REFUSED: 0x05,
  COMMAND_NOT_SUPPORTED: 0x07,
  ADDRESS_TYPE_NOT_SUPPORTED: 0x08,
} as const;

/** SOCKS4 user id and SOCKS4a host name caps (bytes, without the NUL). */
export const MAX_SOCKS4_USERID = 255;
export const MAX_SOCKS4A_HOST = 255;
/** Largest complete request we accept: a SOCKS4a request with both fields at their caps. */
export const MAX_SOCKS_REQUEST = 8 + MAX_SOCKS4_USERID + 1 + MAX_SOCKS4A_HOST + 1;

/** A malformed or unsupported SOCKS message. `reply`, if set, is sent before closing. */
export class SocksError extends ProtocolError {
  override name = "SocksError";
  constructor(message: string, readonly reply?: Uint8Array) {
    super(message);
  }
}

export type AddressType = "ipv4" | "domain" | "ipv6";

export interface SocksConnect {
  version: 4 | 5;
  host: string;
  port: number;
  addressType: AddressType;
  /** Bytes of the buffer this request used. */
  consumed: number;
}

export interface Socks5Greeting {
  methods: number[];
  consumed: number;
}

const latin1 = new TextDecoder("latin1");

function u16(b: Uint8Array, at: number): number {
  return (b[at] << 8) | b[at + 1];
}

/** Index of the first NUL in b[from..from+max], -1 if none yet, throws if the cap is passed. */
function findNul(b: Uint8Array, from: number, max: number, what: string): number {
  const end = Math.min(b.length, from + max + 1);
  for (let i = from; i < end; i++) if (b[i] === 0) return i;
  if (b.length > from + max) throw new SocksError(`SOCKS4 ${what} longer than ${max} bytes`);
  return -1;
}

function socks4Reject(): Uint8Array {
  return socks4Reply(false);
}

export function formatIpv4(b: Uint8Array): string {
  return `${b[0]}.${b[1]}.${b[2]}.${b[3]}`;
}

function checkHostName(name: Uint8Array, what: string): string {
  if (name.length === 0) throw new SocksError(`empty ${what}`);
  for (const c of name) {
    // Control characters cannot appear in a resolvable name; refusing them keeps log lines
    // and the server's getaddrinfo() input clean.
    if (c < 0x21 || c === 0x7f) throw new SocksError(`${what} contains a control character`);
  }
  return latin1.decode(name);
}

/**
 * SOCKS4/4a CONNECT: VN=4, CD, DSTPORT(2), DSTIP(4), USERID, NUL, [HOST, NUL if DSTIP=0.0.0.x].
 * Returns null while incomplete.
 */
export function parseSocks4Request(b: Uint8Array): SocksConnect | null {
  if (b.length < 1) return null;
  if (b[0] !== SOCKS4_VERSION) throw new SocksError(`not a SOCKS4 request (version ${b[0]})`);
  if (b.length < 8) return null;
  if (b[1] !== SOCKS_CMD_CONNECT) {
    throw new SocksError(`unsupported SOCKS4 command ${b[1]}`, socks4Reject());
  }
  const port = u16(b, 2);
  const ip = b.subarray(4, 8);
  const userEnd = findNul(b, 8, MAX_SOCKS4_USERID, "user id");
  if (userEnd < 0) return null;
  // 0.0.0.x with x != 0 means SOCKS4a: the host name follows the user id.
  const is4a = ip[0] === 0 && ip[1] === 0 && ip[2] === 0 && ip[3] !== 0;
  if (!is4a) {
    return { version: 4, host: formatIpv4(ip), port, addressType: "ipv4", consumed: userEnd + 1 };
  }
  const hostEnd = findNul(b, userEnd + 1, MAX_SOCKS4A_HOST, "host name");
  if (hostEnd < 0) return null;
  const host = checkHostName(b.subarray(userEnd + 1, hostEnd), "SOCKS4a host name");
  return { version: 4, host, port, addressType: "domain", consumed: hostEnd + 1 };
}

/** SOCKS5 method selection: VER=5, NMETHODS (1..255), METHODS. Null while incomplete. */
export function parseSocks5Greeting(b: Uint8Array): Socks5Greeting | null {
  if (b.length < 1) return null;
  if (b[0] !== SOCKS5_VERSION) throw new SocksError(`not a SOCKS5 greeting (version ${b[0]})`);
  if (b.length < 2) return null;
  const n = b[1];
  if (n === 0) throw new SocksError("SOCKS5 greeting offers no methods");
  if (b.length < 2 + n) return null;
  return { methods: Array.from(b.subarray(2, 2 + n)), consumed: 2 + n };
}

/** SOCKS5 request: VER=5, CMD, RSV=0, ATYP, DST.ADDR, DST.PORT(2). Null while incomplete. */
export function parseSocks5Request(b: Uint8Array): SocksConnect | null {
  if (b.length < 1) return null;
  if (b[0] !== SOCKS5_VERSION) throw new SocksError(`not a SOCKS5 request (version ${b[0]})`);
  if (b.length < 4) return null;
  if (b[2] !== 0) throw new SocksError("SOCKS5 request reserved byte is not zero");
  const atyp = b[3];
  let addrLen: number;
  let addrStart = 4;
  if (atyp === SOCKS5_ATYP_IPV4) addrLen = 4;
  else if (atyp === SOCKS5_ATYP_IPV6) addrLen = 16;
  else if (atyp === SOCKS5_ATYP_DOMAIN) {
    if (b.length < 5) return null;
    addrLen = b[4];
    addrStart = 5;
    if (addrLen === 0) throw new SocksError("SOCKS5 empty domain name");
  } else {
    throw new SocksError(
      `SOCKS5 address type ${atyp} not supported`,
      socks5Reply(SOCKS5_REP.ADDRESS_TYPE_NOT_SUPPORTED),
    );
  }
  const end = addrStart + addrLen + 2;
  if (b.length < end) return null;
  // The command is checked once the whole request is here, so the reply comes at the right time.
  if (b[1] !== SOCKS_CMD_CONNECT) {
    throw new SocksError(
      `SOCKS5 command ${b[1]} not supported`,
      socks5Reply(SOCKS5_REP.COMMAND_NOT_SUPPORTED),
    );
  }
  const addr = b.subarray(addrStart, addrStart + addrLen);
  const port = u16(b, addrStart + addrLen);
  let host: string;
  let addressType: AddressType;
  if (atyp === SOCKS5_ATYP_IPV4) {
    host = formatIpv4(addr);
    addressType = "ipv4";
  } else if (atyp === SOCKS5_ATYP_IPV6) {
    host = formatIPv6(addr);
    addressType = "ipv6";
  } else {
    host = checkHostName(addr, "SOCKS5 domain name");
    addressType = "domain";
  }
  return { version: 5, host, port, addressType, consumed: end };
}

/** SOCKS4 reply: VN=0, CD, DSTPORT, DSTIP (zeros: clients ignore them for CONNECT). */
export function socks4Reply(granted: boolean): Uint8Array {
  return Uint8Array.of(0, granted ? SOCKS4_GRANTED : SOCKS4_REJECTED, 0, 0, 0, 0, 0, 0);
}

export function socks5MethodReply(method: number): Uint8Array {
  return Uint8Array.of(SOCKS5_VERSION, method);
}

/** SOCKS5 reply with BND.ADDR 0.0.0.0:0 (the bound address is on the server, unknown here). */
export function socks5Reply(rep: number): Uint8Array {
  return Uint8Array.of(SOCKS5_VERSION, rep, 0, SOCKS5_ATYP_IPV4, 0, 0, 0, 0, 0, 0);
}
