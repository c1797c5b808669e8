// TCP/IP's own barrel, like crypto.ts not part of mod.ts: only a connection with BindAddress or
// BindInterface loads these modules (lib/ssh/transport/bound_tcp.ts, itself loaded lazily), so
// a mux client or a plain connection without them parses none of it.
export { SysError } from "./errors.ts";
export { type InetAddress } from "./sockaddr.ts";
export { ResolveError, resolveInet, type ResolveOptions } from "./inet_resolve.ts";
export { type BoundConnection, connectTcpFrom } from "./tcp_connect.ts";
