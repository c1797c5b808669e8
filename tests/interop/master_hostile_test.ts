// sshmux as the master against broken and hostile control clients: garbage, oversized and
// truncated frames, requests before HELLO, NEW_SESSION without fds (held back), with several fds
// in one message, with a directory as stdout, clients of another uid. Each one is dropped alone:
// a bulk session of a stock client running the whole time stays byte-exact, the master keeps
// serving, and no fd outlives its client.
import { assert, assertEquals } from "@std/assert";
import { openDevNull, openReadOnly, pipe, type RawFd } from "../../ffi/mod.ts";
import { MUX_MAX_PACKET } from "../../lib/mux/constants.ts";
import { fdCount, run, sh } from "../helpers/run.ts";
import { newSessionRequest, RawMuxClient } from "../helpers/raw_mux_client.ts";
import { startSshd } from "../helpers/sshd.ts";
import { startMaster } from "../helpers/master.ts";

const frame = (body: Uint8Array) => {
  const f = new Uint8Array(4 + body.length);
  new DataView(f.buffer).setUint32(0, body.length);
  f.set(body, 4);
  return f;
};

const u32s = (...v: number[]) => {
  const b = new Uint8Array(4 * v.length);
  v.forEach((x, i) => new DataView(b.buffer).setUint32(4 * i, x));
  return b;
};

const newSession = (rid: number) => newSessionRequest(rid, "echo should-not-run");

Deno.test("master: hostile control clients are dropped alone", async (t) => {
  const sshd = await startSshd({ sshdConfig: ["MaxSessions 30"] });
  const master = await startMaster("sshmux", sshd, { env: { SSHMUX_FD_WAIT_MS: "8000" } });
  const ssh = (args: string[]) => run("ssh", ["-F", sshd.config, "-S", master.ctl, ...args]);
  const data = `${sshd.dir}/data.bin`;
  const copy = `${sshd.dir}/copy.bin`;
  try {
    await sh(`head -c ${24 * 1024 * 1024} /dev/urandom > ${data}`);
    // Warm up, then note the master's fds: every hostile client must leave the count as it was.
    assertEquals((await ssh(["x", "true"])).code, 0);
    const fdsBefore = fdCount(master.pid);
    // A slow bulk download runs through all the steps below.
    const bulk = sh(
      `ssh -F ${sshd.config} -S ${master.ctl} x 'cat ${data}' | (sleep 2; cat) > ${copy}`,
    );

    // A client that sends NEW_SESSION and never its fds: it stalls only itself while every
    // step below is served; it is dropped once the fd deadline passed (checked at the end).
    const stalled = new RawMuxClient(master.ctl);
    await stalled.hello();
    await stalled.send(newSession(1));
    const stalledAt = Date.now();

    await t.step("garbage instead of a frame: dropped", async () => {
      const c = new RawMuxClient(master.ctl);
      await c.write(new TextEncoder().encode("GET / HTTP/1.0\r\n\r\n" + "x".repeat(100)));
      const got = await c.drain();
      assertEquals(got.map((m) => m.kind), ["Hello"]);
      c.close();
    });

    await t.step("a frame over 256 KiB: dropped; exactly 256 KiB: answered", async () => {
      const c = new RawMuxClient(master.ctl);
      await c.hello();
      await c.write(u32s(MUX_MAX_PACKET + 1, 0x10000004, 1));
      assertEquals(await c.drain(), []);
      c.close();
      const d = new RawMuxClient(master.ctl);
      await d.hello();
      const body = new Uint8Array(MUX_MAX_PACKET);
      body.set(u32s(0x1000ffff, 7));
      await d.write(frame(body));
      const r = await d.read();
      assertEquals(r, { kind: "Failure", rid: 7, reason: "unsupported request" });
      await d.send({ kind: "AliveCheck", rid: 8 });
      assertEquals(await d.read(), { kind: "Alive", rid: 8, pid: master.pid });
      d.close();
    });

    await t.step("a truncated frame, then EOF: dropped quietly", async () => {
      const c = new RawMuxClient(master.ctl);
      await c.hello();
      await c.write(u32s(100, 0x10000004));
      c.sock.shutdownWrite();
      assertEquals(await c.drain(), []);
      c.close();
    });

    await t.step("requests before HELLO, a wrong version, a second HELLO: dropped", async () => {
      const a = new RawMuxClient(master.ctl);
      await a.send({ kind: "AliveCheck", rid: 1 });
      assertEquals((await a.drain()).map((m) => m.kind), ["Hello"]);
      a.close();
      const b = new RawMuxClient(master.ctl);
      await b.send({ kind: "Hello", version: 3, extensions: [] });
      // The master may already have dropped it: a failed send is fine.
      await b.send({ kind: "AliveCheck", rid: 1 }).catch(() => {});
      assertEquals((await b.drain()).map((m) => m.kind), ["Hello"]);
      b.close();
      const c = new RawMuxClient(master.ctl);
      await c.hello();
      await c.send({ kind: "Hello", version: 4, extensions: [] });
      assertEquals(await c.drain(), []);
      c.close();
    });

    await t.step(
      "master's HELLO advertises info; an unknown request keeps the client",
      async () => {
        const c = new RawMuxClient(master.ctl);
        const hello = await c.hello();
        assertEquals(hello, {
          kind: "Hello",
          version: 4,
          extensions: [
            ["info", "0"],
            ["roundtrip@sshmux", "0"],
            ["list@sshmux", "0"],
            ["name@sshmux", "0"],
            ["signal@sshmux", "0"],
          ],
        });
        await c.write(frame(u32s(0x10000077, 5)));
        assertEquals(await c.read(), { kind: "Failure", rid: 5, reason: "unsupported request" });
        await c.send({ kind: "AliveCheck", rid: 6 });
        assertEquals(await c.read(), { kind: "Alive", rid: 6, pid: master.pid });
        c.close();
      },
    );

    await t.step("NEW_SESSION with three fds in one message: dropped, fds closed", async () => {
      const c = new RawMuxClient(master.ctl);
      await c.hello();
      await c.send(newSession(2));
      const fds: RawFd[] = [openDevNull(false), openDevNull(true), openDevNull(true)];
      await c.sendFds(fds);
      fds.forEach((f) => f.close());
      const got = await c.drain();
      assertEquals(got.map((m) => m.kind), ["Failure"]);
      c.close();
    });

    await t.step("ten fds in one message, five times: no fd kept", async () => {
      for (let i = 0; i < 5; i++) {
        const c = new RawMuxClient(master.ctl);
        await c.hello();
        await c.send(newSession(3));
        const fds = Array.from({ length: 10 }, () => openDevNull(false));
        await c.sendFds(fds);
        fds.forEach((f) => f.close());
        await c.drain();
        c.close();
      }
    });

    await t.step("a directory as stdout: refused, nothing runs", async () => {
      const c = new RawMuxClient(master.ctl);
      await c.hello();
      await c.send(newSession(4));
      const [r, w] = pipe();
      const dirFd = openReadOnly(sshd.dir);
      for (const fd of [r, dirFd, w]) await c.sendFds([fd]);
      [r, w, dirFd].forEach((f) => f.close());
      const got = await c.drain();
      assertEquals(got, [{ kind: "Failure", rid: 4, reason: "did not receive file descriptors" }]);
      c.close();
    });

    await t.step(
      "NEW_SESSION whose fds never come: others served meanwhile, then dropped",
      async () => {
        const other = await ssh(["x", "echo served"]);
        assertEquals([other.code, other.out], [0, "served\n"]);
        const got = await stalled.drain(30_000);
        assertEquals(got, [{
          kind: "Failure",
          rid: 1,
          reason: "did not receive file descriptors",
        }]);
        assert(Date.now() - stalledAt >= 7_000, "dropped before its deadline");
        stalled.close();
      },
    );

    await t.step("the bulk session was never disturbed; no fd outlived its client", async () => {
      const r = await bulk;
      assertEquals(r.code, 0, r.err);
      assertEquals((await run("cmp", [data, copy])).code, 0);
      const end = Date.now() + 5000;
      while (fdCount(master.pid) !== fdsBefore && Date.now() < end) {
        await new Promise((res) => setTimeout(res, 100));
      }
      assertEquals(fdCount(master.pid), fdsBefore);
      assertEquals((await ssh(["-O", "check", "x"])).code, 0);
    });

    await t.step("a client of another uid is refused and logged", async () => {
      await Deno.chmod(master.ctl, 0o666);
      await Deno.chmod(sshd.dir, 0o755);
      // perl is in every Debian (perl-base): connect as nobody, print how many bytes came.
      const pl = "use IO::Socket::UNIX; my $s = IO::Socket::UNIX->new(Peer => $ARGV[0]) " +
        "or die $!; my $n = sysread($s, my $b, 100); print $n // -1";
      const r = await run("setpriv", [
        "--reuid=65534",
        "--regid=65534",
        "--clear-groups",
        "/usr/bin/perl",
        "-e",
        pl,
        master.ctl,
      ]);
      assertEquals([r.code, r.out.trim()], [0, "0"], r.err);
      assert(
        /multiplex uid mismatch: peer euid 65534 != uid 0/.test(master.stderr()),
        master.stderr(),
      );
    });
  } finally {
    await master.stop();
    await sshd.stop();
  }
});
