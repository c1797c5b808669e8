// Every cipher on both crypto backends against a real sshd, through the sshmux CLI: one
// connection per case uploads a random file and then downloads it (byte-exact with cmp). On
// libcrypto (the default) 12 MiB each way under a server rekey every MiB (new native contexts,
// the old ones freed, at each NEWKEYS); on the fallback (SSHMUX_CRYPTO=webcrypto) 6 MiB each way.
// The -v log names the backend of each direction. A libcrypto that cannot be loaded (missing,
// or not libcrypto at all) leaves the session on the fallback with a note, never a failure.

import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import { sh, sshmuxPath } from "../helpers/run.ts";
import { startSshd } from "../helpers/sshd.ts";

/** Cipher and MAC per case: the CTR ciphers go round the MACs so each one runs somewhere. */
const CASES: [string, string][] = [
  ["chacha20-poly1305@openssh.com", ""],
  ["aes128-gcm@openssh.com", ""],
  ["aes256-gcm@openssh.com", ""],
  ["aes128-ctr", "hmac-sha2-256-etm@openssh.com"],
  ["aes192-ctr", "hmac-sha2-512"],
  ["aes256-ctr", "hmac-sha1-etm@openssh.com"],
];
const OTHER_MACS: [string, string][] = [
  ["aes128-ctr", "hmac-sha2-512-etm@openssh.com"],
  ["aes256-ctr", "hmac-sha2-256"],
  ["aes128-ctr", "hmac-sha1"],
];

Deno.test("every cipher on libcrypto and on the fallback: up then down byte-exact; -v names the backend", async (t) => {
  const sshd = await startSshd({ sshdConfig: ["RekeyLimit 1M"] });
  const dir = sshd.dir;
  try {
    const mib = { libcrypto: 12, webcrypto: 6 };
    for (const n of [6, 12]) {
      assertEquals((await sh(`head -c ${n * 1024 * 1024} /dev/urandom > ${dir}/r${n}`)).code, 0);
    }
    const run = async (backend: "libcrypto" | "webcrypto", cipher: string, mac: string) => {
      const file = `${dir}/r${mib[backend]}`;
      const env = backend === "webcrypto" ? "SSHMUX_CRYPTO=webcrypto " : "";
      const opts = `-o Ciphers=${cipher}` + (mac ? ` -o MACs=${mac}` : "");
      const r = await sh(
        `${env}${sshmuxPath()} -v -F ${sshd.config} ${opts} x 'cat > ${dir}/up && cat ${dir}/up' ` +
          `< ${file} 2>${dir}/log > ${dir}/down && cmp ${file} ${dir}/up && cmp ${file} ${dir}/down`,
        { timeoutMs: 120_000 },
      );
      const log = Deno.readTextFileSync(`${dir}/log`);
      assertEquals(r.code, 0, r.err + log.slice(-1500));
      const label = backend === "libcrypto" ? "libcrypto" : "webcrypto";
      assertStringIncludes(log, `client->server cipher ${cipher} runs on ${label}`);
      assertStringIncludes(log, `server->client cipher ${cipher} runs on ${label}`);
      if (mac && backend === "libcrypto") assert(!log.includes("MAC node:crypto"), "HMAC backend");
      const kexes = log.split("\n").filter((l) => l.includes("kex: algorithm:")).length;
      if (backend === "libcrypto") assert(kexes > 10, `server rekeys seen: ${kexes}`);
    };
    for (const backend of ["libcrypto", "webcrypto"] as const) {
      for (const [cipher, mac] of CASES) {
        await t.step(`${backend}: ${cipher} ${mac}`, () => run(backend, cipher, mac));
      }
    }
    for (const [cipher, mac] of OTHER_MACS) {
      await t.step(`libcrypto: ${cipher} ${mac}`, () => run("libcrypto", cipher, mac));
    }

    const file = `${dir}/r6`;
    await t.step(
      "libcrypto missing: the fallback carries the session, with a -v note",
      async () => {
        const r = await sh(
          `SSHMUX_LIBCRYPTO=${dir}/no-such-libcrypto.so ${sshmuxPath()} -v -F ${sshd.config} ` +
            `x 'head -c 100000 ${file}' | cmp - ${file} -n 100000`,
          { timeoutMs: 90_000 },
        );
        assertEquals(r.code, 0, r.err);
        assertStringIncludes(r.err, "libcrypto: cannot load it");
        assertStringIncludes(r.err, "no-such-libcrypto.so");
        assertStringIncludes(r.err, "runs on webcrypto (node:crypto ChaCha20, WASM Poly1305)");
      },
    );
    await t.step(
      "not libcrypto at all (libc): fallback; a note without -v only when asked for by name",
      async () => {
        const quiet = await sh(
          `SSHMUX_LIBCRYPTO=libc.so.6 ${sshmuxPath()} -F ${sshd.config} x 'head -c 100000 ${file}'` +
            ` | cmp - ${file} -n 100000`,
          { timeoutMs: 90_000 },
        );
        assertEquals(quiet.code, 0, quiet.err);
        assertEquals(quiet.err, "");
        const asked = await sh(
          `SSHMUX_CRYPTO=libcrypto SSHMUX_LIBCRYPTO=libc.so.6 ${sshmuxPath()} -F ${sshd.config} ` +
            `x 'head -c 100000 ${file}' | cmp - ${file} -n 100000`,
          { timeoutMs: 90_000 },
        );
        assertEquals(asked.code, 0, asked.err);
        assertStringIncludes(asked.err, "libcrypto: cannot load it");
        assertStringIncludes(asked.err, "ciphers run on webcrypto");
      },
    );
  } finally {
    await sshd.stop();
  }
});
