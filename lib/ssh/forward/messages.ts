// Type-specific data of the forwarding channel opens and global requests: RFC 4254 §7
// (tcpip-forward, direct-tcpip, forwarded-tcpip) and OpenSSH's PROTOCOL §2.4
// (streamlocal-forward@openssh.com, direct-/forwarded-streamlocal@openssh.com).

import { WireReader } from "../../wire/reader.ts";
import { WireWriter } from "../../wire/writer.ts";
import { DecodeError } from "../../errors.ts";

export const CHAN_DIRECT_TCPIP = "direct-tcpip";
export const CHAN_FORWARDED_TCPIP = "forwarded-tcpip";
export const CHAN_DIRECT_STREAMLOCAL = "direct-streamlocal@openssh.com";
export const CHAN_FORWARDED_STREAMLOCAL = "forwarded-streamlocal@openssh.com";

export const REQ_TCPIP_FORWARD = "tcpip-forward";
export const REQ_CANCEL_TCPIP_FORWARD = "cancel-tcpip-forward";
export const REQ_STREAMLOCAL_FORWARD = "streamlocal-forward@openssh.com";
export const REQ_CANCEL_STREAMLOCAL_FORWARD = "cancel-streamlocal-forward@openssh.com";

/** Hosts and paths from the peer longer than this are refused (NI_MAXHOST is 1025). */
const MAX_NAME = 1025;

function boundedText(r: WireReader, what: string): string {
  const s = r.cstring();
  if (s.length > MAX_NAME) throw new DecodeError(`${what} too long (${s.length} bytes)`);
  return s;
}

function port16(v: number, what: string): number {
  if (v > 0xffff) throw new DecodeError(`invalid ${what} ${v}`);
  return v;
}

/** direct-tcpip: host and port to connect to, originator address and port. */
export function encodeDirectTcpip(
  host: string,
  port: number,
  originIp: string,
  originPort: number,
): Uint8Array {
  return new WireWriter().string(host).u32(port).string(originIp).u32(originPort).finish();
}

/** direct-streamlocal@openssh.com: socket path, then a reserved string and u32. */
export function encodeDirectStreamlocal(path: string): Uint8Array {
  return new WireWriter().string(path).string("").u32(0).finish();
}

/** tcpip-forward / cancel-tcpip-forward: address to bind, port to bind. */
export function encodeTcpipForward(bindAddress: string, port: number): Uint8Array {
  return new WireWriter().string(bindAddress).u32(port).finish();
}

/** streamlocal-forward@openssh.com / its cancel: the socket path. */
export function encodeStreamlocalForward(path: string): Uint8Array {
  return new WireWriter().string(path).finish();
}

/** The u32 port in a tcpip-forward success reply for port 0 (RFC 4254 §7.1). */
export function decodeAllocatedPort(data: Uint8Array): number {
  const r = new WireReader(data);
  return port16(r.u32(), "allocated port");
}

export interface ForwardedTcpip {
  /** The address the server listened on, as the client asked for it. */
  listenAddress: string;
  listenPort: number;
  originatorAddress: string;
  originatorPort: number;
}

export function decodeForwardedTcpip(data: Uint8Array): ForwardedTcpip {
  const r = new WireReader(data);
  const listenAddress = boundedText(r, "listen address");
  const listenPort = port16(r.u32(), "listen port");
  const originatorAddress = boundedText(r, "originator address");
  const originatorPort = port16(r.u32(), "originator port");
  r.expectEnd("forwarded-tcpip");
  return { listenAddress, listenPort, originatorAddress, originatorPort };
}

export function encodeForwardedTcpip(m: ForwardedTcpip): Uint8Array {
  return new WireWriter().string(m.listenAddress).u32(m.listenPort)
    .string(m.originatorAddress).u32(m.originatorPort).finish();
}

/** forwarded-streamlocal@openssh.com: listen path and a reserved string. */
export function decodeForwardedStreamlocal(data: Uint8Array): { path: string } {
  const r = new WireReader(data);
  const path = boundedText(r, "socket path");
  // OpenSSH appends a reserved string; older peers may omit it.
  if (!r.atEnd()) r.string();
  r.expectEnd("forwarded-streamlocal");
  return { path };
}

export function encodeForwardedStreamlocal(path: string): Uint8Array {
  return new WireWriter().string(path).string("").finish();
}

export interface DirectTcpip {
  host: string;
  port: number;
  originIp: string;
  originPort: number;
}

/** For the fake server in tests and for a future server side. */
export function decodeDirectTcpip(data: Uint8Array): DirectTcpip {
  const r = new WireReader(data);
  const host = boundedText(r, "host");
  const port = port16(r.u32(), "port");
  const originIp = boundedText(r, "originator address");
  const originPort = port16(r.u32(), "originator port");
  r.expectEnd("direct-tcpip");
  return { host, port, originIp, originPort };
}

export function decodeDirectStreamlocal(data: Uint8Array): { path: string } {
  const r = new WireReader(data);
  const path = boundedText(r, "socket path");
  r.string();
  r.u32();
  r.expectEnd("direct-streamlocal");
  return { path };
}

export function decodeTcpipForward(data: Uint8Array): { address: string; port: number } {
  const r = new WireReader(data);
  const address = boundedText(r, "bind address");
  const port = port16(r.u32(), "bind port");
  r.expectEnd("tcpip-forward");
  return { address, port };
}

export function decodeStreamlocalForward(data: Uint8Array): { path: string } {
  const r = new WireReader(data);
  const path = boundedText(r, "socket path");
  r.expectEnd("streamlocal-forward");
  return { path };
}
