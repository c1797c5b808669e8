// sockaddr_in / sockaddr_in6 to and from numeric address text. Pure byte arithmetic over an
// ABI table, so the encoding is unit-tested on any host. Only numeric forms are accepted here:
// names (and inet_aton's odd forms like "2130706434") are getaddrinfo's business (inet_resolve.ts),
// which hands back sockaddrs that decodeSockaddr turns into canonical text.
import type { Abi, SockaddrInLayout } from "./abi/types.ts";

export interface InetAddress {
  family: "inet" | "inet6";
  /** canonical numeric text: "127.0.0.1", "::1" (no brackets, no zone) */
  host: string;
  port: number;
  /** sin6_scope_id (an interface index) for link-local IPv6; 0 otherwise */
  scopeId?: number;
}

/** The 4 bytes of a dotted quad ("a.b.c.d", each 0-255 in decimal); throws on anything else. */
export function parseIPv4(text: string): Uint8Array {
  const parts = text.split(".");
  if (parts.length !== 4) throw new TypeError(`not an IPv4 address: "${text}"`);
  const out = new Uint8Array(4);
  parts.forEach((p, i) => {
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) {
      throw new TypeError(`not an IPv4 address: "${text}"`);
    }
    out[i] = Number(p);
  });
  return out;
}

/** The 16 bytes of an IPv6 address (RFC 4291 §2.2 text, "::" and a trailing dotted quad). */
export function parseIPv6(text: string): Uint8Array {
  const bad = () => new TypeError(`not an IPv6 address: "${text}"`);
  const halves = text.split("::");
  if (halves.length > 2) throw bad();
  const groups = (s: string): number[] => {
    if (s === "") return [];
    const words: number[] = [];
    const parts = s.split(":");
    parts.forEach((p, i) => {
      if (i === parts.length - 1 && p.includes(".")) {
        const v4 = parseIPv4(p);
        words.push((v4[0] << 8) | v4[1], (v4[2] << 8) | v4[3]);
        return;
      }
      if (!/^[0-9a-fA-F]{1,4}$/.test(p)) throw bad();
      words.push(parseInt(p, 16));
    });
    return words;
  };
  let words: number[];
  try {
    const head = groups(halves[0]);
    const tail = halves.length === 2 ? groups(halves[1]) : [];
    // A dotted quad may only end the address, so not in the part before "::".
    if (halves.length === 2 && halves[0].includes(".")) throw bad();
    if (halves.length === 1) {
      if (head.length !== 8) throw bad();
      words = head;
    } else {
      // "::" stands for at least one zero group.
      if (head.length + tail.length > 7) throw bad();
      words = [...head, ...new Array(8 - head.length - tail.length).fill(0), ...tail];
    }
  } catch {
    throw bad();
  }
  const out = new Uint8Array(16);
  words.forEach((w, i) => {
    out[2 * i] = w >> 8;
    out[2 * i + 1] = w & 0xff;
  });
  return out;
}

/**
 * inet_ntop's text for 16 address bytes (glibc): lowercase, the longest run of 2+ zero groups
 * as "::", and IPv4-mapped/-compatible addresses ending in their dotted quad. The one IPv6
 * formatter: config (canonical HostName) and SOCKS use it too.
 */
export function formatIPv6(b: Uint8Array): string {
  if (b.length !== 16) throw new RangeError(`IPv6 address of ${b.length} bytes`);
  const w = Array.from({ length: 8 }, (_, i) => (b[2 * i] << 8) | b[2 * i + 1]);
  let best = -1, bestLen = 0;
  for (let i = 0; i < 8;) {
    if (w[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && w[j] === 0) j++;
    if (j - i > bestLen) [best, bestLen] = [i, j - i];
    i = j;
  }
  if (bestLen < 2) [best, bestLen] = [-1, 0];
  if (best === 0 && (bestLen === 6 || (bestLen === 5 && w[5] === 0xffff))) {
    return `::${bestLen === 5 ? "ffff:" : ""}${b.subarray(12).join(".")}`;
  }
  const hex = (ws: number[]) => ws.map((x) => x.toString(16)).join(":");
  if (best < 0) return hex(w);
  return `${hex(w.slice(0, best))}::${hex(w.slice(best + bestLen))}`;
}

function layoutOf(abi: Abi, family: "inet" | "inet6"): SockaddrInLayout {
  return family === "inet" ? abi.inet.sockaddrIn : abi.inet.sockaddrIn6;
}

/** A sockaddr_in/in6 for `a` in `abi`'s layout; throws TypeError/RangeError on bad input. */
export function encodeSockaddr(abi: Abi, a: InetAddress): Uint8Array {
  if (!Number.isInteger(a.port) || a.port < 0 || a.port > 65535) {
    throw new RangeError(`bad port ${a.port}`);
  }
  const addr = a.family === "inet" ? parseIPv4(a.host) : parseIPv6(a.host);
  const L = layoutOf(abi, a.family);
  const out = new Uint8Array(L.size);
  const v = new DataView(out.buffer);
  if (L.lenOffset !== null) out[L.lenOffset] = L.size;
  const af = a.family === "inet" ? abi.inet.AF_INET : abi.inet.AF_INET6;
  if (L.familyWidth === 1) out[L.familyOffset] = af;
  else v.setUint16(L.familyOffset, af, true); // host order; both targets are little-endian
  v.setUint16(L.portOffset, a.port, false);
  out.set(addr, L.addrOffset);
  const scope = a.scopeId ?? 0;
  if (scope !== 0) {
    if (a.family !== "inet6" || L.scopeIdOffset === undefined) {
      throw new TypeError("a scope id needs an IPv6 address");
    }
    if (!Number.isInteger(scope) || scope < 0 || scope > 0xffffffff) {
      throw new RangeError(`bad scope id ${scope}`);
    }
    v.setUint32(L.scopeIdOffset, scope, true);
  }
  return out;
}

/** The address in a sockaddr_in/in6 of `len` valid bytes; throws on another family or a short one. */
export function decodeSockaddr(abi: Abi, bytes: Uint8Array, len = bytes.length): InetAddress {
  if (len > bytes.length) throw new RangeError(`sockaddr length ${len} > ${bytes.length}`);
  const v = new DataView(bytes.buffer, bytes.byteOffset, len);
  const familyAt = (L: SockaddrInLayout) =>
    len < L.familyOffset + L.familyWidth
      ? -1
      : L.familyWidth === 1
      ? bytes[L.familyOffset]
      : v.getUint16(L.familyOffset, true);
  const af = familyAt(abi.inet.sockaddrIn);
  const family = af === abi.inet.AF_INET ? "inet" : af === abi.inet.AF_INET6 ? "inet6" : null;
  if (family === null) throw new TypeError(`not an IPv4/IPv6 sockaddr (family ${af})`);
  const L = layoutOf(abi, family);
  if (len < L.size) throw new RangeError(`${family} sockaddr of ${len} bytes`);
  const port = v.getUint16(L.portOffset, false);
  if (family === "inet") {
    return { family, host: bytes.subarray(L.addrOffset, L.addrOffset + 4).join("."), port };
  }
  const host = formatIPv6(bytes.slice(L.addrOffset, L.addrOffset + 16));
  return { family, host, port, scopeId: v.getUint32(L.scopeIdOffset!, true) };
}
