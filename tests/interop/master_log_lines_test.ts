// What a master of each kind tells its clients when a request fails: a refused subsystem
// (nothing reaches the client). OpenSSH's master is the oracle: every step runs against it too.
import { assertEquals } from "@std/assert";
import { type ClientKind, masterTest, muxRun, startMaster } from "../helpers/master.ts";
import { startMasterSshd } from "../helpers/master.ts";

const CLIENTS: ClientKind[] = ["ssh", "sshmux"];

masterTest("failed requests: client and master messages", async (kind, t) => {
  const sshd = await startMasterSshd();
  const master = await startMaster(kind, sshd);
  try {
    for (const client of CLIENTS) {
      await t.step(`[${client}] an unknown subsystem: 255 and nothing on stderr`, async () => {
        const r = await muxRun(client, master, ["-s", "x", "no-such-subsystem"]);
        assertEquals([r.code, r.out, r.err], [255, "", ""]);
      });
    }
  } finally {
    await master.stop();
    await sshd.stop();
  }
});
