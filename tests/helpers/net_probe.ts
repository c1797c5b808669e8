// Small TCP/unix-socket tools for forwarding tests: a server that hands every connection a fixed
// payload, a reader that collects a connection to EOF, and a SOCKS5 CONNECT client.

import { assertEquals } from "@std/assert";

/** Serves `payload` to every connection, then closes it. close() stops the listener. */
export function payloadServer(
  listener: Deno.Listener,
  payload: Uint8Array,
): { close(): Promise<void> } {
  const conns = new Set<Deno.Conn>();
  const loop = (async () => {
    for await (const conn of listener) {
      conns.add(conn);
      (async () => {
        try {
          let off = 0;
          while (off < payload.length) off += await conn.write(payload.subarray(off));
        } catch { /* peer gone */ }
        try {
          conn.close();
        } catch { /* closed */ }
        conns.delete(conn);
      })();
    }
  })().catch(() => {});
  return {
    async close() {
      try {
        listener.close();
      } catch { /* closed */ }
      for (const c of conns) {
        try {
          c.close();
        } catch { /* closed */ }
      }
      await loop;
    },
  };
}

/** Reads a connection to EOF (a reset counts as EOF) and closes it. */
export async function readAll(conn: Deno.Conn): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  const buf = new Uint8Array(64 * 1024);
  while (true) {
    const n = await conn.read(buf).catch(() => null);
    if (n === null) break;
    chunks.push(buf.slice(0, n));
    total += n;
  }
  try {
    conn.close();
  } catch { /* closed */ }
  const out = new Uint8Array(total);
  let off = 0;
  for (const c of chunks) {
    out.set(c, off);
    off += c.length;
  }
  return out;
}

/** Reads until `n` bytes or EOF, without closing. */
export async function readSome(conn: Deno.Conn, n: number): Promise<Uint8Array> {
  const out = new Uint8Array(n);
  let got = 0;
  while (got < n) {
    const r = await conn.read(out.subarray(got));
    if (r === null) break;
    got += r;
  }
  return out.subarray(0, got);
}

export async function fetchTcp(port: number): Promise<Uint8Array> {
  return readAll(await Deno.connect({ hostname: "127.0.0.1", port }));
}

export async function fetchUnix(path: string): Promise<Uint8Array> {
  return readAll(await Deno.connect({ transport: "unix", path }));
}

/** True when connecting fails or the connection yields nothing (the listener is gone). */
export async function refuses(connect: () => Promise<Deno.Conn>): Promise<boolean> {
  try {
    const c = await connect();
    return (await readAll(c)).length === 0;
  } catch {
    return true;
  }
}

/** The first bytes a server sends on connect (e.g. sshd's "SSH-2.0-..." banner). */
export async function banner(connect: () => Promise<Deno.Conn>, n = 8): Promise<string> {
  const c = await connect();
  try {
    return new TextDecoder().decode(await readSome(c, n));
  } finally {
    try {
      c.close();
    } catch { /* closed */ }
  }
}

/** SOCKS5 CONNECT to host:port (a domain name when host is not an IPv4 literal) via socksPort. */
export async function socks5Connect(
  socksPort: number,
  host: string,
  port: number,
): Promise<Deno.Conn> {
  const c = await Deno.connect({ hostname: "127.0.0.1", port: socksPort });
  const readN = async (n: number) => {
    const got = await readSome(c, n);
    if (got.length < n) throw new Error("socks5: EOF from the proxy");
    return got;
  };
  await c.write(Uint8Array.of(5, 1, 0)); // version 5, one method: no authentication
  assertEquals([...await readN(2)], [5, 0], "SOCKS5 method selection");
  const v4 = host.match(/^(\d+)\.(\d+)\.(\d+)\.(\d+)$/);
  const addr = v4
    ? Uint8Array.of(1, ...v4.slice(1).map(Number))
    : Uint8Array.of(3, host.length, ...new TextEncoder().encode(host));
  await c.write(Uint8Array.of(5, 1, 0, ...addr, port >> 8, port & 0xff));
  const head = await readN(4);
  assertEquals(head[1], 0, `SOCKS5 CONNECT refused (reply code ${head[1]})`);
  // The bound address: IPv4 (4), domain (1 + len) or IPv6 (16), then the port.
  const alen = head[3] === 1 ? 4 : head[3] === 4 ? 16 : (await readN(1))[0];
  await readN(alen + 2);
  return c;
}

/** Random bytes (crypto.getRandomValues takes at most 64 KiB at a time). */
export function randomBytes(n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let off = 0; off < n; off += 65536) {
    crypto.getRandomValues(out.subarray(off, Math.min(n, off + 65536)));
  }
  return out;
}

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
