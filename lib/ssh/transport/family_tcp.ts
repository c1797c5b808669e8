// AddressFamily inet/inet6 without -b/-B: getaddrinfo (ffi/) picks the addresses of that family,
// and each is tried in its order through Deno.connect, as ssh tries them, so the connection
// stays Deno's native TcpConn. Loaded only then: the resolver's FFI modules cost nothing to a
// connection that lets Deno resolve.
import { log } from "../../log.ts";
import { connectInRounds } from "./attempts.ts";
import { connectErrorText, denoConnect, logConnecting } from "./direct_tcp.ts";
import { resolveDestination } from "./resolve_destination.ts";

export async function connectFamilyTcp(
  host: string,
  port: number,
  family: "inet" | "inet6",
  opts: { timeoutMs?: number; attempts?: number },
): Promise<Deno.TcpConn> {
  const addrs = await resolveDestination(host, family);
  return await connectInRounds<Deno.TcpConn>(host, port, opts.attempts ?? 1, async () => {
    let failed = "failure";
    for (const a of addrs) {
      logConnecting(host, a.host, port);
      try {
        return { ok: await denoConnect(a.host, port, opts.timeoutMs) };
      } catch (e) {
        failed = connectErrorText(e);
        log.debug(`connect to address ${a.host} port ${port}: ${failed}`);
      }
    }
    return { failed };
  });
}
