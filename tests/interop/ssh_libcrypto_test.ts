// SSHMUX_CRYPTO=libcrypto against a real sshd: aes128-gcm and aes256-gcm carry 20 MiB down and
// up byte-exact with a server rekey every megabyte (new EVP contexts at each NEWKEYS), the
// verbose log says which backend ran, and a library that cannot be loaded falls back to
// WebCrypto with a note instead of failing the connection.

import { assertEquals, assertStringIncludes } from "@std/assert";
import { sh, sshmuxPath } from "../helpers/run.ts";
import { startSshd } from "../helpers/sshd.ts";

Deno.test("SSHMUX_CRYPTO=libcrypto: AES-GCM transfers byte-exact under rekeys; fallback when missing", async (t) => {
  const sshd = await startSshd({ sshdConfig: ["RekeyLimit 1M"] });
  const dir = sshd.dir;
  try {
    const file = `${dir}/random`;
    assertEquals((await sh(`head -c ${20 * 1024 * 1024} /dev/urandom > ${file}`)).code, 0);
    for (const cipher of ["aes128-gcm@openssh.com", "aes256-gcm@openssh.com"]) {
      await t.step(`${cipher}: down and up`, async () => {
        const ssh = `SSHMUX_CRYPTO=libcrypto ${sshmuxPath()} -v -F ${sshd.config} ` +
          `-o Ciphers=${cipher} x`;
        const down = await sh(
          `${ssh} 'cat ${file}' 2>${dir}/log > ${dir}/down && cmp ${file} ${dir}/down`,
          { timeoutMs: 60_000 },
        );
        const log = Deno.readTextFileSync(`${dir}/log`);
        assertEquals(down.code, 0, down.err + log.slice(-1500));
        assertStringIncludes(log, "AES-GCM through libcrypto");
        const rekeys = log.split("\n").filter((l) => l.includes("kex: algorithm:")).length;
        assertEquals(rekeys > 5, true, `server rekeys seen: ${rekeys}`);
        const up = await sh(
          `${ssh} 'cat > ${dir}/up' < ${file} 2>${dir}/log && cmp ${file} ${dir}/up`,
          { timeoutMs: 60_000 },
        );
        assertEquals(up.code, 0, up.err + Deno.readTextFileSync(`${dir}/log`).slice(-1500));
      });
    }

    await t.step(
      "libcrypto missing: WebCrypto carries the session, with a verbose note",
      async () => {
        const r = await sh(
          `SSHMUX_CRYPTO=libcrypto SSHMUX_LIBCRYPTO=${dir}/no-such-libcrypto.so ${sshmuxPath()} ` +
            `-v -F ${sshd.config} -o Ciphers=aes128-gcm@openssh.com x 'head -c 100000 ${file}' | cmp - ${file} -n 100000`,
          { timeoutMs: 30_000 },
        );
        assertEquals(r.code, 0, r.err);
        assertStringIncludes(r.err, "SSHMUX_CRYPTO=libcrypto: cannot load libcrypto");
        assertStringIncludes(r.err, "using webcrypto");
      },
    );
  } finally {
    await sshd.stop();
  }
});
