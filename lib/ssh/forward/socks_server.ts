// The server half of a SOCKS handshake over any byte stream: a client socket for -D, or an
// SSH channel for remote dynamic forwards (-R port with no target). It reads until one CONNECT
// request is complete, answers the SOCKS5 method negotiation, and hands back the target plus
// any bytes the client already sent after its request. The final reply is sent by the caller
// once it knows whether the connection to the target worked.

import {
  parseSocks4Request,
  parseSocks5Greeting,
  parseSocks5Request,
  SOCKS4_VERSION,
  socks4Reply,
  SOCKS5_AUTH_NO_ACCEPTABLE,
  SOCKS5_AUTH_NONE,
  SOCKS5_REP,
  SOCKS5_VERSION,
  socks5MethodReply,
  socks5Reply,
  type SocksConnect,
  SocksError,
} from "./socks_parse.ts";

/** Bytes in, bytes out: what the handshake needs from a stream. */
export interface ChunkStream {
  /** Next chunk, or null at EOF. */
  readChunk(): Promise<Uint8Array | null>;
  write(data: Uint8Array): Promise<void>;
}

/** Why the target could not be reached, mapped onto each version's reply codes. */
export type SocksFailure = "refused" | "unreachable" | "not-allowed" | "general";

export interface SocksHandshake {
  request: SocksConnect;
  /** Bytes the client sent after its request (pipelined data): forward them first. */
  leftover: Uint8Array;
  succeed(): Promise<void>;
  fail(why: SocksFailure): Promise<void>;
}

export interface SocksOptions {
  /** Whole handshake deadline in ms (default 30 s); a silent client is dropped after it. */
  timeoutMs?: number;
}

/** A greeting (257 bytes max) and a maximal request fit; anything more is refused. */
const MAX_HANDSHAKE_BUFFER = 1024;

const FAILURE_CODE5: Record<SocksFailure, number> = {
  refused: SOCKS5_REP.CONNECTION_REFUSED,
  unreachable: SOCKS5_REP.HOST_UNREACHABLE,
  "not-allowed": SOCKS5_REP.NOT_ALLOWED,
  general: SOCKS5_REP.GENERAL_FAILURE,
};

/**
 * Runs the server side of a SOCKS4/4a/5 handshake. Throws SocksError on malformed input, EOF
 * or timeout (after writing any reply the protocol calls for); the caller then closes the stream.
 */
export async function socksHandshake(
  io: ChunkStream,
  opts: SocksOptions = {},
): Promise<SocksHandshake> {
  const timeoutMs = opts.timeoutMs ?? 30_000;
  let buf: Uint8Array = new Uint8Array(0);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new SocksError(`SOCKS handshake timed out after ${timeoutMs} ms`)),
      timeoutMs,
    );
  });
  expired.catch(() => {}); // observed through the races below

  const more = async (): Promise<void> => {
    if (buf.length > MAX_HANDSHAKE_BUFFER) {
      throw new SocksError(`SOCKS handshake exceeds ${MAX_HANDSHAKE_BUFFER} bytes`);
    }
    const pending = io.readChunk();
    pending.catch(() => {}); // may settle after a timeout, when nobody listens any more
    const chunk = await Promise.race([pending, expired]);
    if (chunk === null) throw new SocksError("connection closed during SOCKS handshake");
    const next = new Uint8Array(buf.length + chunk.length);
    next.set(buf);
    next.set(chunk, buf.length);
    buf = next;
  };

  try {
    while (buf.length < 1) await more();
    if (buf[0] === SOCKS4_VERSION) {
      let req: SocksConnect | null;
      while ((req = parseSocks4Request(buf)) === null) await more();
      return finish(io, req, buf.subarray(req.consumed));
    }
    if (buf[0] !== SOCKS5_VERSION) throw new SocksError(`unknown SOCKS version ${buf[0]}`);
    let greeting;
    while ((greeting = parseSocks5Greeting(buf)) === null) await more();
    if (!greeting.methods.includes(SOCKS5_AUTH_NONE)) {
      await io.write(socks5MethodReply(SOCKS5_AUTH_NO_ACCEPTABLE));
      throw new SocksError("SOCKS5 client offers no acceptable authentication method");
    }
    await io.write(socks5MethodReply(SOCKS5_AUTH_NONE));
    buf = buf.subarray(greeting.consumed);
    let req: SocksConnect | null;
    while ((req = parseSocks5Request(buf)) === null) await more();
    return finish(io, req, buf.subarray(req.consumed));
  } catch (e) {
    if (e instanceof SocksError && e.reply) {
      await io.write(e.reply).catch(() => {});
    }
    throw e;
  } finally {
    clearTimeout(timer);
  }
}

function finish(io: ChunkStream, request: SocksConnect, rest: Uint8Array): SocksHandshake {
  const leftover = rest.slice();
  return {
    request,
    leftover,
    succeed: () => io.write(request.version === 4 ? socks4Reply(true) : socks5Reply(0)),
    fail: (why) =>
      io.write(request.version === 4 ? socks4Reply(false) : socks5Reply(FAILURE_CODE5[why])),
  };
}
