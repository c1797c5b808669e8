// TCP through Deno.connect (no source address): its native TcpConn is the fast path for bulk
// traffic. With AddressFamily any, Deno resolves the name itself; family_tcp.ts hands it the
// numeric addresses of one family instead. ConnectTimeout bounds each connect on its own.
import { FatalError } from "../../errors.ts";
import { log } from "../../log.ts";
import { connectInRounds } from "./attempts.ts";

/** One Deno.connect to `hostname`, abandoned after `timeoutMs` (rejects with TimedOut). */
export async function denoConnect(
  hostname: string,
  port: number,
  timeoutMs?: number,
): Promise<Deno.TcpConn> {
  const attempt = Deno.connect({ hostname, port, transport: "tcp" });
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return timeoutMs && timeoutMs > 0
      ? await Promise.race([
        attempt,
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Deno.errors.TimedOut("timeout")), timeoutMs);
        }),
      ])
      : await attempt;
  } catch (e) {
    // A connect that finishes after the timeout must not leak its socket.
    attempt.then((c) => c.close(), () => {});
    throw e;
  } finally {
    if (timer !== undefined) clearTimeout(timer);
  }
}

/** A failed connect as ssh words it (strerror). */
export function connectErrorText(e: unknown): string {
  if (e instanceof Deno.errors.ConnectionRefused) return "Connection refused";
  if (e instanceof Deno.errors.TimedOut) return "Connection timed out";
  if (e instanceof Deno.errors.ConnectionReset) return "Connection reset by peer";
  const msg = e instanceof Error ? e.message : String(e);
  if (/unreachable/i.test(msg)) return "No route to host";
  return msg.replace(/\s*\(os error \d+\)$/, "");
}

/** ssh's line before each connect (debug). */
export function logConnecting(host: string, address: string, port: number): void {
  log.debug(`Connecting to ${host} [${address}] port ${port}.`);
}

function isNumeric(host: string): boolean {
  return host.includes(":") || /^\d+\.\d+\.\d+\.\d+$/.test(host);
}

/** Deno.connect by name, ConnectionAttempts rounds; a name that does not resolve ends it. */
export function connectDirectTcp(
  host: string,
  port: number,
  opts: { timeoutMs?: number; attempts?: number },
): Promise<Deno.TcpConn> {
  return connectInRounds<Deno.TcpConn>(host, port, opts.attempts ?? 1, async () => {
    // A name's address is known only inside Deno.connect; a numeric host is its own address
    // (the config resolution has already put it in inet_ntop's form).
    if (isNumeric(host)) logConnecting(host, host, port);
    try {
      return { ok: await denoConnect(host, port, opts.timeoutMs) };
    } catch (e) {
      if (
        e instanceof Error && /failed to lookup|name resolution|Name or service/i.test(e.message)
      ) {
        throw new FatalError(`ssh: Could not resolve hostname ${host}: Name or service not known`);
      }
      const failed = connectErrorText(e);
      // Deno resolves inside the call, so the name stands where ssh names the address.
      log.debug(`connect to address ${host} port ${port}: ${failed}`);
      return { failed };
    }
  });
}
