// TTY_ALLOC_FAIL from a real OpenSSH master: the key is `no-pty` in authorized_keys, so the
// server refuses pty-req, the master tells the client (MUX_S_TTY_ALLOC_FAIL) and writes ssh's
// "PTY allocation request failed" into the client's stderr; the session still runs. sshmux
// and stock ssh as the mux client must behave the same.
import { assertEquals, assertStringIncludes } from "@std/assert";
import { startSshd } from "../helpers/sshd.ts";
import { startStockMaster } from "../helpers/stock_master.ts";
import { run, sshmuxPath } from "../helpers/run.ts";

Deno.test("mux client: TTY_ALLOC_FAIL from a stock master (no-pty key) like ssh", async () => {
  const sshd = await startSshd();
  try {
    const ak = `${sshd.dir}/authorized_keys`;
    Deno.writeTextFileSync(ak, `no-pty ${Deno.readTextFileSync(ak)}`);
    const m = await startStockMaster(sshd);
    try {
      for (const client of ["ssh", sshmuxPath()]) {
        const r = await run(client, [
          "-F",
          sshd.config,
          "-S",
          m.ctl,
          "-tt",
          "x",
          "tty >/dev/null || echo no-tty; exit 3",
        ]);
        assertEquals(r.code, 3, `${client}: ${r.err}`);
        assertStringIncludes(r.out, "no-tty", client);
        assertStringIncludes(r.err, "PTY allocation request failed", client);
      }
    } finally {
      await m.stop();
    }
  } finally {
    await sshd.stop();
  }
});
