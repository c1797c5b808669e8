// Interop: the forwarders in this process over our own SSH client (connectSsh) to a real
// OpenSSH sshd. Ports really open and really close on cancel; -R with a fixed port and port 0;
// -D SOCKS5/SOCKS4a; -W; a byte-exact multi-MiB transfer through -L and -R.
import { assert, assertEquals } from "@std/assert";
import { type Sshd, startSshd } from "../helpers/sshd.ts";
import { waitFor } from "../helpers/run.ts";
import { parseArgs } from "../../lib/config/argv.ts";
import { localEnv, resolveOptions } from "../../lib/config/resolve.ts";
import { connectSsh, type SshClient } from "../../lib/ssh/client.ts";
import { ForwardManager, runStdioForward } from "../../lib/ssh/forward/mod.ts";
import { captureLog } from "../../lib/log.ts";
import {
  bytes,
  connectFails,
  type Echo,
  readN,
  socks5Connect,
  startEcho,
  text,
  writeAll,
} from "../helpers/forward/net_helpers.ts";
import { freePort } from "../helpers/sshd.ts";

interface Ctx {
  sshd: Sshd;
  client: SshClient;
  mgr: ForwardManager;
  echo: Echo;
}

async function withClient(fn: (ctx: Ctx) => Promise<void>): Promise<void> {
  const logs: string[] = [];
  const restore = captureLog(logs);
  const sshd = await startSshd();
  const echo = startEcho();
  try {
    const opts = resolveOptions(parseArgs(["-F", sshd.config, "x"]), localEnv());
    const client = await connectSsh(opts);
    const mgr = new ForwardManager({ conn: client.connection });
    try {
      await fn({ sshd, client, mgr, echo });
    } finally {
      await mgr.closeAll();
      await client.close();
    }
  } finally {
    echo.close();
    await sshd.stop();
    restore();
  }
}

/** Sends `data` through `c` to the echo server and checks every byte comes back in order. */
async function echoExact(c: Deno.Conn, data: Uint8Array): Promise<void> {
  const sending = writeAll(c, data).then(() => c.closeWrite());
  const back = await readN(c, data.length);
  await sending;
  assertEquals(await c.read(new Uint8Array(1)), null, "extra bytes after the echo");
  let mismatch = -1;
  for (let i = 0; i < data.length; i++) {
    if (back[i] !== data[i]) {
      mismatch = i;
      break;
    }
  }
  assertEquals(mismatch, -1, `first differing byte at ${mismatch}`);
}

function randomBytes(n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let off = 0; off < n; off += 65536) crypto.getRandomValues(out.subarray(off, off + 65536));
  return out;
}

Deno.test("interop -L: tcp and unix forwards carry bytes and close on cancel", async () => {
  await withClient(async ({ sshd, mgr, echo }) => {
    const tcp = {
      listenHost: "127.0.0.1",
      listenPort: 0,
      connectHost: "127.0.0.1",
      connectPort: echo.port,
    };
    const r = await mgr.add(tcp, "local");
    const c = await Deno.connect({ hostname: "127.0.0.1", port: r.boundPort! });
    await writeAll(c, bytes("through sshd"));
    assertEquals(text(await readN(c, 12)), "through sshd");
    c.close();

    // Listen on a unix socket, connect to a unix socket on the server (direct-streamlocal).
    const target = `${sshd.dir}/echo.sock`;
    const unixEcho = startEcho(target);
    const unix = {
      listenPath: `${sshd.dir}/l.sock`,
      listenPort: 0xfffffffe,
      connectPath: target,
      connectPort: 0xfffffffe,
    };
    await mgr.add(unix, "local");
    assertEquals(Deno.lstatSync(unix.listenPath).mode! & 0o777, 0o600);
    const u = await Deno.connect({ transport: "unix", path: unix.listenPath });
    await writeAll(u, bytes("unix both ends"));
    assertEquals(text(await readN(u, 14)), "unix both ends");
    u.close();

    await mgr.cancel(tcp, "local");
    assert(await connectFails(r.boundPort!), "-L port still accepts after cancel");
    await mgr.cancel(unix, "local");
    let gone = false;
    try {
      Deno.lstatSync(unix.listenPath);
    } catch {
      gone = true;
    }
    assert(gone, "unix listen socket left behind after cancel");
    unixEcho.close();
  });
});

Deno.test("interop -R: fixed port and port 0 (allocated port reported), cancel closes them", async () => {
  await withClient(async ({ mgr, echo }) => {
    const fixedPort = freePort();
    const fixed = {
      listenHost: "127.0.0.1",
      listenPort: fixedPort,
      connectHost: "127.0.0.1",
      connectPort: echo.port,
    };
    assertEquals(await mgr.add(fixed, "remote"), { duplicate: false });
    const c = await Deno.connect({ hostname: "127.0.0.1", port: fixedPort });
    await writeAll(c, bytes("fixed"));
    assertEquals(text(await readN(c, 5)), "fixed");
    c.close();

    const zero = { listenPort: 0, connectHost: "127.0.0.1", connectPort: echo.port };
    const r = await mgr.add(zero, "remote");
    assert(r.allocatedPort! > 0 && r.allocatedPort! <= 65535, `allocated ${r.allocatedPort}`);
    const again = await mgr.add({ ...zero }, "remote");
    assertEquals(again.allocatedPort, r.allocatedPort);
    const c0 = await Deno.connect({ hostname: "127.0.0.1", port: r.allocatedPort! });
    await writeAll(c0, bytes("port zero"));
    assertEquals(text(await readN(c0, 9)), "port zero");
    c0.close();

    await mgr.cancel(fixed, "remote");
    await mgr.cancel(zero, "remote");
    await waitFor(
      "sshd to close the remote listeners",
      async () => await connectFails(fixedPort) && await connectFails(r.allocatedPort!),
      5000,
    );
  });
});

Deno.test("interop -R dynamic and -D: SOCKS through a real sshd", async () => {
  await withClient(async ({ mgr, echo }) => {
    const d = await mgr.add({
      listenHost: "127.0.0.1",
      listenPort: 0,
      connectHost: "socks",
      connectPort: 0,
    }, "dynamic");
    const c5 = await Deno.connect({ hostname: "127.0.0.1", port: d.boundPort! });
    assertEquals(await socks5Connect(c5, "localhost", echo.port), 0);
    await writeAll(c5, bytes("socks5"));
    assertEquals(text(await readN(c5, 6)), "socks5");
    c5.close();
    // The server cannot connect: SOCKS5 says so instead of just closing.
    const c5x = await Deno.connect({ hostname: "127.0.0.1", port: d.boundPort! });
    assertEquals(await socks5Connect(c5x, "127.0.0.1", freePort()), 5);
    c5x.close();
    const c4 = await Deno.connect({ hostname: "127.0.0.1", port: d.boundPort! });
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
        ...bytes("localhost"),
        0,
      ),
    );
    assertEquals((await readN(c4, 8))[1], 0x5a);
    await writeAll(c4, bytes("4a"));
    assertEquals(text(await readN(c4, 2)), "4a");
    c4.close();

    const rd = await mgr.add({ listenPort: 0, connectHost: "socks", connectPort: 0 }, "remote");
    const cr = await Deno.connect({ hostname: "127.0.0.1", port: rd.allocatedPort! });
    assertEquals(await socks5Connect(cr, "127.0.0.1", echo.port), 0);
    await writeAll(cr, bytes("rdyn"));
    assertEquals(text(await readN(cr, 4)), "rdyn");
    cr.close();
  });
});

Deno.test("interop: 4 MiB byte-exact through -L and through -R", async () => {
  await withClient(async ({ mgr, echo }) => {
    const data = randomBytes(4 * 1024 * 1024);
    const l = await mgr.add({
      listenHost: "127.0.0.1",
      listenPort: 0,
      connectHost: "127.0.0.1",
      connectPort: echo.port,
    }, "local");
    const cl = await Deno.connect({ hostname: "127.0.0.1", port: l.boundPort! });
    await echoExact(cl, data);
    cl.close();
    const r = await mgr.add(
      { listenPort: 0, connectHost: "127.0.0.1", connectPort: echo.port },
      "remote",
    );
    const cr = await Deno.connect({ hostname: "127.0.0.1", port: r.allocatedPort! });
    await echoExact(cr, data);
    cr.close();
  });
});

Deno.test("interop -W: stdio forward to a TCP port on the server side", async () => {
  await withClient(async ({ client, echo }) => {
    const input = [bytes("stdio "), bytes("forward")];
    const out: number[] = [];
    await runStdioForward(client.connection, { host: "127.0.0.1", port: echo.port }, {
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
      },
    });
    assertEquals(text(new Uint8Array(out)), "stdio forward");
  });
});
