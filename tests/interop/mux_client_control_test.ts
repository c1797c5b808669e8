// Master lifecycle commands and failure paths of sshmux as a mux client against real OpenSSH:
// -O stop with a session in flight, -O exit (also killing a session), no/garbage master at the
// ControlPath, a master without the `info` extension, and -O proxy.
import { assertEquals, assertMatch } from "@std/assert";
import { startSshd } from "../helpers/sshd.ts";
import { startStockMaster } from "../helpers/stock_master.ts";
import { run, sh, sshmuxPath, waitFor } from "../helpers/run.ts";

const SSHMUX = sshmuxPath();

function exists(p: string): boolean {
  try {
    Deno.lstatSync(p);
    return true;
  } catch {
    return false;
  }
}
function alive(pid: number): boolean {
  return exists(`/proc/${pid}`) &&
    !Deno.readTextFileSync(`/proc/${pid}/stat`).split(") ")[1].startsWith("Z");
}

Deno.test("mux client control commands and failures against stock OpenSSH", async (t) => {
  const sshd = await startSshd();
  const mux = (ctl: string, args: string[]) => run(SSHMUX, ["-F", sshd.config, "-S", ctl, ...args]);
  try {
    await t.step("-O stop with a session in flight: it finishes, the socket goes", async () => {
      const m = await startStockMaster(sshd);
      const marker = `${sshd.dir}/stop-started`;
      const session = mux(m.ctl, ["x", `touch ${marker}; sleep 1; echo done; exit 5`]);
      await waitFor("session running", () => exists(marker));
      const r = await mux(m.ctl, ["-O", "stop", "x"]);
      assertEquals(r.code, 0, r.err);
      assertEquals(r.err, "Stop listening request sent.\r\n");
      assertEquals(exists(m.ctl), false, "control socket removed right away");
      const s = await session;
      assertEquals(s.out, "done\n");
      assertEquals(s.code, 5);
      // A -N master with no mux listener exits once its last session is gone.
      await waitFor("master exit", () => !alive(m.pid));
      await m.stop();
    });

    await t.step("-O exit: master exits, socket goes, a session in flight gets 255", async () => {
      const m = await startStockMaster(sshd);
      const marker = `${sshd.dir}/exit-started`;
      const session = mux(m.ctl, ["x", `touch ${marker}; sleep 5`]);
      await waitFor("session running", () => exists(marker));
      const r = await mux(m.ctl, ["-O", "exit", "x"]);
      assertEquals(r.code, 0, r.err);
      assertEquals(r.err, "Exit request sent.\r\n");
      const s = await session;
      assertEquals(s.code, 255);
      await waitFor("master exit", () => !alive(m.pid));
      await waitFor("socket removed", () => !exists(m.ctl));
      await m.stop();
    });

    await t.step("-q -O exit prints nothing", async () => {
      const m = await startStockMaster(sshd);
      const r = await mux(m.ctl, ["-q", "-O", "exit", "x"]);
      assertEquals(r.code, 0);
      assertEquals(r.err, "");
      await waitFor("master exit", () => !alive(m.pid));
      await m.stop();
    });

    await t.step("no master at the path: ssh's connect error, 255", async () => {
      const missing = `${sshd.dir}/no-such-ctl`;
      const r = await mux(missing, ["-O", "check", "x"]);
      assertEquals(r.code, 255);
      assertEquals(r.err, `Control socket connect(${missing}): No such file or directory\r\n`);
      const file = `${sshd.dir}/plain-file`;
      Deno.writeTextFileSync(file, "not a socket");
      const g = await mux(file, ["-O", "check", "x"]);
      assertEquals(g.code, 255);
      assertEquals(g.err, `Control socket connect(${file}): Connection refused\r\n`);
      assertEquals(exists(file), true, "-O never unlinks what is at the path");
      const long = `/tmp/${"a".repeat(120)}`;
      const l = await mux(long, ["-O", "check", "x"]);
      assertEquals(l.code, 255);
      assertEquals(l.err, `ControlPath too long ('${long}' >= 108 bytes)\r\n`);
      const none = await run(SSHMUX, ["-F", sshd.config, "-O", "check", "x"]);
      assertEquals(none.code, 255);
      assertEquals(none.err, `No ControlPath specified for "-O" command\r\n`);
    });

    await t.step(
      "stale socket: ControlMaster no keeps it and says so, auto unlinks it; both connect directly",
      async () => {
        const stale = `${sshd.dir}/stale.sock`;
        const bindStale = () =>
          run("python3", ["-c", `import socket; socket.socket(socket.AF_UNIX).bind("${stale}")`]);
        await bindStale();
        const no = await mux(stale, ["x", "echo direct; exit 7"]);
        assertEquals([no.out, no.code], ["direct\n", 7], no.err);
        assertEquals(no.err, `Control socket connect(${stale}): Connection refused\r\n`);
        assertEquals(exists(stale), true);
        const auto = await mux(stale, ["-o", "ControlMaster=auto", "x", "echo direct; exit 7"]);
        assertEquals([auto.out, auto.code, auto.err], ["direct\n", 7, ""]);
        assertEquals(exists(stale), false, "auto unlinks a stale socket");
      },
    );

    await t.step("a socket that speaks garbage: hello fails, clear error, 255", async () => {
      const path = `${sshd.dir}/garbage.sock`;
      const l = Deno.listen({ transport: "unix", path });
      const served = (async () => {
        for await (const c of l) {
          await c.write(new TextEncoder().encode("HTTP/1.0 400 nonsense\r\n\r\n")).catch(() => {});
          c.close();
        }
      })().catch(() => {});
      try {
        const r = await mux(path, ["-O", "check", "x"]);
        assertEquals(r.code, 255);
        assertMatch(r.err, /hello/i);
        assertEquals(r.err.split("\n").filter((x) => x).length, 1, r.err);
      } finally {
        l.close();
        await served;
      }
    });

    const m = await startStockMaster(sshd);
    try {
      await t.step("-O conninfo against a 9.2 master (no info extension)", async () => {
        const r = await mux(m.ctl, ["-O", "conninfo", "x"]);
        assertEquals(r.code, 255);
        assertEquals(r.err, "mux server does not support info request\r\n");
      });

      await t.step(
        "-M on a path another master holds: ssh's message, then a direct session",
        async () => {
          const line = `ControlSocket ${m.ctl} already exists, disabling multiplexing\r\n`;
          const stock = await run("ssh", [
            "-F",
            sshd.config,
            "-M",
            "-S",
            m.ctl,
            "x",
            "echo direct; exit 3",
          ]);
          assertEquals([stock.code, stock.out, stock.err], [3, "direct\n", line]);
          const r = await mux(m.ctl, ["-M", "x", "echo direct; exit 3"]);
          assertEquals([r.code, r.out, r.err], [3, "direct\n", line]);
        },
      );

      await t.step("-O proxy: exit codes and a byte-exact download", async () => {
        for (const s of [0, 1, 4, 5, 44]) {
          const r = await mux(m.ctl, ["-O", "proxy", "x", `exit ${s}`]);
          assertEquals(r.code, s, r.err);
        }
        const data = `${sshd.dir}/proxy-data.bin`;
        const copy = `${sshd.dir}/proxy-copy.bin`;
        await sh(`head -c ${20 * 1024 * 1024} /dev/urandom > ${data}`);
        const r = await sh(
          `'${SSHMUX}' -F ${sshd.config} -S ${m.ctl} -O proxy x 'cat ${data}' > ${copy}`,
        );
        assertEquals(r.code, 0, r.err);
        assertEquals((await run("cmp", [data, copy])).code, 0);
      });
    } finally {
      await m.stop();
    }
  } finally {
    await sshd.stop();
  }
});
