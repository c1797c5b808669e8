// Throughput of forwarded connections, sshmux against stock ssh, through a throwaway sshd:
//   .tools/deno run -A --config deno.json scripts/bench-forward.ts [MiB] [cipher]
// For each tool and for -L and -R it pushes MiB up (to a counting sink) and pulls MiB down (from
// a source) through one forwarded TCP connection and prints MiB/s. Not run by the test suite.

import { startSshd } from "../tests/helpers/sshd.ts";
import { sshmuxPath, waitFor } from "../tests/helpers/run.ts";

const mib = Number(Deno.args[0] ?? 256);
const cipher = Deno.args[1];
const chunk = new Uint8Array(1 << 20);
crypto.getRandomValues(chunk.subarray(0, 65536));

function serve(handler: (c: Deno.Conn) => Promise<void>): { port: number; close(): void } {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  (async () => {
    for await (const c of l) handler(c).catch(() => {}).finally(() => c.close());
  })().catch(() => {});
  return { port: (l.addr as Deno.NetAddr).port, close: () => l.close() };
}

async function writeMiB(c: Deno.Conn, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    let off = 0;
    while (off < chunk.length) off += await c.write(chunk.subarray(off));
  }
}

async function drain(c: Deno.Conn): Promise<number> {
  const buf = new Uint8Array(1 << 18);
  let n = 0;
  for (;;) {
    const r = await c.read(buf);
    if (r === null) return n;
    n += r;
  }
}

const sink = serve(async (c) => {
  const n = await drain(c);
  await c.write(new TextEncoder().encode(String(n)));
});
const source = serve((c) => writeMiB(c, mib));
const sshd = await startSshd();

async function measure(cmd: string, flag: "-L" | "-R", target: number, up: boolean) {
  const probe = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (probe.addr as Deno.NetAddr).port;
  probe.close();
  const child = new Deno.Command(cmd, {
    args: [
      "-F",
      sshd.config,
      ...(cipher ? ["-o", `Ciphers=${cipher}`] : []),
      "-N",
      flag,
      `127.0.0.1:${port}:127.0.0.1:${target}`,
      "x",
    ],
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  try {
    // -R: the port is open on the server once its tcpip-forward reply went out.
    await waitFor("forward listening", async () => {
      try {
        (await Deno.connect({ hostname: "127.0.0.1", port })).close();
        return true;
      } catch {
        return false;
      }
    });
    const c = await Deno.connect({ hostname: "127.0.0.1", port });
    const t0 = performance.now();
    let bytes: number;
    if (up) {
      await writeMiB(c, mib);
      await c.closeWrite();
      const reply = new Uint8Array(32);
      const n = await c.read(reply);
      bytes = Number(new TextDecoder().decode(reply.subarray(0, n ?? 0)));
    } else {
      bytes = await drain(c);
    }
    const s = (performance.now() - t0) / 1000;
    c.close();
    return `${(bytes / 1048576 / s).toFixed(0)} MiB/s`;
  } finally {
    child.kill("SIGTERM");
    await child.status;
  }
}

console.log(`${mib} MiB per transfer, cipher ${cipher ?? "default"}`);
for (const [name, cmd] of [["ssh", "ssh"], ["sshmux", sshmuxPath()]]) {
  for (const flag of ["-L", "-R"] as const) {
    const up = await measure(cmd, flag, sink.port, true);
    const down = await measure(cmd, flag, source.port, false);
    console.log(`${name.padEnd(6)} ${flag} up ${up.padStart(10)}  down ${down.padStart(10)}`);
  }
}
sink.close();
source.close();
await sshd.stop();
