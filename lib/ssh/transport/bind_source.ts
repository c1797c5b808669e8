// The source address for a connection under BindAddress/BindInterface, per destination address
// family, as ssh picks it: BindAddress wins when both are set (OpenSSH 9.2 here binds to -b's
// address even with -B given; checked against the real ssh), resolved as a passive address of
// the destination's family; otherwise the interface's first address of that family. Failures are
// logged the way ssh logs them and leave this destination address unusable (undefined).
import { type InetAddress, ResolveError, resolveInet } from "../../../ffi/inet.ts";
import { log } from "../../log.ts";

export interface BindSpec {
  bindAddress?: string;
  bindInterface?: string;
}

/** The address to bind for a destination of `family`, or undefined (already logged). */
export async function sourceAddress(
  family: InetAddress["family"],
  b: BindSpec,
): Promise<InetAddress | undefined> {
  if (b.bindAddress) {
    try {
      const [first] = await resolveInet(b.bindAddress, { family, passive: true });
      return first;
    } catch (e) {
      if (!(e instanceof ResolveError)) throw e;
      log.error(`getaddrinfo: ${b.bindAddress}: ${e.message}`);
      return undefined;
    }
  }
  return interfaceAddress(family, b.bindInterface!);
}

/**
 * The first address of `family` on interface `name` (Deno.networkInterfaces, i.e. getifaddrs).
 * An IPv6 link-local address is passed over when the interface has another one, since it
 * only reaches its own link; alone, it is used with the interface as its scope.
 */
function interfaceAddress(family: InetAddress["family"], name: string): InetAddress | undefined {
  const want = family === "inet" ? "IPv4" : "IPv6";
  const found = Deno.networkInterfaces().filter((i) => i.name === name && i.family === want);
  const pick = found.find((i) => !isLinkLocal6(i.address)) ?? found[0];
  if (pick === undefined) {
    // ssh reports this at INFO (hidden by LogLevel ERROR), unlike a failed bind.
    log.info(`getifaddrs: ${name}: no suitable addresses`);
    return undefined;
  }
  const host = pick.address.replace(/%.*$/, "");
  return { family, host, port: 0, scopeId: pick.scopeid ?? 0 };
}

function isLinkLocal6(a: string): boolean {
  return /^fe[89ab][0-9a-f]:/i.test(a);
}
