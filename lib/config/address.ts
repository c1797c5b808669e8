// Numeric host addresses as ssh treats them after HostName: an address is not lowercased,
// and it is rewritten to its canonical numeric form (getnameinfo NI_NUMERICHOST), so
// `127.1` becomes `127.0.0.1` — which changes %h and %C.
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

/** inet_ntop for IPv6 (glibc style): lowercase, longest zero run of 2+ groups as "::". */
function formatIpv6(b: Uint8Array): string {
  const words = Array.from({ length: 8 }, (_, i) => (b[2 * i] << 8) | b[2 * i + 1]);
  let best = { base: -1, len: 0 };
  for (let i = 0; i < 8;) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > best.len) best = { base: i, len: j - i };
    i = j;
  }
  if (best.len < 2) best = { base: -1, len: 0 };
  let out = "";
  for (let i = 0; i < 8; i++) {
    if (best.base !== -1 && i >= best.base && i < best.base + best.len) {
      if (i === best.base) out += ":";
      continue;
    }
    if (i !== 0) out += ":";
    // IPv4-compatible / IPv4-mapped addresses end in dotted quad.
    if (i === 6 && best.base === 0 && (best.len === 6 || (best.len === 5 && words[5] === 0xffff))) {
      out += `${b[12]}.${b[13]}.${b[14]}.${b[15]}`;
      break;
    }
    out += words[i].toString(16);
  }
  if (best.base !== -1 && best.base + best.len === 8) out += ":";
  return out;
}

/**
 * The canonical numeric form of `host` if it is a numeric address, else undefined.
 * Addresses with a scope (`%eth0`) are returned unchanged.
 */
export function canonicalAddress(host: string): string | undefined {
  if (host.includes("%")) return host;
  if (host.includes(":")) {
    const b = parseAddress(host);
    return b && b.length === 16 ? formatIpv6(b) : undefined;
  }
  const v4 = inetAton(host);
  return v4 ? v4.join(".") : undefined;
}
