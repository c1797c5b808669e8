// A TCP connection opened while plain mode's modules are still loading. Loading the SSH client
// (~150 modules) takes ~80 ms, and a new connection to sshd waits ~50 ms for the banner (sshd
// forks and re-executes itself per connection): main.ts starts the connect first, so the wait
// overlaps the loading, and connectTransport takes the connection over when its host, port,
// timeout, source (-b/-B, AddressFamily) and ConnectionAttempts are the ones it would have used,
// so a run makes one connection, whichever path connectTcp takes.

import { type ByteStream, connectTcp, type TcpTarget, tcpTargetKey } from "./byte_stream.ts";
import { CLIENT_VERSION } from "./constants.ts";

interface Early {
  /** tcpTargetKey of what was connected */
  key: string;
  stream: Promise<ByteStream>;
}

let early: Early | undefined;

/** Starts connectTcp(target) for a later takeEarlyConnect. */
export function startEarlyConnect(target: TcpTarget): void {
  dropEarlyConnect();
  // Our identification line goes out at once, as ssh sends it: the server answers with its
  // KEXINIT while we load, and connectTransport does not send the line again.
  const stream = connectTcp(target).then(async (s) => {
    try {
      await s.write(new TextEncoder().encode(`${CLIENT_VERSION}\r\n`));
    } catch (e) {
      s.close();
      throw e;
    }
    return s;
  });
  stream.catch(() => {}); // the failure is reported where the connection is taken over
  early = { key: tcpTargetKey(target), stream };
}

/**
 * The early connection, our identification line already sent (or its failure, with
 * connectTcp's message), when it was started for these arguments; undefined otherwise, and one
 * that does not match is closed.
 */
export function takeEarlyConnect(target: TcpTarget): Promise<ByteStream> | undefined {
  const e = early;
  early = undefined;
  if (!e) return undefined;
  if (e.key === tcpTargetKey(target)) return e.stream;
  e.stream.then((s) => s.close(), () => {});
  return undefined;
}

/** Closes an early connection nobody took over. */
export function dropEarlyConnect(): void {
  takeEarlyConnect({ host: "", port: -1 });
}
