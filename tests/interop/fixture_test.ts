// The fixtures themselves: a throwaway sshd and a stock master work, so later failures are ours.
import { assertEquals } from "@std/assert";
import { startSshd } from "../helpers/sshd.ts";
import { startStockMaster } from "../helpers/stock_master.ts";
import { run } from "../helpers/run.ts";

Deno.test("fixture: stock ssh reaches the throwaway sshd directly and through a stock master", async () => {
  const sshd = await startSshd();
  try {
    const direct = await run("ssh", ["-F", sshd.config, "x", "echo direct; exit 3"]);
    assertEquals(direct.out, "direct\n");
    assertEquals(direct.code, 3);
    const m = await startStockMaster(sshd);
    try {
      const via = await run("ssh", ["-F", sshd.config, "-S", m.ctl, "x", "echo via; exit 4"]);
      assertEquals(via.out, "via\n");
      assertEquals(via.code, 4);
    } finally {
      await m.stop();
    }
  } finally {
    await sshd.stop();
  }
});
