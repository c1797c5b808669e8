// `sshmux -O forward` / `-O cancel` against a real OpenSSH master: -L, -R (port 0 included) and
// -D, over TCP and unix sockets; each forward is checked to really carry data once opened and to
// really stop accepting once cancelled.
import { assert, assertEquals, assertMatch } from "@std/assert";
import { freePort, startSshd } from "../helpers/sshd.ts";
import { startStockMaster } from "../helpers/stock_master.ts";
import { run, sshmuxPath, waitFor } from "../helpers/run.ts";

const SSHMUX = sshmuxPath();
const dec = new TextDecoder();

/** A server that writes `banner` to every connection and closes it. */
function bannerServer(listener: Deno.Listener, banner: string): Promise<void> {
  return (async () => {
    for await (const conn of listener) {
      (async () => {
        try {
          await conn.write(new TextEncoder().encode(banner));
        } catch { /* peer gone */ }
        try {
          conn.close();
        } catch { /* closed */ }
      })();
    }
  })().catch(() => {});
}

async function readAll(conn: Deno.Conn): Promise<string> {
  const chunks: Uint8Array[] = [];
  const buf = new Uint8Array(4096);
  while (true) {
    const n = await conn.read(buf).catch(() => null);
    if (n === null) break;
    chunks.push(buf.slice(0, n));
  }
  conn.close();
  return chunks.map((c) => dec.decode(c)).join("");
}

async function fetchTcp(port: number): Promise<string> {
  return readAll(await Deno.connect({ hostname: "127.0.0.1", port }));
}
async function fetchUnix(path: string): Promise<string> {
  return readAll(await Deno.connect({ transport: "unix", path }));
}
/** True once connecting fails (listener gone). */
async function refuses(connect: () => Promise<Deno.Conn>): Promise<boolean> {
  try {
    const c = await connect();
    // A connection accepted by a dying listener may still be reset: count an empty read as gone.
    const got = await readAll(c);
    return got === "";
  } catch {
    return true;
  }
}

/** SOCKS5 CONNECT to 127.0.0.1:port through a dynamic forward, returning what the target says. */
async function socks5Fetch(socksPort: number, port: number): Promise<string> {
  const c = await Deno.connect({ hostname: "127.0.0.1", port: socksPort });
  const readN = async (n: number) => {
    const out = new Uint8Array(n);
    let got = 0;
    while (got < n) {
      const r = await c.read(out.subarray(got));
      if (r === null) throw new Error("socks: EOF");
      got += r;
    }
    return out;
  };
  await c.write(Uint8Array.of(5, 1, 0)); // version 5, one method: no auth
  assertEquals([...await readN(2)], [5, 0]);
  await c.write(Uint8Array.of(5, 1, 0, 1, 127, 0, 0, 1, port >> 8, port & 0xff));
  const reply = await readN(10);
  assertEquals(reply[1], 0, "SOCKS5 connect refused");
  return readAll(c);
}

Deno.test("mux client -O forward / -O cancel against a stock OpenSSH master", async (t) => {
  const sshd = await startSshd();
  const master = await startStockMaster(sshd);
  const mux = (args: string[]) => run(SSHMUX, ["-F", sshd.config, "-S", master.ctl, ...args, "x"]);
  const targetPort = freePort();
  const tcpTarget = Deno.listen({ hostname: "127.0.0.1", port: targetPort });
  const tcpDone = bannerServer(tcpTarget, "tcp-target\n");
  const unixTargetPath = `${sshd.dir}/target.sock`;
  const unixTarget = Deno.listen({ transport: "unix", path: unixTargetPath });
  const unixDone = bannerServer(unixTarget, "unix-target\n");
  try {
    await t.step("-L tcp -> tcp", async () => {
      const p = freePort();
      const spec = `127.0.0.1:${p}:127.0.0.1:${targetPort}`;
      const r = await mux(["-O", "forward", "-L", spec]);
      assertEquals(r.code, 0, r.err);
      assertEquals(r.out, "");
      assertEquals(await fetchTcp(p), "tcp-target\n");
      const c = await mux(["-O", "cancel", "-L", spec]);
      assertEquals(c.code, 0, c.err);
      await waitFor(
        "-L listener closed",
        () => refuses(() => Deno.connect({ hostname: "127.0.0.1", port: p })),
      );
    });

    await t.step("-L unix socket -> unix socket", async () => {
      const listen = `${sshd.dir}/l.sock`;
      const spec = `${listen}:${unixTargetPath}`;
      const r = await mux(["-O", "forward", "-L", spec]);
      assertEquals(r.code, 0, r.err);
      assertEquals(await fetchUnix(listen), "unix-target\n");
      const c = await mux(["-O", "cancel", "-L", spec]);
      assertEquals(c.code, 0, c.err);
      await waitFor(
        "-L unix listener closed",
        () => refuses(() => Deno.connect({ transport: "unix", path: listen })),
      );
    });

    await t.step("-R with port 0: the printed port really forwards", async () => {
      const spec = `0:127.0.0.1:${targetPort}`;
      const r = await mux(["-O", "forward", "-R", spec]);
      assertEquals(r.code, 0, r.err);
      assertMatch(r.out, /^\d+\n$/);
      const port = parseInt(r.out, 10);
      assert(port > 0 && port < 65536);
      assertEquals(await fetchTcp(port), "tcp-target\n");
      const c = await mux(["-O", "cancel", "-R", spec]);
      assertEquals(c.code, 0, c.err);
      await waitFor(
        "-R listener closed",
        () => refuses(() => Deno.connect({ hostname: "127.0.0.1", port })),
      );
    });

    await t.step("-R fixed tcp port", async () => {
      const p = freePort();
      const spec = `127.0.0.1:${p}:127.0.0.1:${targetPort}`;
      const r = await mux(["-O", "forward", "-R", spec]);
      assertEquals(r.code, 0, r.err);
      assertEquals(r.out, "", "no port is printed for a fixed remote port");
      assertEquals(await fetchTcp(p), "tcp-target\n");
      assertEquals((await mux(["-O", "cancel", "-R", spec])).code, 0);
      await waitFor(
        "-R listener closed",
        () => refuses(() => Deno.connect({ hostname: "127.0.0.1", port: p })),
      );
    });

    await t.step("-R unix socket -> tcp", async () => {
      const remote = `${sshd.dir}/r.sock`;
      const spec = `${remote}:127.0.0.1:${targetPort}`;
      const r = await mux(["-O", "forward", "-R", spec]);
      assertEquals(r.code, 0, r.err);
      await waitFor("remote unix listener", () => {
        try {
          return Deno.statSync(remote).isSocket === true;
        } catch {
          return false;
        }
      });
      assertEquals(await fetchUnix(remote), "tcp-target\n");
      assertEquals((await mux(["-O", "cancel", "-R", spec])).code, 0);
      await waitFor(
        "-R unix listener closed",
        () => refuses(() => Deno.connect({ transport: "unix", path: remote })),
      );
    });

    await t.step("-D: a SOCKS5 connect through the dynamic forward", async () => {
      const p = freePort();
      const spec = `127.0.0.1:${p}`;
      const r = await mux(["-O", "forward", "-D", spec]);
      assertEquals(r.code, 0, r.err);
      assertEquals(await socks5Fetch(p, targetPort), "tcp-target\n");
      assertEquals((await mux(["-O", "cancel", "-D", spec])).code, 0);
      await waitFor(
        "-D listener closed",
        () => refuses(() => Deno.connect({ hostname: "127.0.0.1", port: p })),
      );
    });

    await t.step(
      "a session's own -L is opened before it and outlives it (as with ssh)",
      async () => {
        const p = freePort();
        const spec = `127.0.0.1:${p}:127.0.0.1:${targetPort}`;
        const r = await run(SSHMUX, [
          "-F",
          sshd.config,
          "-S",
          master.ctl,
          "-L",
          spec,
          "x",
          "exit 3",
        ]);
        assertEquals(r.code, 3, r.err);
        assertEquals(await fetchTcp(p), "tcp-target\n");
        assertEquals((await mux(["-O", "cancel", "-L", spec])).code, 0);
        await waitFor(
          "session -L closed",
          () => refuses(() => Deno.connect({ hostname: "127.0.0.1", port: p })),
        );
        // ClearAllForwardings: the same -L is not requested at all.
        const c = await run(SSHMUX, [
          "-F",
          sshd.config,
          "-S",
          master.ctl,
          "-o",
          "ClearAllForwardings=yes",
          "-L",
          spec,
          "x",
          "true",
        ]);
        assertEquals(c.code, 0, c.err);
        assertEquals(
          await refuses(() => Deno.connect({ hostname: "127.0.0.1", port: p })),
          true,
        );
      },
    );

    await t.step(
      "-O cancel of a forward that does not exist still exits 0 with ssh's message",
      async () => {
        const r = await mux(["-O", "cancel", "-L", `127.0.0.1:${freePort()}:127.0.0.1:9`]);
        assertEquals(r.code, 0);
        assertMatch(r.err, /forwarding request failed: port not forwarded/);
      },
    );

    await t.step(
      "-O forward that the master cannot open: exit 255 with ssh's message",
      async () => {
        // A port that is already in use locally cannot be listened on.
        const r = await mux(["-O", "forward", "-L", `127.0.0.1:${targetPort}:127.0.0.1:9`]);
        assertEquals(r.code, 255);
        assertMatch(r.err, /forwarding request failed: Port forwarding failed/);
      },
    );
  } finally {
    tcpTarget.close();
    unixTarget.close();
    await tcpDone;
    await unixDone;
    await master.stop();
    await sshd.stop();
  }
});
