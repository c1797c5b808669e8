// Proxy mode in sshmux's master (MUX_C_PROXY): stock `ssh -O proxy` and sshmux's own -O proxy
// client relayed over the master's one SSH connection: exit codes, byte-exact bulk both ways, a
// tty session, -L and -R (port 0) opened by the proxy client, proxy and passenger sessions side
// by side, a proxy client killed mid-transfer or sending garbage is dropped alone.
import { assert, assertEquals, assertMatch } from "@std/assert";
import { freePort, startSshd } from "../helpers/sshd.ts";
import { run, sh, sshmuxPath, waitFor } from "../helpers/run.ts";
import { RawMuxClient } from "../helpers/raw_mux_client.ts";
import { startMaster } from "../helpers/master.ts";

const SSHMUX = sshmuxPath();

/** A TCP server on 127.0.0.1 that sends `text` to every connection and closes it. */
function textServer(text: string): { port: number; close(): void } {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  (async () => {
    for await (const c of l) {
      await c.write(new TextEncoder().encode(text)).catch(() => {});
      c.close();
    }
  })().catch(() => {});
  return { port: (l.addr as Deno.NetAddr).port, close: () => l.close() };
}

async function readAllFrom(port: number): Promise<string> {
  const c = await Deno.connect({ hostname: "127.0.0.1", port });
  const chunks: Uint8Array[] = [];
  const buf = new Uint8Array(4096);
  for (;;) {
    const n = await c.read(buf).catch(() => null);
    if (n === null) break;
    chunks.push(buf.slice(0, n));
  }
  c.close();
  return new TextDecoder().decode(new Uint8Array(chunks.flatMap((x) => [...x])));
}

Deno.test("master proxy mode: stock ssh -O proxy and sshmux -O proxy through sshmux -M", async (t) => {
  const sshd = await startSshd({ sshdConfig: ["MaxSessions 30"] });
  const master = await startMaster("sshmux", sshd);
  const data = `${sshd.dir}/data.bin`;
  await sh(`head -c ${20 * 1024 * 1024} /dev/urandom > ${data}`);
  const clients = [["ssh", "ssh"], ["sshmux", SSHMUX]] as const;
  try {
    for (const [name, prog] of clients) {
      const px = (args: string[]) =>
        run(prog, ["-F", sshd.config, "-S", master.ctl, "-O", "proxy", ...args]);
      await t.step(`[${name}] exit codes 0/1/44`, async () => {
        const codes = await Promise.all(
          [0, 1, 44].map(async (s) => (await px(["x", `exit ${s}`])).code),
        );
        assertEquals(codes, [0, 1, 44]);
      });

      await t.step(`[${name}] 20 MiB down and up, byte-exact`, async () => {
        const copy = `${sshd.dir}/copy-${name}.bin`;
        const down = await sh(
          `'${prog}' -F ${sshd.config} -S ${master.ctl} -O proxy x 'cat ${data}' > ${copy}`,
          { timeoutMs: 120_000 },
        );
        assertEquals(down.code, 0, down.err);
        assertEquals((await run("cmp", [data, copy])).code, 0);
        const up = `${sshd.dir}/up-${name}.bin`;
        const r = await sh(
          `'${prog}' -F ${sshd.config} -S ${master.ctl} -O proxy x 'cat > ${up}' < ${data}`,
          { timeoutMs: 120_000 },
        );
        assertEquals(r.code, 0, r.err);
        assertEquals((await run("cmp", [data, up])).code, 0);
      });

      await t.step(`[${name}] -tt session through the proxy`, async () => {
        const r = await run("script", [
          "-qec",
          `'${prog}' -F ${sshd.config} -S ${master.ctl} -O proxy -tt x 'tty; exit 7'`,
          "/dev/null",
        ]);
        assertMatch(r.out, /\/dev\/pts\/\d+/);
        assertEquals(r.code, 7);
      });

      await t.step(`[${name}] -L opened by the proxy client carries data`, async () => {
        const target = textServer(`hello via -L (${name})`);
        const port = freePort();
        const child = new Deno.Command(prog, {
          args: [
            "-F",
            sshd.config,
            "-S",
            master.ctl,
            "-O",
            "proxy",
            "-L",
            `${port}:127.0.0.1:${target.port}`,
            "x",
            "sleep 20",
          ],
          stdin: "null",
          stdout: "null",
          stderr: "null",
        }).spawn();
        try {
          let got = "";
          await waitFor("-L listener", async () => {
            got = await readAllFrom(port).catch(() => "");
            return got !== "";
          }, 30_000);
          assertEquals(got, `hello via -L (${name})`);
        } finally {
          child.kill("SIGTERM");
          await child.status;
          target.close();
        }
      });

      await t.step(
        `[${name}] -R 0 opened by the proxy client: the allocated port works`,
        async () => {
          const target = textServer(`hello via -R (${name})`);
          const child = new Deno.Command(prog, {
            args: [
              "-F",
              sshd.config,
              "-o",
              "LogLevel=INFO",
              "-S",
              master.ctl,
              "-O",
              "proxy",
              "-R",
              `0:127.0.0.1:${target.port}`,
              "x",
              "sleep 20",
            ],
            stdin: "null",
            stdout: "null",
            stderr: "piped",
          }).spawn();
          const reader = child.stderr.getReader();
          try {
            let err = "";
            await waitFor("allocated port", async () => {
              const { value, done } = await reader.read();
              if (value) err += new TextDecoder().decode(value);
              return done || /Allocated port \d+/.test(err);
            }, 30_000);
            const port = Number(err.match(/Allocated port (\d+)/)?.[1]);
            assert(port > 0, err);
            assertEquals(await readAllFrom(port), `hello via -R (${name})`);
          } finally {
            child.kill("SIGTERM");
            reader.releaseLock();
            await child.stderr.cancel().catch(() => {});
            await child.status;
            target.close();
          }
        },
      );
    }

    await t.step("4 proxy and 4 passenger sessions at once, all byte-exact", async () => {
      const small = `${sshd.dir}/small.bin`;
      await sh(`head -c ${4 * 1024 * 1024} ${data} > ${small}`);
      const jobs = Array.from({ length: 8 }, (_, i) => {
        const mode = i % 2 === 0 ? "-O proxy" : "";
        const prog = i % 4 < 2 ? "ssh" : `'${SSHMUX}'`;
        const copy = `${sshd.dir}/par-${i}.bin`;
        return sh(
          `${prog} -F ${sshd.config} -S ${master.ctl} ${mode} x 'cat ${data}' > ${copy} && cmp ${data} ${copy}`,
          {
            timeoutMs: 180_000,
          },
        );
      });
      for (const r of await Promise.all(jobs)) assertEquals(r.code, 0, r.err);
    });

    await t.step(
      "a proxy client killed mid-transfer: another session goes on unharmed",
      async () => {
        const victim = new Deno.Command("ssh", {
          args: ["-F", sshd.config, "-S", master.ctl, "-O", "proxy", "x", `cat ${data}; sleep 30`],
          stdin: "null",
          stdout: "piped",
          stderr: "null",
        }).spawn();
        const copy = `${sshd.dir}/survivor.bin`;
        const survivor = sh(
          `ssh -F ${sshd.config} -S ${master.ctl} -O proxy x 'cat ${data}' | (sleep 1; cat) > ${copy}`,
          { timeoutMs: 120_000 },
        );
        const r = victim.stdout.getReader();
        await r.read();
        victim.kill("SIGKILL");
        r.releaseLock();
        await victim.stdout.cancel().catch(() => {});
        await victim.status;
        const s = await survivor;
        assertEquals(s.code, 0, s.err);
        assertEquals((await run("cmp", [data, copy])).code, 0);
        assertEquals(
          (await run("ssh", ["-F", sshd.config, "-S", master.ctl, "x", "echo alive"])).out,
          "alive\n",
        );
      },
    );

    await t.step("garbage after PROXY drops only that client", async () => {
      const c = new RawMuxClient(master.ctl);
      await c.hello();
      await c.send({ kind: "Proxy", rid: 9 });
      assertEquals(await c.read(), { kind: "ProxyOk", rid: 9 });
      // A transport-layer message (KEXINIT, type 20) in a proxy packet, then junk.
      await c.write(Uint8Array.of(0, 0, 0, 2, 0, 20, 0xde, 0xad, 0xbe, 0xef, 1, 2, 3));
      const end = Date.now() + 10_000;
      let eof = false;
      while (!eof && Date.now() < end) {
        const got = await c.sock.readSome(4096).catch(() => null);
        eof = got === null;
      }
      assert(eof, "the master kept the client");
      c.close();
      const r = await run("ssh", [
        "-F",
        sshd.config,
        "-S",
        master.ctl,
        "-O",
        "proxy",
        "x",
        "echo still-here",
      ]);
      assertEquals([r.code, r.out], [0, "still-here\n"]);
    });
  } finally {
    await master.stop();
    await sshd.stop();
  }
});
