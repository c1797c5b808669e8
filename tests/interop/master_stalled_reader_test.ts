// Control clients of our master that stop reading what it writes them. A client that floods
// requests and never reads its replies must not keep -O exit from ending the master; a proxy
// client that grants the server a huge window and never reads must be dropped once a bounded
// amount is queued for it, not grow the master's memory until every session dies with it.
// Meanwhile a bulk session of a stock client stays byte-exact and the master's fds come back.
import { assert, assertEquals } from "@std/assert";
import { fdCount, run, sh, waitFor } from "../helpers/run.ts";
import { RawMuxClient } from "../helpers/raw_mux_client.ts";
import { startSshd } from "../helpers/sshd.ts";
import { startMaster } from "../helpers/master.ts";
import { encodeMux } from "../../lib/mux/encode.ts";
import { encodeProxyPacket } from "../../lib/mux/proxy_framing.ts";
import { encodeChannelOpen, encodeChannelRequest } from "../../lib/ssh/connection/messages.ts";
import { WireWriter } from "../../lib/wire/writer.ts";

const rssMiB = (pid: number) =>
  Number(/VmRSS:\s+(\d+)/.exec(Deno.readTextFileSync(`/proc/${pid}/status`))![1]) / 1024;

Deno.test("master: -O exit is not held up by a client that stopped reading", async () => {
  const sshd = await startSshd();
  const master = await startMaster("sshmux", sshd);
  const flooder = new RawMuxClient(master.ctl);
  try {
    await flooder.hello();
    // 20000 ALIVE_CHECKs, never a reply read: the master's replies fill the socket buffer.
    const one = encodeMux({ kind: "AliveCheck", rid: 1 });
    const many = new Uint8Array(one.length * 20_000);
    for (let i = 0; i < 20_000; i++) many.set(one, i * one.length);
    flooder.write(many).catch(() => {});
    await new Promise((r) => setTimeout(r, 500));
    assertEquals((await master.control("exit")).code, 0);
    // The flooder stays connected the whole time; before, the master waited for it to leave.
    await master.waitGone(10_000);
  } finally {
    flooder.close();
    await master.stop();
    await sshd.stop();
  }
});

Deno.test("master: a proxy client with a huge window that never reads is dropped alone", async () => {
  const sshd = await startSshd();
  const master = await startMaster("sshmux", sshd);
  const data = `${sshd.dir}/data.bin`;
  const copy = `${sshd.dir}/copy.bin`;
  const proxy = new RawMuxClient(master.ctl);
  try {
    await sh(`head -c ${21 * 1024 * 1024} /dev/urandom > ${data}`);
    assertEquals((await master.control("check")).code, 0);
    // Counted once the warm-up's control connection is surely closed on the master's side;
    // compared with <= below, so a connection still closing then cannot fail the test.
    await new Promise((r) => setTimeout(r, 500));
    const fdsBefore = fdCount(master.pid);
    const rssBefore = rssMiB(master.pid);
    const bulk = sh(
      `ssh -F ${sshd.config} -S ${master.ctl} x 'cat ${data}' | (sleep 1; cat) > ${copy}`,
    );
    await proxy.hello();
    await proxy.send({ kind: "Proxy", rid: 0 });
    assertEquals(await proxy.read(), { kind: "ProxyOk", rid: 0 });
    // A session channel granting the server a 2 GiB window, then a command that fills it.
    await proxy.write(
      encodeProxyPacket(encodeChannelOpen("session", 0, 0x7fffffff, 32768, new Uint8Array(0))),
    );
    const head = await proxy.sock.readExact(4);
    const confirm = await proxy.sock.readExact(new DataView(head!.buffer).getUint32(0));
    assertEquals(confirm![1], 91, "CHANNEL_OPEN_CONFIRMATION");
    const serverId = new DataView(confirm!.buffer).getUint32(6);
    const exec = new WireWriter().string("head -c 2000000000 /dev/zero").finish();
    await proxy.write(encodeProxyPacket(encodeChannelRequest(serverId, "exec", false, exec)));
    await waitFor(
      "the stalled proxy client dropped",
      () =>
        /proxy client \d+: not reading: over 64 MiB queued for it; dropping it/.test(
          master.stderr(),
        ),
      30_000,
    );
    const grown = rssMiB(master.pid) - rssBefore;
    assert(grown < 200, `master RSS grew ${grown.toFixed(0)} MiB`);
    const b = await bulk;
    assertEquals(b.code, 0, b.err);
    assertEquals((await run("cmp", [data, copy])).code, 0);
    assertEquals((await master.control("check")).code, 0);
    proxy.close();
    await waitFor("master fds back", () => fdCount(master.pid) <= fdsBefore, 10_000).catch(() => {
      throw new Error(`master holds ${fdCount(master.pid)} fds, ${fdsBefore} before`);
    });
  } finally {
    proxy.close();
    await master.stop();
    await sshd.stop();
  }
});
