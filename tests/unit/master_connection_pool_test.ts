// ConnectionPool: where session channels go when the server limits sessions per connection.
// Each "server" is an SshConnection over memory that accepts at most `max` session channels at
// once and refuses more the way OpenSSH's sshd does (reason 2, "open failed").

import { assert, assertEquals, assertRejects } from "@std/assert";
import { ConnectionPool, ReconnectingError } from "../../lib/master/connection_pool.ts";
import type { SshClient } from "../../lib/ssh/client.ts";
import { type Channel, ChannelOpenError, SshConnection } from "../../lib/ssh/connection/mod.ts";
import { memoryTransportPair } from "../helpers/memory_transport.ts";

const OPEN_FAILED = 2; // sshd 9.2's answer past MaxSessions

interface FakeServer {
  client: SshClient;
  /** Session channels the server holds open now. */
  open(): number;
  closed: boolean;
}

function server(max: number): FakeServer {
  const [a, b] = memoryTransportPair();
  const ours = new SshConnection(a);
  const theirs = new SshConnection(b);
  let open = 0;
  const s: FakeServer = {
    open: () => open,
    closed: false,
    client: {
      connection: ours,
      transport: a,
      close() {
        s.closed = true;
        ours.close();
        return Promise.resolve();
      },
    },
  };
  theirs.onChannelOpen("session", (req) => {
    if (open >= max) return req.reject(OPEN_FAILED, "open failed");
    open++;
    const ch = req.accept();
    ch.closed.then(() => open--);
    // The server ends its side when ours does (like a session whose command ended).
    ch.read().then(() => ch.close(), () => {}).catch(() => {});
  });
  return s;
}

const openSession = (conn: SshConnection) => conn.openChannel("session", new Uint8Array(0));

/** A pool whose dial makes servers of `max` sessions; records them. */
function pool(max: number, opts: { idleMs?: number; failDial?: boolean } = {}) {
  const servers: FakeServer[] = [server(max)];
  const p = new ConnectionPool(servers[0].client, {
    host: "h",
    idleMs: opts.idleMs ?? 60_000,
    dial: () => {
      if (opts.failDial) return Promise.reject(new Error("no route"));
      const s = server(max);
      servers.push(s);
      return Promise.resolve(s.client);
    },
  });
  return { p, servers };
}

Deno.test("pool: 7 sessions at MaxSessions 2 use 4 connections, dialed together", async () => {
  const { p, servers } = pool(2);
  try {
    const chans = await Promise.all(Array.from({ length: 7 }, () => p.open(openSession)));
    assertEquals(chans.length, 7);
    assertEquals(servers.length, 4);
    assertEquals(servers.map((s) => s.open()), [2, 2, 2, 1]);
    const list = p.connections();
    assertEquals(list.map((c) => [c.id, c.primary, c.channels]), [
      [0, true, 2],
      [1, false, 2],
      [2, false, 2],
      [3, false, 1],
    ]);
    // A freed slot on the primary is used before any extra.
    await chans[0].close();
    await chans[0].closed;
    await p.open(openSession);
    assertEquals(servers.length, 4);
    assertEquals(servers[0].open(), 2);
  } finally {
    await p.close();
  }
});

Deno.test("pool: a refusal on a connection with no channel is passed on, nothing dialed", async () => {
  const { p, servers } = pool(0);
  try {
    const e = await assertRejects(() => p.open(openSession), ChannelOpenError);
    assertEquals(e.reasonCode, OPEN_FAILED);
    assertEquals(servers.length, 1);
  } finally {
    await p.close();
  }
});

Deno.test("pool: a -W refused with 'connect failed' is the target's answer, not a limit", async () => {
  const { p, servers } = pool(1);
  try {
    await p.open(openSession);
    const refuse = (_c: SshConnection): Promise<Channel> =>
      Promise.reject(new ChannelOpenError(OPEN_FAILED, "Connection refused"));
    await assertRejects(() => p.open(refuse, "stdio-forward"), ChannelOpenError);
    assertEquals(servers.length, 1);
  } finally {
    await p.close();
  }
});

Deno.test("pool: a failed dial gives the waiting sessions the server's refusal", async () => {
  const { p } = pool(1, { failDial: true });
  try {
    await p.open(openSession);
    const e = await assertRejects(() => p.open(openSession), ChannelOpenError);
    assertEquals(e.reasonCode, OPEN_FAILED);
    assertEquals(p.connections().length, 1);
  } finally {
    await p.close();
  }
});

Deno.test("pool: an extra connection closes once idle; the primary never does", async () => {
  const { p, servers } = pool(1, { idleMs: 100 });
  try {
    const a = await p.open(openSession);
    const b = await p.open(openSession);
    assertEquals(servers.length, 2);
    await b.close();
    await b.closed;
    const until = Date.now() + 3000;
    while (!servers[1].closed && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    assert(servers[1].closed, "idle extra closed");
    assert(!servers[0].closed, "primary kept");
    assertEquals(p.connections().map((c) => c.id), [0]);
    await a.close();
  } finally {
    await p.close();
  }
});

Deno.test("pool: while reconnecting, sessions wait for the new primary or fail clearly", async () => {
  const { p, servers } = pool(5);
  try {
    servers[0].client.connection.close("lost");
    await servers[0].client.connection.closed;
    // Nothing live and no reconnect: the connection is gone, as without a pool.
    await assertRejects(() => p.open(openSession), Error, "lost");

    let healed!: () => void;
    p.reconnecting(new Promise<void>((r) => healed = r), 5_000);
    const waiting = p.open(openSession);
    const fresh = server(5);
    p.replacePrimary(fresh.client);
    healed();
    await waiting;
    assertEquals(fresh.open(), 1);
    assertEquals(p.connections().map((c) => [c.id, c.primary]), [[1, true]]);

    fresh.client.connection.close("lost again");
    await fresh.client.connection.closed;
    p.reconnecting(new Promise(() => {}), 50);
    await assertRejects(() => p.open(openSession), ReconnectingError, "reconnecting");
  } finally {
    await p.close();
  }
});
