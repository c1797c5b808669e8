// Transport-only throughput: our SshTransport against a throwaway sshd, with a minimal raw
// session (publickey auth, one exec channel) so only the transport and crypto are measured.
// Prints MB/s and this process's CPU seconds (all threads) per cipher and direction.
// Usage: .tools/deno run -A scripts/bench-transport.ts [MiB=200] [cipher...]

import { cpuUsage } from "node:process";
import { startSshd } from "../tests/helpers/sshd.ts";
import { connectTransport, type SshTransport } from "../lib/ssh/transport/mod.ts";
import { loadPrivateKey } from "../lib/ssh/keys/private_key.ts";
import { WireReader } from "../lib/wire/reader.ts";
import { WireWriter } from "../lib/wire/writer.ts";

const mib = Number(Deno.args[0] ?? "200");
const ciphers = Deno.args.length > 1
  ? Deno.args.slice(1)
  : ["chacha20-poly1305@openssh.com", "aes128-gcm@openssh.com", "aes128-ctr"];
const WINDOW = 16 << 20;

async function recv(t: SshTransport, type: number): Promise<WireReader> {
  for (;;) {
    const p = await t.receive();
    if (!p) throw new Error("closed");
    if (p[0] === type) return new WireReader(p.subarray(1));
  }
}

async function open(t: SshTransport, cmd: string): Promise<{ remote: number; window: number }> {
  await t.send(new WireWriter(64).u8(90).string("session").u32(0).u32(WINDOW).u32(32768).finish());
  const c = await recv(t, 91);
  c.u32();
  const remote = c.u32();
  const window = c.u32();
  await t.send(
    new WireWriter(64).u8(98).u32(remote).string("exec").bool(false).string(cmd).finish(),
  );
  return { remote, window };
}

async function down(t: SshTransport, bytes: number): Promise<number> {
  const t0 = performance.now();
  const { remote } = await open(t, `head -c ${bytes} /dev/zero`);
  let consumed = 0;
  for (;;) {
    const p = await t.receive();
    if (!p) throw new Error("closed");
    if (p[0] === 94) {
      consumed += p.length - 9;
      if (consumed > WINDOW / 2) {
        t.send(new WireWriter(16).u8(93).u32(remote).u32(consumed).finish());
        consumed = 0;
      }
    } else if (p[0] === 97) break;
  }
  return performance.now() - t0;
}

async function up(t: SshTransport, bytes: number): Promise<number> {
  const t0 = performance.now();
  let { remote, window } = await open(t, "cat > /dev/null");
  const chunk = new Uint8Array(32768);
  let next = t.receive();
  for (let sent = 0; sent < bytes; sent += chunk.length) {
    while (window < chunk.length) {
      const p = await next;
      if (!p) throw new Error("closed");
      next = t.receive();
      if (p[0] === 93) window += new WireReader(p.subarray(5)).u32();
    }
    await t.send(new WireWriter(chunk.length + 16).u8(94).u32(remote).string(chunk).finish());
    window -= chunk.length;
  }
  await t.send(new WireWriter(8).u8(96).u32(remote).finish());
  for (;;) {
    const p = await next;
    if (!p || p[0] === 97) break;
    next = t.receive();
  }
  return performance.now() - t0;
}

const sshd = await startSshd();
try {
  const signer = await loadPrivateKey(Deno.readTextFileSync(sshd.clientKey));
  for (const cipher of ciphers) {
    for (const dir of ["down", "up"] as const) {
      const t = await connectTransport({
        host: "127.0.0.1",
        port: sshd.port,
        ciphers: cipher,
        verifyHostKey: () => Promise.resolve(),
      });
      await t.send(new WireWriter(32).u8(5).string("ssh-userauth").finish());
      await recv(t, 6);
      const alg = signer.algorithms[0];
      const body = new WireWriter(256).u8(50).string(Deno.env.get("USER") ?? "root")
        .string("ssh-connection").string("publickey").bool(true).string(alg)
        .string(signer.publicKeyBlob).finish();
      const sig = await signer.sign(
        alg,
        new WireWriter(512).string(t.sessionId).raw(body).finish(),
      );
      await t.send(new WireWriter(512).raw(body).string(sig).finish());
      await recv(t, 52);
      const bytes = mib * 1024 * 1024;
      const cpu0 = cpuUsage();
      const ms = dir === "down" ? await down(t, bytes) : await up(t, bytes);
      const cpu = cpuUsage(cpu0);
      const cpuS = (cpu.user + cpu.system) / 1e6;
      console.log(
        `${cipher.padEnd(32)} ${dir.padEnd(4)} ${mib} MiB: ${
          (bytes / ms / 1000).toFixed(0)
        } MB/s, ` +
          `${cpuS.toFixed(2)} CPU s (${(cpuS / (mib / 1024)).toFixed(2)} s/GiB, all threads)`,
      );
      await t.disconnect(11, "done");
    }
  }
} finally {
  await sshd.stop();
}
