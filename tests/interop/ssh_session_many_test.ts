// Many sessions at once on one connection to a real sshd, through the library API
// (connectSsh + Session): every channel carries its own data and exit status; a session beyond
// the server's MaxSessions is refused with a typed ChannelOpenError, and the others go on.

import { assert, assertEquals, assertRejects } from "@std/assert";
import { parseArgs } from "../../lib/config/argv.ts";
import { resolveOptions } from "../../lib/config/resolve.ts";
import { ChannelOpenError } from "../../lib/ssh/connection/errors.ts";
import { connectSsh } from "../../lib/ssh/client.ts";
import { Session } from "../../lib/ssh/session/session.ts";
import { startSshd } from "../helpers/sshd.ts";

async function drain(read: () => Promise<Uint8Array | null>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  let n = 0;
  for (;;) {
    const c = await read();
    if (c === null) break;
    parts.push(c.slice());
    n += c.length;
  }
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

Deno.test("12 concurrent sessions on one connection; the 13th refused by MaxSessions", async () => {
  const sshd = await startSshd({ sshdConfig: ["MaxSessions 12"] });
  const opts = resolveOptions(parseArgs(["-F", sshd.config, "x"]));
  const client = await connectSsh(opts);
  try {
    const n = 12;
    const sessions = await Promise.all(
      Array.from({ length: n }, (_, i) =>
        Session.open(client.connection, {
          kind: "exec",
          // Each session streams 1 MB of its own digit, some stderr, and its own status.
          command: `yes ${i % 10} | head -c 1000000; echo err-${i} >&2; exit ${i + 1}`,
        })),
    );
    assertEquals(client.connection.channelCount(), n);
    const extra = await assertRejects(
      () => Session.open(client.connection, { kind: "exec", command: "true" }),
      ChannelOpenError,
    );
    assert(extra.reasonCode > 0);
    const results = await Promise.all(sessions.map(async (s) => {
      const [out, err] = await Promise.all([
        drain(() => s.channel.read()),
        drain(() => s.channel.readExtended()),
      ]);
      return { out, err: new TextDecoder().decode(err), exit: await s.exit };
    }));
    results.forEach((r, i) => {
      assertEquals(r.exit.status, i + 1);
      assertEquals(r.err, `err-${i}\n`);
      assertEquals(r.out.length, 1_000_000);
      const digit = 0x30 + i % 10;
      assert(r.out.every((b, j) => b === (j % 2 === 0 ? digit : 0x0a)), `session ${i} data`);
    });
    assertEquals(client.connection.channelCount(), 0);
  } finally {
    await client.close();
    await sshd.stop();
  }
});
