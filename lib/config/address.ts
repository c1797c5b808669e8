// Numeric host addresses as ssh treats them after HostName: an address is not lowercased,
// and it is rewritten to its canonical numeric form (getnameinfo NI_NUMERICHOST), so
// `127.1` becomes `127.0.0.1` — which changes %h and %C.
import { formatIPv6 } from "../../ffi/sockaddr.ts";
import { parseAddress } from "./cidr.ts";

/** ssh's is_addr_fast: a '%' or ':' anywhere, or only digits and dots. */
export function looksLikeAddress(h: string): boolean {
  return h.includes("%") || h.includes(":") || /^[0-9.]*$/.test(h);
}

/** inet_aton: 1 to 4 parts in decimal, octal (leading 0) or hex (0x); the last part fills. */
function inetAton(s: string): number[] | undefined {
  const parts = s.split(".");
  if (parts.length > 4) return undefined;
  const nums: number[] = [];
  for (const p of parts) {
    let n: number;
    if (/^0[xX][0-9a-fA-F]*$/.test(p)) n = p.length === 2 ? 0 : parseInt(p.slice(2), 16);
    else if (/^0[0-7]*$/.test(p)) n = p.length === 1 ? 0 : parseInt(p.slice(1), 8);
    else if (/^[1-9][0-9]*$/.test(p)) n = Number(p);
    else return undefined;
    nums.push(n);
  }
  const lastMax = 2 ** (8 * (5 - nums.length)) - 1;
  const last = nums.pop()!;
  if (nums.some((n) => n > 255) || last > lastMax) return undefined;
  const bytes = [...nums];
  for (let i = 4 - nums.length - 1; i >= 0; i--) bytes.push(Math.floor(last / 256 ** i) % 256);
  return bytes;
}

/**
 * The canonical numeric form of `host` if it is a numeric address, else undefined.
 * Addresses with a scope (`%eth0`) are returned unchanged.
 */
export function canonicalAddress(host: string): string | undefined {
  if (host.includes("%")) return host;
  if (host.includes(":")) {
    const b = parseAddress(host);
    return b && b.length === 16 ? formatIPv6(b) : undefined;
  }
  const v4 = inetAton(host);
  return v4 ? v4.join(".") : undefined;
}
