// Robustness of the forwarders: garbage and silent SOCKS clients, wildcard binds, overlong
// unix paths, unknown streamlocal opens, and no fd leaks across many connections.
import { assert, assertEquals, assertRejects } from "@std/assert";
import { captureLog } from "../../lib/log.ts";
import { ChannelOpenError } from "../../lib/ssh/connection/mod.ts";
import { ForwardError, ForwardManager } from "../../lib/ssh/forward/mod.ts";
import { encodeForwardedStreamlocal } from "../../lib/ssh/forward/messages.ts";
import { FakeForwardServer } from "../helpers/forward/fake_server.ts";
import {
  bytes,
  readAll,
  readN,
  socks5Connect,
  startEcho,
  text,
  withDeadline,
  writeAll,
} from "../helpers/forward/net_helpers.ts";
import { waitFor } from "../helpers/run.ts";
import { freePort } from "../helpers/sshd.ts";

async function withFake(
  fn: (fake: FakeForwardServer, mgr: ForwardManager) => Promise<void>,
  socksTimeoutMs?: number,
) {
  const logs: string[] = [];
  const restore = captureLog(logs);
  const fake = new FakeForwardServer();
  const mgr = new ForwardManager({ conn: fake.client, socksTimeoutMs });
  try {
    await fn(fake, mgr);
  } finally {
    await mgr.closeAll();
    await fake.close();
    restore();
  }
}

/**
 * Open sockets of this process whose local or remote port is one of `ports` (Linux /proc).
 * Other test modules run in this process at the same time (deno test --parallel), so a count
 * of all fds would see their pipes and sockets come and go: only ours are counted.
 */
function socketsOn(ports: Set<number>): number {
  const inodes = new Set<string>();
  for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    let text = "";
    try {
      text = Deno.readTextFileSync(table);
    } catch {
      continue;
    }
    for (const line of text.split("\n").slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length < 10) continue;
      const port = (addr: string) => parseInt(addr.split(":")[1], 16);
      if (ports.has(port(cols[1])) || ports.has(port(cols[2]))) inodes.add(cols[9]);
    }
  }
  let n = 0;
  for (const e of Deno.readDirSync("/proc/self/fd")) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(Deno.readLinkSync(`/proc/self/fd/${e.name}`));
      if (m && inodes.has(m[1])) n++;
    } catch { /* closed meanwhile */ }
  }
  return n;
}

Deno.test("-D: fuzzed and silent clients are dropped one by one; the listener keeps serving", async () => {
  const echo = startEcho();
  await withFake(async (_fake, mgr) => {
    const r = await mgr.add(
      { listenHost: "127.0.0.1", listenPort: 0, connectHost: "socks", connectPort: 0 },
      "dynamic",
    );
    const port = r.boundPort!;
    const silent = await Deno.connect({ hostname: "127.0.0.1", port });
    let seed = 4242;
    const rnd = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
    const clients = [];
    for (let i = 0; i < 40; i++) {
      const junk = new Uint8Array(1 + Math.floor(rnd() * 700)).map(() => Math.floor(rnd() * 256));
      if (i % 3 === 0) junk[0] = 5; // looks like SOCKS5 at first
      if (i % 3 === 1) junk[0] = 4;
      clients.push((async () => {
        const c = await Deno.connect({ hostname: "127.0.0.1", port });
        await writeAll(c, junk).catch(() => {});
        await c.closeWrite().catch(() => {});
        await readAll(c); // must end: the server closes us (or answered and closed)
        c.close();
      })());
    }
    await withDeadline("garbage clients closed", Promise.all(clients));
    // The silent client is dropped by the handshake deadline.
    assertEquals((await withDeadline("silent client dropped", readAll(silent))).length, 0);
    silent.close();
    const ok = await Deno.connect({ hostname: "127.0.0.1", port });
    assertEquals(await socks5Connect(ok, "127.0.0.1", echo.port), 0);
    await writeAll(ok, bytes("alive"));
    assertEquals(text(await readN(ok, 5)), "alive");
    ok.close();
  }, 300);
  echo.close();
});

Deno.test("no socket leaks: many -L/-D connections, refusals and garbage leave no socket open", async () => {
  const echo = startEcho();
  const ports = new Set([echo.port]);
  await withFake(async (fake, mgr) => {
    const l = await mgr.add(
      { listenHost: "127.0.0.1", listenPort: 0, connectHost: "127.0.0.1", connectPort: echo.port },
      "local",
    );
    const d = await mgr.add(
      { listenHost: "127.0.0.1", listenPort: 0, connectHost: "socks", connectPort: 0 },
      "dynamic",
    );
    ports.add(l.boundPort!).add(d.boundPort!);
    for (let i = 0; i < 15; i++) {
      const c = await Deno.connect({ hostname: "127.0.0.1", port: l.boundPort! });
      await writeAll(c, bytes("x"));
      await readN(c, 1);
      // The count sees live sockets (ours, the forward's, the echo's), so 0 below means closed.
      if (i === 0) assert(socketsOn(ports) >= 3, `sockets seen: ${socketsOn(ports)}`);
      c.close();
      const s = await Deno.connect({ hostname: "127.0.0.1", port: d.boundPort! });
      assertEquals(
        await socks5Connect(s, "127.0.0.1", i % 2 ? echo.port : freePort()),
        i % 2 ? 0 : 5,
      );
      s.close();
      const g = await Deno.connect({ hostname: "127.0.0.1", port: d.boundPort! });
      await writeAll(g, bytes("garbage"));
      await readAll(g);
      g.close();
    }
    fake.prohibit.add("direct-tcpip");
    for (let i = 0; i < 5; i++) {
      const c = await Deno.connect({ hostname: "127.0.0.1", port: l.boundPort! });
      await readAll(c);
      c.close();
    }
    // Every channel was closed on both sides, not just the sockets.
    await waitFor("channels released", () => fake.client.channelCount() === 0, 5000);
    await waitFor("server channels released", () => fake.server.channelCount() === 0, 5000);
  });
  echo.close();
  await waitFor("every socket on the test's ports closed", () => socketsOn(ports) === 0, 5000);
});

Deno.test("GatewayPorts-style wildcard ('' listen host) binds all interfaces", async () => {
  const echo = startEcho();
  await withFake(async (_fake, mgr) => {
    const r = await mgr.add(
      { listenHost: "", listenPort: 0, connectHost: "127.0.0.1", connectPort: echo.port },
      "local",
    );
    for (const hostname of ["127.0.0.1", "::1"]) {
      let c: Deno.Conn;
      try {
        c = await Deno.connect({ hostname, port: r.boundPort! });
      } catch (e) {
        if (hostname === "::1" && e instanceof Deno.errors.AddrNotAvailable) continue; // no IPv6
        throw e;
      }
      await writeAll(c, bytes("any"));
      assertEquals(text(await readN(c, 3)), "any");
      c.close();
    }
  });
  echo.close();
});

Deno.test("overlong unix listen path and unknown forwarded-streamlocal are refused", async () => {
  await withFake(async (fake, mgr) => {
    const long = `/tmp/${"x".repeat(120)}.sock`;
    const e = await assertRejects(
      () =>
        mgr.add(
          { listenPath: long, listenPort: 0xfffffffe, connectHost: "h", connectPort: 1 },
          "local",
        ),
      ForwardError,
    );
    assertEquals(e.message, `unix_listener: path "${long}" too long for Unix domain socket`);
    const refused = await assertRejects(
      () =>
        fake.server.openChannel(
          "forwarded-streamlocal@openssh.com",
          encodeForwardedStreamlocal("/not/ours"),
        ),
      ChannelOpenError,
    );
    assertEquals(refused.reasonCode, 1);
    assert(mgr.list().length === 0);
  });
});

Deno.test("log lines for refused opens and failed local connects use ssh's words", async () => {
  const logs: string[] = [];
  const restore = captureLog(logs);
  const fake = new FakeForwardServer();
  const mgr = new ForwardManager({ conn: fake.client });
  try {
    fake.prohibit.add("direct-tcpip");
    const l = await mgr.add(
      { listenHost: "127.0.0.1", listenPort: 0, connectHost: "10.0.0.1", connectPort: 9 },
      "local",
    );
    const c = await Deno.connect({ hostname: "127.0.0.1", port: l.boundPort! });
    await withDeadline("refused -L connection closed", readAll(c));
    c.close();
    assert(
      logs.some((x) =>
        /^channel( \d+)?: open failed: administratively prohibited: prohibited\r\n$/.test(x)
      ),
      logs.join(""),
    );
    const dead = freePort();
    const r = await mgr.add(
      { listenPort: 0, connectHost: "127.0.0.1", connectPort: dead },
      "remote",
    );
    await assertRejects(
      () => fake.openForwardedTcpip("localhost", r.allocatedPort!),
      ChannelOpenError,
    );
    assert(logs.includes(`connect_to 127.0.0.1 port ${dead}: failed.\r\n`), logs.join(""));
  } finally {
    await mgr.closeAll();
    await fake.close();
    restore();
  }
});
