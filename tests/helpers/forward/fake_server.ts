// An in-memory stand-in for sshd's forwarding side, for unit tests of the forwarders: two real
// SshConnections joined by a memory transport. The "server" end serves direct-tcpip /
// direct-streamlocal opens by connecting locally, and tcpip-forward / streamlocal-forward by
// listening locally and opening forwarded-* channels back, the way sshd does. Every request
// it saw is recorded so tests can assert on the wire fields.

import {
  bridge,
  SSH2_OPEN_ADMINISTRATIVELY_PROHIBITED,
  SSH2_OPEN_CONNECT_FAILED,
  SshConnection,
} from "../../../lib/ssh/connection/mod.ts";
import { memoryTransportPair } from "../memory_transport.ts";
import { connEndpoint } from "../../../lib/ssh/forward/endpoint.ts";
import { errnoText } from "../../../lib/ssh/forward/bind.ts";
import { WireWriter } from "../../../lib/wire/writer.ts";
import {
  CHAN_DIRECT_STREAMLOCAL,
  CHAN_DIRECT_TCPIP,
  CHAN_FORWARDED_STREAMLOCAL,
  CHAN_FORWARDED_TCPIP,
  decodeDirectStreamlocal,
  decodeDirectTcpip,
  decodeStreamlocalForward,
  decodeTcpipForward,
  encodeForwardedStreamlocal,
  encodeForwardedTcpip,
  REQ_CANCEL_STREAMLOCAL_FORWARD,
  REQ_CANCEL_TCPIP_FORWARD,
  REQ_STREAMLOCAL_FORWARD,
  REQ_TCPIP_FORWARD,
} from "../../../lib/ssh/forward/messages.ts";

export interface SeenRequest {
  name: string;
  fields: Record<string, string | number>;
}

export class FakeForwardServer {
  /** Give this one to the code under test. */
  readonly client: SshConnection;
  readonly server: SshConnection;
  readonly seen: SeenRequest[] = [];
  /** Global request names the fake refuses. */
  readonly refuse = new Set<string>();
  /** Channel types the fake refuses with "administratively prohibited". */
  readonly prohibit = new Set<string>();
  readonly #listeners = new Map<string, Deno.Listener>();
  readonly #tasks = new Set<Promise<void>>();

  constructor() {
    const [a, b] = memoryTransportPair();
    this.client = new SshConnection(a);
    this.server = new SshConnection(b);
    this.server.onChannelOpen(CHAN_DIRECT_TCPIP, (req) => {
      const m = decodeDirectTcpip(req.data);
      this.seen.push({ name: CHAN_DIRECT_TCPIP, fields: { ...m } });
      if (this.prohibit.has(CHAN_DIRECT_TCPIP)) {
        return req.reject(SSH2_OPEN_ADMINISTRATIVELY_PROHIBITED, "prohibited");
      }
      this.#track(
        Deno.connect({ hostname: m.host, port: m.port }).then(
          (c) => bridge(req.accept(), connEndpoint(c)),
          (e) => req.reject(SSH2_OPEN_CONNECT_FAILED, errnoText(e)),
        ),
      );
    });
    this.server.onChannelOpen(CHAN_DIRECT_STREAMLOCAL, (req) => {
      const m = decodeDirectStreamlocal(req.data);
      this.seen.push({ name: CHAN_DIRECT_STREAMLOCAL, fields: { ...m } });
      this.#track(
        Deno.connect({ transport: "unix", path: m.path }).then(
          (c) => bridge(req.accept(), connEndpoint(c)),
          (e) => req.reject(SSH2_OPEN_CONNECT_FAILED, errnoText(e)),
        ),
      );
    });
    this.server.onGlobalRequest(REQ_TCPIP_FORWARD, (data) => {
      const m = decodeTcpipForward(data);
      this.seen.push({ name: REQ_TCPIP_FORWARD, fields: { ...m } });
      if (this.refuse.has(REQ_TCPIP_FORWARD)) return false;
      const l = Deno.listen({ hostname: "127.0.0.1", port: m.port });
      const port = (l.addr as Deno.NetAddr).port;
      this.#listeners.set(`${m.address}:${port}`, l);
      this.#track(this.#serveTcp(l, m.address, port));
      return m.port === 0 ? { ok: true, data: new WireWriter().u32(port).finish() } : true;
    });
    this.server.onGlobalRequest(REQ_CANCEL_TCPIP_FORWARD, (data) => {
      const m = decodeTcpipForward(data);
      this.seen.push({ name: REQ_CANCEL_TCPIP_FORWARD, fields: { ...m } });
      return this.#closeListener(`${m.address}:${m.port}`);
    });
    this.server.onGlobalRequest(REQ_STREAMLOCAL_FORWARD, (data) => {
      const m = decodeStreamlocalForward(data);
      this.seen.push({ name: REQ_STREAMLOCAL_FORWARD, fields: { ...m } });
      if (this.refuse.has(REQ_STREAMLOCAL_FORWARD)) return false;
      const l = Deno.listen({ transport: "unix", path: m.path });
      this.#listeners.set(m.path, l);
      this.#track(this.#serveUnix(l, m.path));
      return true;
    });
    this.server.onGlobalRequest(REQ_CANCEL_STREAMLOCAL_FORWARD, (data) => {
      const m = decodeStreamlocalForward(data);
      this.seen.push({ name: REQ_CANCEL_STREAMLOCAL_FORWARD, fields: { ...m } });
      const ok = this.#closeListener(m.path);
      if (ok) Deno.removeSync(m.path);
      return ok;
    });
  }

  /** Opens a forwarded-tcpip channel as if a connection arrived on `address:port`. */
  openForwardedTcpip(address: string, port: number) {
    return this.server.openChannel(
      CHAN_FORWARDED_TCPIP,
      encodeForwardedTcpip({
        listenAddress: address,
        listenPort: port,
        originatorAddress: "127.0.0.1",
        originatorPort: 40000,
      }),
    );
  }

  #closeListener(key: string): boolean {
    const l = this.#listeners.get(key);
    if (!l) return false;
    this.#listeners.delete(key);
    l.close();
    return true;
  }

  async #serveTcp(l: Deno.Listener, address: string, port: number): Promise<void> {
    for (;;) {
      let c: Deno.Conn;
      try {
        c = await l.accept();
      } catch {
        return;
      }
      const origin = c.remoteAddr as Deno.NetAddr;
      const data = encodeForwardedTcpip({
        listenAddress: address,
        listenPort: port,
        originatorAddress: origin.hostname,
        originatorPort: origin.port,
      });
      this.#track(
        this.server.openChannel(CHAN_FORWARDED_TCPIP, data).then(
          (ch) => bridge(ch, connEndpoint(c)),
          () => c.close(),
        ),
      );
    }
  }

  async #serveUnix(l: Deno.Listener, path: string): Promise<void> {
    for (;;) {
      let c: Deno.Conn;
      try {
        c = await l.accept();
      } catch {
        return;
      }
      this.#track(
        this.server.openChannel(CHAN_FORWARDED_STREAMLOCAL, encodeForwardedStreamlocal(path)).then(
          (ch) => bridge(ch, connEndpoint(c)),
          () => c.close(),
        ),
      );
    }
  }

  #track(p: Promise<unknown>): void {
    const t = p.then(() => {}, () => {});
    this.#tasks.add(t);
    t.finally(() => this.#tasks.delete(t));
  }

  /** Closes listeners and both connections, then waits for in-flight work. */
  async close(): Promise<void> {
    for (const l of this.#listeners.values()) {
      try {
        l.close();
      } catch { /* closed */ }
    }
    this.#listeners.clear();
    this.client.close();
    this.server.close();
    await Promise.allSettled([...this.#tasks]);
  }
}
