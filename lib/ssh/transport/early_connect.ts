// A TCP connection opened while plain mode's modules are still loading. Loading the SSH client
// (~150 modules) takes ~80 ms, and a new connection to sshd waits ~50 ms for the banner (sshd
// forks and re-executes itself per connection): main.ts starts the connect first, so the wait
// overlaps the loading, and connectTransport takes the connection over when its host, port,
// timeout, source (-b/-B, AddressFamily) and ConnectionAttempts are the ones it would have used,
// so a run makes one connection, whichever path connectTcp takes.

import { type ByteStream, connectTcp, type SourceOptions } from "./byte_stream.ts";
import { CLIENT_VERSION } from "./constants.ts";

// main.ts builds the source options from this module, which it loads anyway.
export { sourceOptions } from "./byte_stream.ts";

interface Early {
  host: string;
  port: number;
  timeoutMs: number | undefined;
  attempts: number;
  /** BindAddress/BindInterface/AddressFamily, compared as JSON */
  source: string;
  stream: Promise<ByteStream>;
}

let early: Early | undefined;

/** Starts connectTcp(host, port, timeoutMs, source, attempts) for a later takeEarlyConnect. */
export function startEarlyConnect(
  host: string,
  port: number,
  timeoutMs?: number,
  source: SourceOptions = {},
  attempts = 1,
): void {
  dropEarlyConnect();
  // Our identification line goes out at once, as ssh sends it: the server answers with its
  // KEXINIT while we load, and connectTransport does not send the line again.
  const stream = connectTcp(host, port, timeoutMs, source, attempts).then(async (s) => {
    try {
      await s.write(new TextEncoder().encode(`${CLIENT_VERSION}\r\n`));
    } catch (e) {
      s.close();
      throw e;
    }
    return s;
  });
  stream.catch(() => {}); // the failure is reported where the connection is taken over
  early = { host, port, timeoutMs, attempts, source: sourceKey(source), stream };
}

/**
 * The early connection, our identification line already sent (or its failure, with
 * connectTcp's message), when it was started for these arguments; undefined otherwise, and one
 * that does not match is closed.
 */
export function takeEarlyConnect(
  host: string,
  port: number,
  timeoutMs?: number,
  source: SourceOptions = {},
  attempts = 1,
): Promise<ByteStream> | undefined {
  const e = early;
  early = undefined;
  if (!e) return undefined;
  if (
    e.host === host && e.port === port && e.timeoutMs === timeoutMs &&
    e.attempts === attempts && e.source === sourceKey(source)
  ) {
    return e.stream;
  }
  e.stream.then((s) => s.close(), () => {});
  return undefined;
}

/** Closes an early connection nobody took over. */
export function dropEarlyConnect(): void {
  takeEarlyConnect("", -1);
}

/** Source options as a comparable string; an unset field and an absent one are the same. */
function sourceKey(s: SourceOptions): string {
  return JSON.stringify([s.bindAddress ?? "", s.bindInterface ?? "", s.family ?? "any"]);
}
