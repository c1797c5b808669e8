// sshmux against hostile servers, side by side with the stock ssh on the same bytes: broken
// banners end at once with ssh's reason, a server gone silent after its banner or its KEXINIT
// is bounded by ServerAliveInterval × CountMax, a silent one by ConnectTimeout, and text from
// the server (version, DISCONNECT) reaches the terminal escaped exactly as ssh escapes it.

import { assert, assertEquals, assertMatch } from "@std/assert";
import { WireWriter } from "../../lib/wire/writer.ts";
import {
  assertClean,
  both,
  bytesOf,
  clientArgs,
  concat,
  hostileServer,
  plainPacket,
  serverKexInit,
  VERSION_LINE,
} from "../helpers/hostile.ts";

interface Case {
  name: string;
  bytes: Uint8Array;
  args?: string[];
  /** Both stderrs must match each of these. */
  says: RegExp[];
  /**
   * Ours must end within this (ssh's own time is reported on failure). Generous: the point is
   * "no hang"; a loaded 2-core machine can take seconds just to start Deno.
   */
  boundMs: number;
}

const alive = ["-o", "ServerAliveInterval=1", "-o", "ServerAliveCountMax=2"];
const timedOut = /Connection to 127\.0\.0\.1 port \d+ timed out/;

const cases: Case[] = [
  {
    name: "NUL in the version line",
    bytes: bytesOf("SSH-2.0-Op\x1ben\x00SSH\r\n"),
    says: [
      /kex_exchange_identification: banner line contains invalid characters/,
      /banner exchange: Connection to 127\.0\.0\.1 port \d+: invalid format/,
    ],
    boundMs: 30_000,
  },
  {
    name: "a CR inside a pre-banner line",
    bytes: bytesOf("hello\rworld\r\nSSH-2.0-x\r\n"),
    says: [/banner line contains invalid characters/],
    boundMs: 30_000,
  },
  {
    name: "a pre-banner line over 8 KiB",
    bytes: bytesOf("x".repeat(9000) + "\r\n"),
    says: [/kex_exchange_identification: banner line too long/, /invalid format/],
    boundMs: 30_000,
  },
  {
    name: "1100 lines and no identification",
    bytes: bytesOf("junk\r\n".repeat(1100)),
    says: [/No SSH version received in first 1024 lines from server/, /invalid format/],
    boundMs: 30_000,
  },
  {
    name: "silent after its version line (ServerAlive 1 × 2)",
    bytes: VERSION_LINE,
    args: alive,
    says: [timedOut],
    boundMs: 40_000,
  },
  {
    name: "silent after its KEXINIT (ServerAlive 1 × 2)",
    bytes: concat(VERSION_LINE, plainPacket(serverKexInit())),
    args: alive,
    says: [timedOut],
    boundMs: 40_000,
  },
  {
    name: "silent from the start (ConnectTimeout 2)",
    bytes: new Uint8Array(0),
    args: ["-o", "ConnectTimeout=2"],
    says: [/Connection timed out during banner exchange/, timedOut],
    boundMs: 40_000,
  },
  {
    // ssh 9.2 accepts an ESC in the version; at -v it shows it escaped, then times out.
    name: "ESC in the version line, at -v",
    bytes: bytesOf("SSH-2.0-Op\x1b[31menSSH\r\n"),
    args: ["-v", ...alive],
    says: [/remote software version Op\\033\[31menSSH/, timedOut],
    boundMs: 40_000,
  },
  {
    name: "DISCONNECT with terminal escapes in its text",
    bytes: concat(
      VERSION_LINE,
      plainPacket(
        new WireWriter(64).u8(1).u32(2).string("go \x1b]0;owned\x07\x1b[31maway").string("")
          .finish(),
      ),
    ),
    says: [
      // BEL stays raw: ssh's VIS_SAFE leaves \a, \b and \r alone and escapes ESC.
      // deno-lint-ignore no-control-regex
      /Received disconnect from 127\.0\.0\.1 port \d+:2: go \\033\]0;owned\x07\\033\[31maway/,
    ],
    boundMs: 30_000,
  },
];

Deno.test("hostile servers: sshmux ends like ssh (status, reason, bound), text escaped", async (t) => {
  for (const c of cases) {
    await t.step(c.name, async () => {
      const server = hostileServer(c.bytes);
      try {
        const args = [...clientArgs(server.port), ...(c.args ?? []), "127.0.0.1", "true"];
        const { ssh, ours } = await both(args);
        const ctx =
          `${c.name}\nssh (${ssh.ms} ms): ${ssh.err}\nsshmux (${ours.ms} ms): ${ours.err}`;
        assertEquals(ssh.code, 255, ctx);
        assertEquals(ours.code, ssh.code, ctx);
        assert(ours.ms < c.boundMs, `sshmux took ${ours.ms} ms: ${ctx}`);
        for (const re of c.says) {
          assertMatch(ssh.err, re, `ssh: ${ctx}`);
          assertMatch(ours.err, re, `sshmux: ${ctx}`);
        }
        assert(!ssh.err.includes("\x1b"), `ssh printed a raw ESC: ${ctx}`);
        assertClean(ours, c.name);
      } finally {
        await server.stop();
      }
    });
  }
});
