// Hostile peers and a side-by-side runner for tests that hold sshmux to the stock ssh on the
// same bad input. The fake servers are hostile peers (broken banners, silence, junk packets),
// not stand-ins for OpenSSH: everything that should work is tested against the real sshd.

import { assert } from "@std/assert";
import { buildPacket, noneSealer } from "../../lib/ssh/transport/packet_codec.ts";
import { encodeKexInit } from "../../lib/ssh/transport/kexinit.ts";
import { run, type RunOptions, type RunResult, sshmuxPath } from "./run.ts";

export interface HostileServer {
  port: number;
  /** Closes the listener and every connection still held. */
  stop(): Promise<void>;
}

/**
 * Serves every connection the same way: writes `bytes`, then holds the connection open and
 * silent (reading and dropping what the client sends) until the client leaves, or closes at
 * once with `close`.
 */
export function hostileServer(bytes: Uint8Array, opts: { close?: boolean } = {}): HostileServer {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const conns = new Set<Deno.Conn>();
  const served: Promise<void>[] = [];
  const serve = async (conn: Deno.Conn) => {
    conns.add(conn);
    try {
      await conn.write(bytes);
      if (!opts.close) {
        const buf = new Uint8Array(65536);
        while ((await conn.read(buf)) !== null) { /* drop */ }
      }
    } catch { /* the client left first */ }
    conns.delete(conn);
    try {
      conn.close();
    } catch { /* closed */ }
  };
  const accepting = (async () => {
    for await (const conn of listener) served.push(serve(conn));
  })().catch(() => {});
  return {
    port: (listener.addr as Deno.NetAddr).port,
    async stop() {
      listener.close();
      for (const c of conns) {
        try {
          c.close();
        } catch { /* closed */ }
      }
      await accepting;
      await Promise.all(served);
    },
  };
}

const te = new TextEncoder();

/** Bytes as written: a string is taken as Latin-1 (one byte per char, NUL and ESC included). */
export function bytesOf(s: string): Uint8Array {
  return Uint8Array.from(s, (c) => c.charCodeAt(0) & 0xff);
}

/** A plaintext packet (before the first NEWKEYS). */
export function plainPacket(payload: Uint8Array): Uint8Array {
  return buildPacket(payload, noneSealer());
}

/**
 * A server KEXINIT both ssh 9.2 and sshmux accept, so they answer it and wait for the reply;
 * `strict` adds kex-strict-s, `ciphers` replaces aes128-ctr (both directions).
 */
export function serverKexInit(
  o: { strict?: boolean; ciphers?: string[] } = {},
): Uint8Array {
  const ciphers = o.ciphers ?? ["aes128-ctr"];
  return encodeKexInit({
    kex: ["curve25519-sha256", ...(o.strict ? ["kex-strict-s-v00@openssh.com"] : [])],
    hostKey: ["ssh-ed25519"],
    cipherCS: ciphers,
    cipherSC: ciphers,
    macCS: ["hmac-sha2-256"],
    macSC: ["hmac-sha2-256"],
    compCS: ["none"],
    compSC: ["none"],
    langCS: [],
    langSC: [],
    firstKexPacketFollows: false,
  });
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

export const VERSION_LINE = te.encode("SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u10\r\n");

/** Client options that never prompt or touch the user's files. */
export function clientArgs(port: number): string[] {
  return [
    "-F",
    "/dev/null",
    "-o",
    "BatchMode=yes",
    "-o",
    "StrictHostKeyChecking=no",
    "-o",
    "UserKnownHostsFile=/dev/null",
    "-o",
    "GlobalKnownHostsFile=/dev/null",
    "-p",
    String(port),
  ];
}

export interface Timed extends RunResult {
  ms: number;
}

async function timed(cmd: string, args: string[], opts: RunOptions): Promise<Timed> {
  const start = Date.now();
  const r = await run(cmd, args, opts);
  return { ...r, ms: Date.now() - start };
}

/** Runs the stock ssh and sshmux on the same arguments at the same time. */
export async function both(
  args: string[],
  opts: RunOptions = {},
): Promise<{ ssh: Timed; ours: Timed }> {
  const o = { timeoutMs: 90_000, ...opts };
  const [ssh, ours] = await Promise.all([timed("ssh", args, o), timed(sshmuxPath(), args, o)]);
  return { ssh, ours };
}

/** A JavaScript stack frame line, which an ordinary failure must never print. */
const STACK_LINE = /^\s+at .*(\.ts|\.js|ext:|native)/m;

/** What every sshmux run must satisfy whatever the input: no stack, no raw ESC. */
export function assertClean(r: RunResult, what: string): void {
  assert(!STACK_LINE.test(r.err), `${what}: stack trace on stderr:\n${r.err}`);
  assert(!r.err.includes("\x1b"), `${what}: raw ESC reached stderr: ${JSON.stringify(r.err)}`);
}
