// A client whose terminal is not read (a hung terminal emulator, or a client that holds the pty
// and ignores it): the master's writes to that terminal must stall that session only. A passed
// tty stays blocking (the flag is shared with the client), and a blocking write to a full
// terminal had the whole master wait inside the kernel: -O check and every other session hung
// (OpenSSH 9.2's master does the same). Once the terminal is read again, all output arrives.
// The same for a read that would block (VMIN/VTIME) and for a -W forward's terminal.
import { assert, assertEquals } from "@std/assert";
import { FdIo, fdNumber, openpty } from "../../ffi/mod.ts";
import { fdCount, run, waitFor } from "../helpers/run.ts";
import { newSessionRequest, RawMuxClient } from "../helpers/raw_mux_client.ts";
import { type Sshd, startSshd } from "../helpers/sshd.ts";
import { type Master, startMaster } from "../helpers/master.ts";

const LINE = "abcdefghijklmnopqrstuvwxy";
const LINES = 60_000;

/** -O check answers promptly while a session's terminal is stalled. */
async function assertCheckAnswers(config: string, ctl: string, when: string): Promise<void> {
  const check = await run("ssh", ["-F", config, "-S", ctl, "-O", "check", "x"], {
    timeoutMs: 8_000,
  });
  assertEquals(check.code, 0, `-O check while ${when}: ${check.err}`);
}

/** Reads the pty master until the text read so far satisfies `done` (or end of input). */
async function readPty(io: FdIo, done: (text: string) => boolean): Promise<string> {
  const buf = new Uint8Array(65536);
  const dec = new TextDecoder();
  let text = "";
  while (!done(text)) {
    const n = await io.read(buf);
    if (n === 0) break;
    text += dec.decode(buf.subarray(0, n), { stream: true });
  }
  return text;
}

interface Rig {
  sshd: Sshd;
  master: Master;
  pty: ReturnType<typeof openpty>;
  c: RawMuxClient;
}

/** Our master on a throwaway sshd, a pty and a raw control client; all gone after `body`. */
async function withRig(body: (rig: Rig) => Promise<void>): Promise<void> {
  const sshd = await startSshd();
  const master = await startMaster("sshmux", sshd);
  const pty = openpty();
  const c = new RawMuxClient(master.ctl);
  try {
    await body({ sshd, master, pty, c });
  } finally {
    c.close();
    pty.master.close();
    pty.slave.close();
    await master.stop();
    await sshd.stop();
  }
}

Deno.test("master: a terminal nobody reads stalls its own session only", () =>
  withRig(async ({ sshd, master, pty, c }) => {
    // Warm up (a session and its control connection come and go), then count the fds.
    assertEquals((await run("ssh", ["-F", sshd.config, "-S", master.ctl, "x", "true"])).code, 0);
    await new Promise((r) => setTimeout(r, 300));
    const fdsBefore = fdCount(master.pid);
    await c.hello();
    await c.send(newSessionRequest(1, `yes ${LINE} | head -n ${LINES}; echo done`));
    for (const fd of [pty.slave, pty.slave, pty.slave]) await c.sendFds([fd]);
    assertEquals(await c.read(), { kind: "SessionOpened", rid: 1, sid: 0 });
    // Far more output than a pty buffers, and nobody reading it yet.
    await new Promise((r) => setTimeout(r, 1500));
    await assertCheckAnswers(sshd.config, master.ctl, "the terminal is unread");
    const other = await run("ssh", ["-F", sshd.config, "-S", master.ctl, "x", "echo other"], {
      timeoutMs: 8_000,
    });
    assertEquals([other.code, other.out], [0, "other\n"]);
    // Now read the terminal: every line arrives (the pty turns \n into \r\n), then the exit.
    const text = await readPty(new FdIo(pty.master), (t) => t.endsWith("done\r\n"));
    assertEquals(text.replaceAll("\r\n", "\n"), `${LINE}\n`.repeat(LINES) + "done\n");
    assertEquals(await c.read(), { kind: "ExitMessage", sid: 0, exitValue: 0 });
    c.close();
    await waitFor("master fds back", () => fdCount(master.pid) <= fdsBefore, 10_000);
  }));

Deno.test("master: a terminal whose read would block stalls its own session only", () =>
  withRig(async ({ sshd, master, pty, c }) => {
    // Non-canonical with VMIN 200 and VTIME 10 s: POLLIN comes with the first byte, but a
    // blocking read then waits for 199 more or 10 s (another reader taking the input between
    // poll and read blocks it the same way, until the next keystroke).
    const slavePath = `/proc/${Deno.pid}/fd/${fdNumber(pty.slave)}`;
    const stty = await run("stty", [
      "-F",
      slavePath,
      "-icanon",
      "-echo",
      "min",
      "200",
      "time",
      "100",
    ]);
    assertEquals(stty.code, 0, stty.err);
    await c.hello();
    await c.send(newSessionRequest(1, "head -c 3; echo got"));
    for (const fd of [pty.slave, pty.slave, pty.slave]) await c.sendFds([fd]);
    assertEquals(await c.read(), { kind: "SessionOpened", rid: 1, sid: 0 });
    const io = new FdIo(pty.master);
    await io.write(new TextEncoder().encode("a"));
    await new Promise((r) => setTimeout(r, 500));
    const started = Date.now();
    const check = await run("ssh", ["-F", sshd.config, "-S", master.ctl, "-O", "check", "x"], {
      timeoutMs: 15_000,
    });
    assertEquals(check.code, 0, check.err);
    const ms = Date.now() - started;
    assert(ms < 4_000, `-O check took ${ms} ms while a terminal read was pending`);
    // The rest of the input still reaches the remote command.
    await io.write(new TextEncoder().encode("bc"));
    const text = await readPty(io, (t) => t.includes("got"));
    assertEquals(text.replaceAll("\r\n", "\n"), "abcgot\n");
    assertEquals(await c.read(), { kind: "ExitMessage", sid: 0, exitValue: 0 });
  }));

Deno.test("master: a -W whose terminal nobody reads stalls that forward only", () =>
  withRig(async ({ sshd, master, pty, c }) => {
    // A TCP service that sends far more than a pty buffers.
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const served = (async () => {
      const conn = await listener.accept();
      await conn.write(new TextEncoder().encode(`${LINE}\n`.repeat(LINES))).catch(() => {});
      conn.close();
    })();
    try {
      await c.hello();
      await c.send({
        kind: "NewStdioFwd",
        rid: 1,
        reserved: new Uint8Array(0),
        connectHost: "127.0.0.1",
        connectPort: (listener.addr as Deno.NetAddr).port,
      });
      for (const fd of [pty.slave, pty.slave]) await c.sendFds([fd]);
      assertEquals((await c.read())?.kind, "SessionOpened");
      await new Promise((r) => setTimeout(r, 1500));
      await assertCheckAnswers(sshd.config, master.ctl, "the terminal is unread");
      const want = (LINE.length + 2) * LINES; // \n becomes \r\n on the pty
      const text = await readPty(new FdIo(pty.master), (t) => t.length >= want);
      assertEquals(text.length, want);
    } finally {
      listener.close();
      await served;
    }
  }));
