// PROXY on a control connection that already carries a session: the socket would turn into SSH
// packets under the session's replies, and its EXIT_MESSAGE would be lost (OpenSSH's master
// loses the session's output too). Ours refuses the PROXY with FAILURE; the session runs on.
import { assertEquals } from "@std/assert";
import { openDevNull } from "../../ffi/mod.ts";
import { newSessionRequest, RawMuxClient } from "../helpers/raw_mux_client.ts";
import { startSshd } from "../helpers/sshd.ts";
import { startMaster } from "../helpers/master.ts";

Deno.test("master: PROXY on a connection with a session is refused; the session ends normally", async () => {
  const sshd = await startSshd();
  const master = await startMaster("sshmux", sshd);
  const c = new RawMuxClient(master.ctl);
  try {
    await c.hello();
    await c.send(newSessionRequest(1, "sleep 0.5; exit 7"));
    const fds = [openDevNull(false), openDevNull(true), openDevNull(true)];
    for (const fd of fds) await c.sendFds([fd]);
    fds.forEach((fd) => fd.close());
    assertEquals(await c.read(), { kind: "SessionOpened", rid: 1, sid: 0 });
    await c.send({ kind: "Proxy", rid: 2 });
    assertEquals(await c.read(), {
      kind: "Failure",
      rid: 2,
      reason: "Proxy mode not supported on a connection with a session",
    });
    assertEquals(await c.read(), { kind: "ExitMessage", sid: 0, exitValue: 7 });
  } finally {
    c.close();
    await master.stop();
    await sshd.stop();
  }
});
