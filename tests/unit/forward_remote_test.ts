// -R against the in-memory fake server: tcpip-forward with fixed port and port 0, unix
// listens, remote dynamic (SOCKS over the channel), refused and unknown opens, cancel.
import { assert, assertEquals, assertRejects } from "@std/assert";
import { captureLog } from "../../lib/log.ts";
import { ChannelOpenError } from "../../lib/ssh/connection/mod.ts";
import { ForwardError, ForwardManager } from "../../lib/ssh/forward/mod.ts";
import { FakeForwardServer } from "../helpers/forward/fake_server.ts";
import {
  bytes,
  connectFails,
  readN,
  socks5Connect,
  startEcho,
  text,
  writeAll,
} from "../helpers/forward/net_helpers.ts";
import { freePort } from "../helpers/sshd.ts";

async function withFake(
  fn: (fake: FakeForwardServer, mgr: ForwardManager, logs: string[]) => Promise<void>,
) {
  const logs: string[] = [];
  const restore = captureLog(logs);
  const fake = new FakeForwardServer();
  const mgr = new ForwardManager({ conn: fake.client });
  try {
    await fn(fake, mgr, logs);
  } finally {
    await mgr.closeAll();
    await fake.close();
    restore();
  }
}

Deno.test("-R port 0: allocated port reported, traffic flows, duplicate re-reports, cancel uses it", async () => {
  const echo = startEcho();
  await withFake(async (fake, mgr) => {
    const spec = { listenPort: 0, connectHost: "127.0.0.1", connectPort: echo.port };
    const r = await mgr.add(spec, "remote");
    assert(r.allocatedPort! > 0);
    assertEquals(fake.seen[0], {
      name: "tcpip-forward",
      fields: { address: "localhost", port: 0 },
    });
    const c = await Deno.connect({ hostname: "127.0.0.1", port: r.allocatedPort! });
    await writeAll(c, bytes("remote"));
    assertEquals(text(await readN(c, 6)), "remote");
    c.close();

    const again = await mgr.add({ ...spec }, "remote");
    assertEquals(again, { allocatedPort: r.allocatedPort, duplicate: true });
    assertEquals(fake.seen.filter((s) => s.name === "tcpip-forward").length, 1);
    assertEquals(mgr.list()[0].allocatedPort, r.allocatedPort);

    await mgr.cancel(spec, "remote");
    assertEquals(fake.seen.at(-1), {
      name: "cancel-tcpip-forward",
      fields: { address: "localhost", port: r.allocatedPort! },
    });
    assert(await connectFails(r.allocatedPort!));
  });
  echo.close();
});

Deno.test("-R fixed port with '*' binds '' on the server; refused request is a typed error", async () => {
  const echo = startEcho();
  await withFake(async (fake, mgr) => {
    const port = freePort();
    const r = await mgr.add({
      listenHost: "*",
      listenPort: port,
      connectHost: "127.0.0.1",
      connectPort: echo.port,
    }, "remote");
    assertEquals(r, { duplicate: false });
    assertEquals(fake.seen[0].fields, { address: "", port });
    const c = await Deno.connect({ hostname: "127.0.0.1", port });
    await writeAll(c, bytes("fixed"));
    assertEquals(text(await readN(c, 5)), "fixed");
    c.close();

    fake.refuse.add("tcpip-forward");
    const err = await assertRejects(
      () => mgr.add({ listenPort: 1234, connectHost: "h", connectPort: 1 }, "remote"),
      ForwardError,
    );
    assertEquals([err.kind, err.message], [
      "remote-failed",
      "remote port forwarding failed for listen port 1234",
    ]);
    assertEquals(mgr.list().length, 1);
    fake.refuse.add("streamlocal-forward@openssh.com");
    const errPath = await assertRejects(
      () =>
        mgr.add({
          listenPath: "/nonexistent/x",
          listenPort: 0xfffffffe,
          connectHost: "h",
          connectPort: 1,
        }, "remote"),
      ForwardError,
    );
    assertEquals(errPath.message, "remote port forwarding failed for listen path /nonexistent/x");
  });
  echo.close();
});

Deno.test("-R unix listen path forwards to a TCP target and cancels", async () => {
  const dir = Deno.makeTempDirSync();
  const echo = startEcho();
  await withFake(async (fake, mgr) => {
    const spec = {
      listenPath: `${dir}/r.sock`,
      listenPort: 0xfffffffe,
      connectHost: "127.0.0.1",
      connectPort: echo.port,
    };
    await mgr.add(spec, "remote");
    const c = await Deno.connect({ transport: "unix", path: `${dir}/r.sock` });
    await writeAll(c, bytes("streamlocal"));
    assertEquals(text(await readN(c, 11)), "streamlocal");
    c.close();
    await mgr.cancel(spec, "remote");
    assertEquals(fake.seen.at(-1)!.name, "cancel-streamlocal-forward@openssh.com");
  });
  echo.close();
  Deno.removeSync(dir, { recursive: true });
});

Deno.test("-R dynamic (no target): SOCKS5 runs over the forwarded channel", async () => {
  const echo = startEcho();
  await withFake(async (_fake, mgr) => {
    const r = await mgr.add({ listenPort: 0, connectHost: "socks", connectPort: 0 }, "remote");
    const c = await Deno.connect({ hostname: "127.0.0.1", port: r.allocatedPort! });
    assertEquals(await socks5Connect(c, "127.0.0.1", echo.port), 0);
    await writeAll(c, bytes("dyn"));
    assertEquals(text(await readN(c, 3)), "dyn");
    c.close();
    const dead = freePort();
    const c2 = await Deno.connect({ hostname: "127.0.0.1", port: r.allocatedPort! });
    assertEquals(await socks5Connect(c2, "127.0.0.1", dead), 5);
    c2.close();
  });
  echo.close();
});

Deno.test("-R: opens for unknown listens are refused; an unreachable target is CONNECT_FAILED", async () => {
  await withFake(async (fake, mgr, logs) => {
    const e1 = await assertRejects(
      () => fake.openForwardedTcpip("localhost", 4444),
      ChannelOpenError,
    );
    assertEquals(e1.reasonCode, 1);
    assert(logs.some((l) => l.includes("unknown listen_port 4444")));
    const dead = freePort();
    const r = await mgr.add(
      { listenPort: 0, connectHost: "127.0.0.1", connectPort: dead },
      "remote",
    );
    const e2 = await assertRejects(
      () => fake.openForwardedTcpip("localhost", r.allocatedPort!),
      ChannelOpenError,
    );
    assertEquals(e2.reasonCode, 2);
    // A server naming the bound address differently still reaches a port we own uniquely.
    const e3 = await assertRejects(
      () => fake.openForwardedTcpip("127.0.0.1", r.allocatedPort!),
      ChannelOpenError,
    );
    assertEquals(e3.reasonCode, 2);
    // Malformed open data is refused, not fatal.
    const bad = await assertRejects(
      () => fake.server.openChannel("forwarded-tcpip", Uint8Array.of(0, 0, 0, 9, 1)),
      ChannelOpenError,
    );
    assertEquals(bad.reasonCode, 1);
  });
});

Deno.test("-R to a unix socket target connects locally by path", async () => {
  const dir = Deno.makeTempDirSync();
  const echo = startEcho(`${dir}/target.sock`);
  await withFake(async (_fake, mgr) => {
    const r = await mgr.add(
      { listenPort: 0, connectPath: `${dir}/target.sock`, connectPort: 0xfffffffe },
      "remote",
    );
    const c = await Deno.connect({ hostname: "127.0.0.1", port: r.allocatedPort! });
    await writeAll(c, bytes("to a path"));
    assertEquals(text(await readN(c, 9)), "to a path");
    c.close();
  });
  echo.close();
  Deno.removeSync(dir, { recursive: true });
});

Deno.test("-R with replyTimeoutMs: a server that never answers fails the add instead of hanging", async () => {
  const logs: string[] = [];
  const restore = captureLog(logs);
  const fake = new FakeForwardServer();
  // Never answers tcpip-forward (like a stock master's proxy mode).
  fake.server.onGlobalRequest("tcpip-forward", () => new Promise(() => {}));
  const mgr = new ForwardManager({ conn: fake.client, replyTimeoutMs: 100 });
  try {
    const e = await assertRejects(
      () => mgr.add({ listenPort: 0, connectHost: "127.0.0.1", connectPort: 1 }, "remote"),
      ForwardError,
    );
    assertEquals(e.message, "remote port forwarding failed for listen port 0");
    assertEquals(e.details, ["no reply to tcpip-forward within 100 ms"]);
    assertEquals(mgr.list().length, 0);
  } finally {
    await mgr.closeAll();
    await fake.close();
    restore();
  }
});
