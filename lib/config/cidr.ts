// Address/CIDR lists for `Match localnetwork` (addr_match_cidr_list in addrmatch.c).
import { parseIPv4, parseIPv6 } from "../../ffi/sockaddr.ts";

/** An IPv4 or IPv6 address as bytes (4 or 16), or undefined if not a numeric address. */
export function parseAddress(s: string): Uint8Array | undefined {
  const addr = s.replace(/%.*$/, ""); // drop an IPv6 zone ("fe80::1%eth0")
  try {
    return addr.includes(":") ? parseIPv6(addr) : parseIPv4(addr);
  } catch {
    return undefined;
  }
}

function inNet(addr: Uint8Array, net: Uint8Array, bits: number): boolean {
  if (addr.length !== net.length) return false;
  for (let i = 0; i < addr.length; i++) {
    const take = Math.max(0, Math.min(8, bits - 8 * i));
    const mask = take === 0 ? 0 : (0xff << (8 - take)) & 0xff;
    if ((addr[i] & mask) !== (net[i] & mask)) return false;
  }
  return true;
}

/**
 * Whether `addr` is in one of the comma-separated `addr/bits` entries: 1 yes, 0 no,
 * -1 when the list itself is malformed (ssh rejects the Match line then).
 */
export function matchCidrList(addr: string | undefined, list: string): 1 | 0 | -1 {
  const a = addr === undefined ? undefined : parseAddress(addr);
  let found: 1 | 0 = 0;
  for (const entry of list.split(",")) {
    const [netText, bitsText, extra] = entry.split("/");
    if (extra !== undefined || netText === "") return -1;
    const net = parseAddress(netText);
    if (!net) return -1;
    const max = net.length * 8;
    const bits = bitsText === undefined ? max : /^\d{1,3}$/.test(bitsText) ? Number(bitsText) : -1;
    if (bits < 0 || bits > max) return -1;
    if (a && inNet(a, net, bits)) found = 1;
  }
  return found;
}

/** `Match localnetwork`: does any up interface have an address in the list? */
export function localNetworkMatches(list: string): boolean {
  let ifaces: Deno.NetworkInterfaceInfo[];
  try {
    ifaces = Deno.networkInterfaces();
  } catch {
    return false; // no permission / unsupported: nothing matches, as ssh without getifaddrs
  }
  return ifaces.some((i) => matchCidrList(i.address, list) === 1);
}
