// Tools that drive `ssh` as a subprocess, pointed at sshmux instead: sftp -S, scp -S, and an
// `ssh` whose ProxyCommand is `sshmux -W` through a stock OpenSSH master. All byte-exact.
import { assertEquals } from "@std/assert";
import { startSshd } from "../helpers/sshd.ts";
import { startStockMaster } from "../helpers/stock_master.ts";
import { run, sh, sshmuxPath } from "../helpers/run.ts";

const SSHMUX = sshmuxPath();

Deno.test("sftp, scp and ssh ProxyCommand over sshmux as the mux client", async (t) => {
  const sshd = await startSshd();
  const master = await startStockMaster(sshd);
  const data = `${sshd.dir}/data.bin`;
  await sh(`head -c ${20 * 1024 * 1024 + 12345} /dev/urandom > ${data}`);
  const cmp = async (a: string, b: string) => (await run("cmp", [a, b])).code;
  try {
    await t.step("sftp -S sshmux: get and put are byte-exact", async () => {
      const got = `${sshd.dir}/sftp-get.bin`;
      const put = `${sshd.dir}/sftp-put.bin`;
      const r = await run("sftp", [
        "-S",
        SSHMUX,
        "-F",
        sshd.config,
        "-oControlPath=" + master.ctl,
        "-b",
        "-",
        "x",
      ], { stdin: `get ${data} ${got}\nput ${data} ${put}\n` });
      assertEquals(r.code, 0, r.err);
      assertEquals(await cmp(data, got), 0);
      assertEquals(await cmp(data, put), 0);
    });

    await t.step("scp -S sshmux (sftp protocol and legacy -O): download and upload", async () => {
      for (const legacy of [[], ["-O"]]) {
        const down = `${sshd.dir}/scp-down.bin`;
        const up = `${sshd.dir}/scp-up.bin`;
        const base = ["-S", SSHMUX, ...legacy, "-F", sshd.config, "-oControlPath=" + master.ctl];
        const d = await run("scp", [...base, `x:${data}`, down]);
        assertEquals(d.code, 0, d.err);
        assertEquals(await cmp(data, down), 0);
        const u = await run("scp", [...base, data, `x:${up}`]);
        assertEquals(u.code, 0, u.err);
        assertEquals(await cmp(data, up), 0);
        Deno.removeSync(down);
        Deno.removeSync(up);
      }
    });

    await t.step("sshmux -W as another ssh's ProxyCommand", async () => {
      const proxy = `${SSHMUX} -F ${sshd.config} -S ${master.ctl} -W %h:%p x`;
      const r = await run("ssh", [
        "-F",
        sshd.config,
        "-o",
        `ProxyCommand=${proxy}`,
        "x",
        "echo through-W; exit 6",
      ]);
      assertEquals(r.out, "through-W\n", r.err);
      assertEquals(r.code, 6);
      const copy = `${sshd.dir}/w-down.bin`;
      const big = await sh(
        `ssh -F ${sshd.config} -o 'ProxyCommand=${proxy}' x 'cat ${data}' > ${copy}`,
      );
      assertEquals(big.code, 0, big.err);
      assertEquals(await cmp(data, copy), 0);
    });

    await t.step("-W to a closed port: ssh's message and exit 255", async () => {
      const r = await run(SSHMUX, ["-F", sshd.config, "-S", master.ctl, "-W", "127.0.0.1:1", "x"]);
      assertEquals(r.code, 255);
      assertEquals(r.err, "Stdio forwarding request failed: Session open refused by peer\r\n");
    });
  } finally {
    await master.stop();
    await sshd.stop();
  }
});
