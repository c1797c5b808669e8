// The destination's addresses through getaddrinfo, as ssh resolves them (once per connection,
// whatever ConnectionAttempts says), with ssh's message when the name has none of `family`.
import { type InetAddress, ResolveError, resolveInet } from "../../../ffi/inet.ts";
import { FatalError } from "../../errors.ts";

export async function resolveDestination(
  host: string,
  family: "any" | "inet" | "inet6" | undefined,
): Promise<InetAddress[]> {
  try {
    return await resolveInet(host, { family: family === "any" ? undefined : family });
  } catch (e) {
    if (!(e instanceof ResolveError)) throw e;
    throw new FatalError(`ssh: Could not resolve hostname ${host}: ${e.message}`);
  }
}
