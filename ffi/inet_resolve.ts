// Name → addresses through libc's getaddrinfo, the resolver ssh itself uses: /etc/hosts, NSS
// and the system's DNS settings all count, and numeric forms (including inet_aton's "2130706434")
// parse exactly as they do for ssh. Deno.resolveDns would skip /etc/hosts, and Deno.connect
// resolves internally without telling us the addresses. The call runs on Deno's blocking pool
// because a DNS lookup can take seconds.
import { abi } from "./abi/mod.ts";
import { cstr, libc, offHeap } from "./libc.ts";
import { decodeSockaddr, type InetAddress } from "./sockaddr.ts";

const I = abi.inet;
/** sizeof(struct sockaddr_storage): no sockaddr getaddrinfo hands back is longer. */
const MAX_SOCKADDR = 128;
/** A guard against a corrupt ai_next chain. */
const MAX_RESULTS = 256;

/** getaddrinfo failed: `message` is gai_strerror's text ("Name or service not known"). */
export class ResolveError extends Error {
  constructor(readonly code: number, message: string) {
    super(message);
    this.name = "ResolveError";
  }
}

export interface ResolveOptions {
  /** AF_UNSPEC when absent */
  family?: "inet" | "inet6";
  /** AI_PASSIVE: an address to bind to, as ssh asks for BindAddress */
  passive?: boolean;
}

/**
 * The TCP addresses of `host` in getaddrinfo's order (port 0). Rejects with ResolveError.
 * Addresses of other families (none expected for SOCK_STREAM over inet) are skipped.
 */
export async function resolveInet(host: string, opts: ResolveOptions = {}): Promise<InetAddress[]> {
  const lib = libc();
  const A = I.addrinfo;
  const hints = offHeap(A.size);
  const hv = new DataView(hints.buffer);
  hv.setInt32(A.flags, opts.passive ? I.AI_PASSIVE : 0, true);
  const family = opts.family === "inet"
    ? I.AF_INET
    : opts.family === "inet6"
    ? I.AF_INET6
    : I.AF_UNSPEC;
  hv.setInt32(A.family, family, true);
  hv.setInt32(A.socktype, abi.const.SOCK_STREAM, true);
  const node = cstrOffHeap(host);
  const res = offHeap(8);
  // The buffers stay referenced here until the pooled call has returned.
  const rc = await lib.getaddrinfo_async(node, null, hints, res);
  if (rc !== 0) throw new ResolveError(rc, gaiText(rc));
  const head = Deno.UnsafePointer.create(new DataView(res.buffer).getBigUint64(0, true));
  const out: InetAddress[] = [];
  try {
    let p = head;
    for (let n = 0; p !== null && n < MAX_RESULTS; n++) {
      const ai = new Deno.UnsafePointerView(p);
      const len = ai.getUint32(A.addrlen);
      const addr = ai.getPointer(A.addr);
      const af = ai.getInt32(A.family);
      if (
        addr !== null && len > 0 && len <= MAX_SOCKADDR && (af === I.AF_INET || af === I.AF_INET6)
      ) {
        const bytes = new Uint8Array(len);
        Deno.UnsafePointerView.copyInto(addr, bytes);
        out.push(decodeSockaddr(abi, bytes, len));
      }
      p = ai.getPointer(A.next);
    }
  } finally {
    if (head !== null) lib.freeaddrinfo(head);
  }
  return out;
}

/** A NUL-terminated copy of `s` whose bytes live outside the JS heap (a pooled call reads it). */
function cstrOffHeap(s: string): Uint8Array {
  const c = cstr(s);
  const out = offHeap(c.length);
  out.set(c);
  return out;
}

/** gai_strerror's text; EAI_SYSTEM's errno was another thread's, so only its generic text. */
function gaiText(code: number): string {
  const p = libc().gai_strerror(code);
  return p === null ? `getaddrinfo error ${code}` : Deno.UnsafePointerView.getCString(p);
}
