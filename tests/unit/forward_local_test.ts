// -L (TCP and unix), -D (SOCKS4a/5) and -W against the in-memory fake server (two real
// SshConnections over a memory transport; the fake connects to local echo servers).
import { assert, assertEquals, assertRejects } from "@std/assert";
import { captureLog } from "../../lib/log.ts";
import { ForwardError, ForwardManager, runStdioForward } from "../../lib/ssh/forward/mod.ts";
import { FakeForwardServer } from "../helpers/forward/fake_server.ts";
import {
  bytes,
  connectFails,
  readAll,
  readN,
  socks5Connect,
  startEcho,
  text,
  writeAll,
} from "../helpers/forward/net_helpers.ts";

async function withFake(fn: (fake: FakeForwardServer, mgr: ForwardManager) => Promise<void>) {
  const logs: string[] = [];
  const restore = captureLog(logs);
  const fake = new FakeForwardServer();
  const mgr = new ForwardManager({ conn: fake.client });
  try {
    await fn(fake, mgr);
  } finally {
    await mgr.closeAll();
    await fake.close();
    restore();
  }
}

Deno.test("-L tcp: bytes flow both ways, half-close propagates, cancel closes the port", async () => {
  const echo = startEcho();
  await withFake(async (fake, mgr) => {
    const spec = {
      listenHost: "127.0.0.1",
      listenPort: 0,
      connectHost: "127.0.0.1",
      connectPort: echo.port,
    };
    const r = await mgr.add(spec, "local");
    assert(r.boundPort! > 0);
    assertEquals(r.duplicate, false);
    const c = await Deno.connect({ hostname: "127.0.0.1", port: r.boundPort! });
    await writeAll(c, bytes("ping"));
    assertEquals(text(await readN(c, 4)), "ping");
    const seen = fake.seen.find((s) => s.name === "direct-tcpip")!;
    assertEquals(seen.fields.host, "127.0.0.1");
    assertEquals(seen.fields.port, echo.port);
    assertEquals(seen.fields.originIp, "127.0.0.1");
    assertEquals(seen.fields.originPort, (c.localAddr as Deno.NetAddr).port);
    // Our EOF reaches the echo server, which closes; its close comes back as EOF.
    await writeAll(c, bytes("tail"));
    await c.closeWrite();
    assertEquals(text(await readAll(c)), "tail");
    c.close();

    await mgr.cancel(spec, "local");
    assert(await connectFails(r.boundPort!), "listener still open after cancel");
    assertEquals(mgr.list().length, 0);
  });
  echo.close();
});

Deno.test("-L unix listen: socket mode 0600, forwards, removed on cancel; unix target uses streamlocal", async () => {
  const dir = Deno.makeTempDirSync();
  const echo = startEcho(`${dir}/target.sock`);
  await withFake(async (fake, mgr) => {
    const spec = {
      listenPath: `${dir}/l.sock`,
      listenPort: 0xfffffffe,
      connectPath: `${dir}/target.sock`,
      connectPort: 0xfffffffe,
    };
    await mgr.add(spec, "local");
    const st = Deno.lstatSync(`${dir}/l.sock`);
    assert(st.isSocket);
    assertEquals(st.mode! & 0o777, 0o600);
    // No leftover temp directory next to it.
    assertEquals([...Deno.readDirSync(dir)].map((e) => e.name).sort(), ["l.sock", "target.sock"]);
    const c = await Deno.connect({ transport: "unix", path: `${dir}/l.sock` });
    await writeAll(c, bytes("over unix"));
    assertEquals(text(await readN(c, 9)), "over unix");
    c.close();
    assertEquals(
      fake.seen.find((s) => s.name === "direct-streamlocal@openssh.com")!.fields.path,
      `${dir}/target.sock`,
    );
    await mgr.cancel(spec, "local");
    assertEquals([...Deno.readDirSync(dir)].map((e) => e.name), ["target.sock"]);
  });
  echo.close();
  Deno.removeSync(dir, { recursive: true });
});

Deno.test("-L unix listen: a live socket at the path fails, a stale one of ours is replaced", async () => {
  const dir = Deno.makeTempDirSync();
  await withFake(async (_fake, mgr) => {
    const live = Deno.listen({ transport: "unix", path: `${dir}/busy.sock` });
    const err = await assertRejects(
      () =>
        mgr.add({
          listenPath: `${dir}/busy.sock`,
          listenPort: 0xfffffffe,
          connectHost: "x",
          connectPort: 1,
        }, "local"),
      ForwardError,
    );
    assertEquals(err.kind, "listen-failed");
    assert(
      err.message.startsWith(`unix_listener: cannot bind to path ${dir}/busy.sock: `),
      err.message,
    );
    // Deno removes a listener's own path on close; a second name for the same socket stays
    // behind as a stale socket, like one left by a crashed process.
    Deno.linkSync(`${dir}/busy.sock`, `${dir}/stale.sock`);
    live.close();
    Deno.renameSync(`${dir}/stale.sock`, `${dir}/busy.sock`);
    assert(Deno.lstatSync(`${dir}/busy.sock`).isSocket);
    await mgr.add({
      listenPath: `${dir}/busy.sock`,
      listenPort: 0xfffffffe,
      connectHost: "x",
      connectPort: 1,
    }, "local");
    const c = await Deno.connect({ transport: "unix", path: `${dir}/busy.sock` });
    c.close();
    // A regular file is never removed.
    Deno.writeTextFileSync(`${dir}/file`, "keep");
    await assertRejects(
      () =>
        mgr.add({
          listenPath: `${dir}/file`,
          listenPort: 0xfffffffe,
          connectHost: "x",
          connectPort: 1,
        }, "local"),
      ForwardError,
    );
    assertEquals(Deno.readTextFileSync(`${dir}/file`), "keep");
  });
  Deno.removeSync(dir, { recursive: true });
});

Deno.test("-L: a refused channel open closes the local connection", async () => {
  await withFake(async (fake, mgr) => {
    fake.prohibit.add("direct-tcpip");
    const r = await mgr.add({
      listenHost: "127.0.0.1",
      listenPort: 0,
      connectHost: "10.9.9.9",
      connectPort: 9,
    }, "local");
    const c = await Deno.connect({ hostname: "127.0.0.1", port: r.boundPort! });
    assertEquals((await readAll(c)).length, 0);
    c.close();
  });
});

Deno.test("-D: SOCKS5 and SOCKS4a CONNECT through direct-tcpip; refused target gets rep 5", async () => {
  const echo = startEcho();
  await withFake(async (fake, mgr) => {
    const r = await mgr.add({
      listenHost: "127.0.0.1",
      listenPort: 0,
      connectHost: "socks",
      connectPort: 0,
    }, "dynamic");
    const c5 = await Deno.connect({ hostname: "127.0.0.1", port: r.boundPort! });
    assertEquals(await socks5Connect(c5, "127.0.0.1", echo.port), 0);
    await writeAll(c5, bytes("five"));
    assertEquals(text(await readN(c5, 4)), "five");
    c5.close();
    const seen = fake.seen.filter((s) => s.name === "direct-tcpip");
    assertEquals([seen[0].fields.host, seen[0].fields.port], ["127.0.0.1", echo.port]);

    // SOCKS4a with the payload pipelined right behind the request.
    const c4 = await Deno.connect({ hostname: "127.0.0.1", port: r.boundPort! });
    const host = bytes("127.0.0.1");
    await writeAll(
      c4,
      Uint8Array.of(
        4,
        1,
        echo.port >> 8,
        echo.port & 0xff,
        0,
        0,
        0,
        1,
        0,
        ...host,
        0,
        ...bytes("4a!"),
      ),
    );
    const reply = await readN(c4, 8);
    assertEquals(reply[1], 0x5a);
    assertEquals(text(await readN(c4, 3)), "4a!");
    c4.close();

    const closed = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const deadPort = (closed.addr as Deno.NetAddr).port;
    closed.close();
    const cx = await Deno.connect({ hostname: "127.0.0.1", port: r.boundPort! });
    assertEquals(await socks5Connect(cx, "127.0.0.1", deadPort), 5);
    cx.close();

    // Garbage closes that client only; the listener keeps serving.
    const bad = await Deno.connect({ hostname: "127.0.0.1", port: r.boundPort! });
    await writeAll(bad, bytes("GET / HTTP/1.0\r\n\r\n"));
    assertEquals((await readAll(bad)).length, 0);
    bad.close();
    const again = await Deno.connect({ hostname: "127.0.0.1", port: r.boundPort! });
    assertEquals(await socks5Connect(again, "127.0.0.1", echo.port), 0);
    again.close();
  });
  echo.close();
});

Deno.test("closeAll ends connections that are still being forwarded", async () => {
  const echo = startEcho();
  await withFake(async (_fake, mgr) => {
    const r = await mgr.add({
      listenHost: "127.0.0.1",
      listenPort: 0,
      connectHost: "127.0.0.1",
      connectPort: echo.port,
    }, "local");
    const c = await Deno.connect({ hostname: "127.0.0.1", port: r.boundPort! });
    await writeAll(c, bytes("x"));
    await readN(c, 1);
    await mgr.closeAll();
    assertEquals((await readAll(c)).length, 0);
    c.close();
    assert(await connectFails(r.boundPort!));
  });
  echo.close();
});

Deno.test("-W: stdin → channel → stdout, EOF closes stdout", async () => {
  const echo = startEcho();
  await withFake(async (fake) => {
    const input = [bytes("hello "), bytes("stdio")];
    const out: number[] = [];
    let stdoutClosed = false;
    await runStdioForward(fake.client, { host: "127.0.0.1", port: echo.port }, {
      stdin: {
        read(buf) {
          const c = input.shift();
          if (!c) return Promise.resolve(null);
          buf.set(c);
          return Promise.resolve(c.length);
        },
      },
      stdout: {
        write(d) {
          out.push(...d);
          return Promise.resolve(d.length);
        },
        close() {
          stdoutClosed = true;
        },
      },
    });
    assertEquals(text(new Uint8Array(out)), "hello stdio");
    assert(stdoutClosed);
    const seen = fake.seen.find((s) => s.name === "direct-tcpip")!;
    assertEquals([seen.fields.originIp, seen.fields.originPort], ["127.0.0.1", 65535]);

    fake.prohibit.add("direct-tcpip");
    const err = await assertRejects(
      () =>
        runStdioForward(fake.client, { host: "h", port: 1 }, {
          stdin: { read: () => Promise.resolve(null) },
          stdout: { write: (d) => Promise.resolve(d.length) },
        }),
      ForwardError,
    );
    assertEquals(err.message, "stdio forwarding failed");
  });
  echo.close();
});
