// The session flow of the mux client (runMuxSession) against a scripted fake master: request
// order and fields, exit-code rules (wait for EOF after EXIT_MESSAGE, 255 without one, mod 256),
// ssh's messages and fallback on refusals, fatal protocol violations.
import { assertEquals, assertRejects } from "@std/assert";
import { socketpair, UnixSocket } from "../../ffi/mod.ts";
import { MuxClient } from "../../lib/client/mux_client.ts";
import { MuxFallback } from "../../lib/client/errors.ts";
import { runMuxSession } from "../../lib/client/session.ts";
import { parseArgs } from "../../lib/config/argv.ts";
import { resolveOptions } from "../../lib/config/resolve.ts";
import type { Options } from "../../lib/config/options.ts";
import { FatalError } from "../../lib/errors.ts";
import { captureLog } from "../../lib/log.ts";
import { readMuxFrame } from "../../lib/mux/framer.ts";
import { decodeMux } from "../../lib/mux/decode.ts";
import { encodeMux } from "../../lib/mux/encode.ts";
import type { MuxReply, MuxRequest } from "../../lib/mux/messages.ts";

const environ = { HOME: "/root", TERM: "vt220", _XXX_TEST: "blah", OTHER: "no" };

function options(args: string[]): Options {
  return resolveOptions(parseArgs(["-F", "none", ...args]), {
    home: "/root",
    user: "tester",
    uid: 0,
    hostname: "local",
    environ,
  });
}

class FakeMaster {
  constructor(readonly sock: UnixSocket) {}
  async next(): Promise<MuxRequest | null> {
    const body = await readMuxFrame((n) => this.sock.readExact(n));
    return body === null ? null : decodeMux(body, "toMaster");
  }
  send(msg: MuxReply): Promise<void> {
    return this.sock.write(encodeMux(msg));
  }
  /** ALIVE, then NEW_SESSION with its 3 fds (closed at once); returns the request. */
  async aliveAndSession(pid = 4242): Promise<MuxRequest> {
    const alive = await this.next();
    if (alive?.kind !== "AliveCheck") throw new Error(`expected ALIVE, got ${alive?.kind}`);
    await this.send({ kind: "Alive", rid: alive.rid, pid });
    const req = await this.next();
    if (req?.kind !== "NewSession") throw new Error(`expected NEW_SESSION, got ${req?.kind}`);
    for (let i = 0; i < 3; i++) (await this.sock.recvFd()).close();
    return req;
  }
}

async function setUp(): Promise<{ client: MuxClient; master: FakeMaster }> {
  const [a, b] = socketpair();
  const client = new MuxClient(new UnixSocket(a));
  const master = new FakeMaster(new UnixSocket(b));
  await Promise.all([
    client.hello(),
    (async () => {
      await master.next();
      await master.send({ kind: "Hello", version: 4, extensions: [] });
    })(),
  ]);
  return { client, master };
}

Deno.test("session: forwards, ALIVE, NEW_SESSION fields, exit value mod 256 after EOF", async () => {
  const { client, master } = await setUp();
  const opts = options([
    "-T",
    "-o",
    "SendEnv=_XXX_*",
    "-o",
    "SetEnv=A=1",
    "-L",
    "127.0.0.1:5000:127.0.0.1:22",
    "x",
    "echo",
    "hi",
  ]);
  let settled = false;
  const run = runMuxSession(client, opts, environ).finally(() => settled = true);
  const fwd = await master.next();
  assertEquals(fwd, {
    kind: "OpenFwd",
    rid: 0,
    fwdType: 1,
    listenHost: "127.0.0.1",
    listenPort: 5000,
    connectHost: "127.0.0.1",
    connectPort: 22,
  });
  await master.send({ kind: "Ok", rid: 0 });
  const req = await master.aliveAndSession();
  if (req.kind !== "NewSession") throw new Error("unreachable");
  assertEquals(req.rid, 2);
  assertEquals(req.command, "echo hi");
  assertEquals(req.env, ["_XXX_TEST=blah", "A=1"]);
  assertEquals(req.term, "vt220");
  assertEquals([req.wantTty, req.wantX11, req.wantAgent, req.subsystem], [
    false,
    false,
    false,
    false,
  ]);
  assertEquals(req.escapeChar, 0x7e);
  await master.send({ kind: "SessionOpened", rid: 2, sid: 5 });
  await master.send({ kind: "ExitMessage", sid: 5, exitValue: 300 });
  // EXIT_MESSAGE alone does not end the client: output may still be in flight.
  await new Promise((r) => setTimeout(r, 150));
  assertEquals(settled, false);
  master.sock.close();
  assertEquals(await run, 300 & 0xff);
});

Deno.test("session: -s sets the subsystem flag, -e none the escape value, -n passes /dev/null", async () => {
  const { client, master } = await setUp();
  const opts = options(["-T", "-n", "-e", "none", "-s", "x", "sftp"]);
  const run = runMuxSession(client, opts, environ);
  const req = await master.aliveAndSession();
  if (req.kind !== "NewSession") throw new Error("unreachable");
  assertEquals([req.subsystem, req.escapeChar, req.command], [true, 0xffffffff, "sftp"]);
  await master.send({ kind: "SessionOpened", rid: 1, sid: 1 });
  await master.send({ kind: "ExitMessage", sid: 1, exitValue: 0 });
  master.sock.close();
  assertEquals(await run, 0);
});

Deno.test("session: EOF without EXIT_MESSAGE exits 255; TTY_ALLOC_FAIL is tolerated", async () => {
  const { client, master } = await setUp();
  const run = runMuxSession(client, options(["-T", "x", "true"]), environ);
  await master.aliveAndSession();
  await master.send({ kind: "SessionOpened", rid: 1, sid: 3 });
  await master.send({ kind: "TtyAllocFail", sid: 3 });
  master.sock.close();
  assertEquals(await run, 255);
});

Deno.test("session: refusals print ssh's messages and fall back to a direct connection", async () => {
  for (
    const [reply, text] of [
      [
        { kind: "PermissionDenied", rid: 1, reason: "nope" },
        "Master refused session request: nope",
      ],
      [
        { kind: "Failure", rid: 1, reason: "Session open refused by peer" },
        "mux_client_request_session: session request failed: Session open refused by peer",
      ],
    ] as const
  ) {
    const lines: string[] = [];
    const restore = captureLog(lines);
    try {
      const { client, master } = await setUp();
      const run = runMuxSession(client, options(["-T", "x", "true"]), environ);
      await master.aliveAndSession();
      await master.send(reply);
      await assertRejects(() => run, MuxFallback);
      assertEquals(lines, [`${text}\r\n`]);
      master.sock.close();
    } finally {
      restore();
    }
  }
});

Deno.test("session: a refused -L is reported and falls back (no session is requested)", async () => {
  const lines: string[] = [];
  const restore = captureLog(lines);
  try {
    const { client, master } = await setUp();
    const opts = options(["-T", "-L", "5000:h:22", "x", "true"]);
    const run = runMuxSession(client, opts, environ);
    await master.next();
    await master.send({ kind: "Failure", rid: 0, reason: "Port forwarding failed" });
    await assertRejects(() => run, MuxFallback);
    assertEquals(lines, [
      "mux_client_forward: forwarding request failed: Port forwarding failed\r\n",
      "muxclient: master forward request failed\r\n",
    ]);
    master.sock.close();
  } finally {
    restore();
  }
});

Deno.test("session: a second EXIT_MESSAGE or a wrong session id is fatal, in ssh's words", async () => {
  for (
    const [msgs, text] of [
      [[{ kind: "ExitMessage", sid: 7, exitValue: 1 }, {
        kind: "ExitMessage",
        sid: 7,
        exitValue: 2,
      }], "mux_client_request_session: exitval sent twice"],
      [
        [{ kind: "ExitMessage", sid: 8, exitValue: 1 }],
        "mux_client_request_session: exit on unknown session: my id 7 theirs 8",
      ],
      [
        [{ kind: "TtyAllocFail", sid: 9 }],
        "mux_client_request_session: tty alloc fail on unknown session: my id 7 theirs 9",
      ],
      [
        [{ kind: "Failure", rid: 9, reason: "boom" }],
        "mux_client_request_session: master returned error: boom",
      ],
    ] as const
  ) {
    const { client, master } = await setUp();
    const run = runMuxSession(client, options(["-T", "x", "true"]), environ);
    await master.aliveAndSession();
    await master.send({ kind: "SessionOpened", rid: 1, sid: 7 });
    for (const m of msgs) await master.send(m as MuxReply);
    await assertRejects(() => run, FatalError, text);
    master.sock.close();
  }
});
