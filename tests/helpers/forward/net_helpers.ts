// Test helpers for the forward tests (unit and interop): a local echo server, socket read/write
// helpers and a hand-written SOCKS5 client. Not used by production code.

export interface Echo {
  port: number;
  /** Connections accepted so far. */
  accepted: number;
  close(): void;
}

/** A TCP (or unix, with `path`) server that echoes until EOF, then closes. */
export function startEcho(path?: string): Echo {
  const l = path
    ? Deno.listen({ transport: "unix", path })
    : Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const state: Echo = {
    port: path ? 0 : (l.addr as Deno.NetAddr).port,
    accepted: 0,
    close: () => {
      try {
        l.close();
      } catch { /* closed */ }
      for (const c of conns) {
        try {
          c.close();
        } catch { /* closed */ }
      }
    },
  };
  const conns = new Set<Deno.Conn>();
  (async () => {
    for (;;) {
      let c: Deno.Conn;
      try {
        c = await l.accept();
      } catch {
        return;
      }
      state.accepted++;
      conns.add(c);
      (async () => {
        const buf = new Uint8Array(65536);
        try {
          for (;;) {
            const n = await c.read(buf);
            if (n === null) break;
            let off = 0;
            while (off < n) off += await c.write(buf.subarray(off, n));
          }
        } catch { /* reset */ }
        conns.delete(c);
        try {
          c.close();
        } catch { /* closed */ }
      })();
    }
  })();
  return state;
}

export async function writeAll(c: Deno.Conn, data: Uint8Array): Promise<void> {
  let off = 0;
  while (off < data.length) off += await c.write(data.subarray(off));
}

/** Reads exactly n bytes (throws on early EOF). */
export async function readN(c: Deno.Conn, n: number): Promise<Uint8Array> {
  const out = new Uint8Array(n);
  let off = 0;
  while (off < n) {
    const r = await c.read(out.subarray(off));
    if (r === null) throw new Error(`EOF after ${off} of ${n} bytes`);
    off += r;
  }
  return out;
}

/** Reads until EOF. */
export async function readAll(c: Deno.Conn): Promise<Uint8Array> {
  const parts: number[] = [];
  const buf = new Uint8Array(65536);
  for (;;) {
    let n: number | null;
    try {
      n = await c.read(buf);
    } catch {
      break; // reset counts as the end here
    }
    if (n === null) break;
    parts.push(...buf.subarray(0, n));
  }
  return new Uint8Array(parts);
}

/** A SOCKS5 no-auth CONNECT to a domain name, written by hand; returns the reply code. */
export async function socks5Connect(c: Deno.Conn, host: string, port: number): Promise<number> {
  const name = new TextEncoder().encode(host);
  await writeAll(c, Uint8Array.of(5, 1, 0));
  const method = await readN(c, 2);
  if (method[0] !== 5 || method[1] !== 0) throw new Error(`bad method reply ${method}`);
  await writeAll(c, Uint8Array.of(5, 1, 0, 3, name.length, ...name, port >> 8, port & 0xff));
  const reply = await readN(c, 10);
  if (reply[0] !== 5) throw new Error(`bad SOCKS5 reply ${reply}`);
  return reply[1];
}

export const text = (b: Uint8Array) => new TextDecoder().decode(b);
export const bytes = (s: string) => new TextEncoder().encode(s);

export async function connectFails(port: number): Promise<boolean> {
  try {
    const c = await Deno.connect({ hostname: "127.0.0.1", port });
    c.close();
    return false;
  } catch {
    return true;
  }
}

/** Rejects if `p` has not settled within `ms`, so a regression fails a test instead of hanging it. */
export async function withDeadline<T>(what: string, p: Promise<T>, ms = 10_000): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not done after ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([p, late]);
  } finally {
    clearTimeout(timer);
  }
}
