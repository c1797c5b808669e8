// Control clients of our master that stop reading what it writes them. A client that floods
// requests and never reads its replies must not keep -O exit from ending the master.
import { assertEquals } from "@std/assert";
import { RawMuxClient } from "../helpers/raw_mux_client.ts";
import { startSshd } from "../helpers/sshd.ts";
import { startMaster } from "../helpers/master.ts";
import { encodeMux } from "../../lib/mux/encode.ts";

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
