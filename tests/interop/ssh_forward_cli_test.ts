// Interop through the command line: `sshmux -N -L/-R/-D ... x` against a real sshd, and
// ExitOnForwardFailure messages and exit codes compared with the stock ssh as the oracle.
import { assert, assertEquals, assertMatch } from "@std/assert";
import { startSshd } from "../helpers/sshd.ts";
import { run, sshmuxPath, waitFor } from "../helpers/run.ts";
import {
  bytes,
  connectFails,
  readN,
  socks5Connect,
  startEcho,
  text,
  writeAll,
} from "../helpers/forward/net_helpers.ts";
import { freePort } from "../helpers/sshd.ts";

Deno.test("cli: ExitOnForwardFailure output and exit code match stock ssh", async () => {
  const sshd = await startSshd();
  const busy = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (busy.addr as Deno.NetAddr).port;
  try {
    const cases = [
      ["-L", `127.0.0.1:${port}:127.0.0.1:1`],
      // sshd cannot bind a port our test process holds: the server refuses tcpip-forward.
      ["-R", `127.0.0.1:${port}:127.0.0.1:1`],
      ["-L", `${sshd.dir}/no/such/dir/l.sock:127.0.0.1:1`],
    ];
    for (const args of cases) {
      const argv = ["-F", sshd.config, "-o", "ExitOnForwardFailure=yes", "-N", ...args, "x"];
      const stock = await run("ssh", argv, { timeoutMs: 15_000 });
      const ours = await run(sshmuxPath(), argv, { timeoutMs: 15_000 });
      assertEquals(stock.code, 255, `stock ssh ${args.join(" ")}: ${stock.err}`);
      assertEquals(ours.code, stock.code, `sshmux ${args.join(" ")}: ${ours.err}`);
      assertEquals(ours.err, stock.err, `stderr differs for ${args.join(" ")}`);
    }
  } finally {
    busy.close();
    await sshd.stop();
  }
});

/** Collects a child's stderr in the background; `waitFor` a pattern in it. */
function stderrCollector(child: Deno.ChildProcess) {
  let buf = "";
  const done = (async () => {
    const dec = new TextDecoder();
    for await (const chunk of child.stderr) buf += dec.decode(chunk, { stream: true });
  })();
  return {
    get text() {
      return buf;
    },
    done,
  };
}

Deno.test("cli: sshmux -N -L (tcp, unix) -R 0 -D serves forwards, and they close when it exits", async () => {
  const sshd = await startSshd();
  const echo = startEcho();
  const lport = freePort();
  const dport = freePort();
  const sock = `${sshd.dir}/cli-l.sock`;
  const child = new Deno.Command(sshmuxPath(), {
    args: [
      "-F",
      sshd.config,
      "-o",
      "LogLevel=INFO",
      "-N",
      "-L",
      `127.0.0.1:${lport}:127.0.0.1:${echo.port}`,
      "-L",
      `${sock}:127.0.0.1:${echo.port}`,
      "-R",
      `0:127.0.0.1:${echo.port}`,
      "-D",
      `127.0.0.1:${dport}`,
      "x",
    ],
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const err = stderrCollector(child);
  try {
    const re = new RegExp(
      `Allocated port (\\d+) for remote forward to 127\\.0\\.0\\.1:${echo.port}\r\n`,
    );
    await waitFor("the allocated port line", () => re.test(err.text), 20_000);
    const rport = Number(re.exec(err.text)![1]);
    await waitFor("-L listener", async () => !(await connectFails(lport)));

    const c = await Deno.connect({ hostname: "127.0.0.1", port: lport });
    await writeAll(c, bytes("cli -L"));
    assertEquals(text(await readN(c, 6)), "cli -L");
    c.close();
    const u = await Deno.connect({ transport: "unix", path: sock });
    await writeAll(u, bytes("cli unix"));
    assertEquals(text(await readN(u, 8)), "cli unix");
    u.close();
    const r = await Deno.connect({ hostname: "127.0.0.1", port: rport });
    await writeAll(r, bytes("cli -R"));
    assertEquals(text(await readN(r, 6)), "cli -R");
    r.close();
    const d = await Deno.connect({ hostname: "127.0.0.1", port: dport });
    assertEquals(await socks5Connect(d, "127.0.0.1", echo.port), 0);
    await writeAll(d, bytes("cli -D"));
    assertEquals(text(await readN(d, 6)), "cli -D");
    d.close();

    child.kill("SIGTERM");
    await child.status;
    assert(await connectFails(lport), "-L port open after exit");
    assert(await connectFails(dport), "-D port open after exit");
    await waitFor("sshd to drop the -R listener", () => connectFails(rport), 5000);
    let unixRefused = false;
    try {
      (await Deno.connect({ transport: "unix", path: sock })).close();
    } catch {
      unixRefused = true;
    }
    assert(unixRefused, "unix -L socket still accepts after exit");
    assertMatch(err.text, /^Allocated port \d+ for remote forward/m);
  } finally {
    try {
      child.kill("SIGKILL");
    } catch { /* exited */ }
    await child.status;
    await err.done.catch(() => {});
    echo.close();
    await sshd.stop();
  }
});
