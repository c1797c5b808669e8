// -W over mux (runMuxStdioForward) against a scripted master: ALIVE, NEW_STDIO_FWD with a u32
// port and two fds, exit 0 once the master closes; refusals are fatal with ssh's messages and
// any message after SESSION_OPENED is a violation.
import { assertEquals, assertRejects } from "@std/assert";
import { socketpair, UnixSocket } from "../../ffi/mod.ts";
import { MuxClient } from "../../lib/client/mux_client.ts";
import { runMuxStdioForward } from "../../lib/client/stdio_forward.ts";
import { parseArgs } from "../../lib/config/argv.ts";
import { resolveOptions } from "../../lib/config/resolve.ts";
import { FatalError } from "../../lib/errors.ts";
import { readMuxFrame } from "../../lib/mux/framer.ts";
import { decodeMux } from "../../lib/mux/decode.ts";
import { encodeMux } from "../../lib/mux/encode.ts";
import type { MuxReply } from "../../lib/mux/messages.ts";

const env = { home: "/root", user: "t", uid: 0, hostname: "l", environ: {} };

async function setUp(w: string) {
  const [a, b] = socketpair();
  const client = new MuxClient(new UnixSocket(a));
  const m = new UnixSocket(b);
  const next = async () => {
    const body = await readMuxFrame((n) => m.readExact(n));
    return body === null ? null : decodeMux(body, "toMaster");
  };
  const send = (msg: MuxReply) => m.write(encodeMux(msg));
  await Promise.all([
    client.hello(),
    (async () => {
      await next();
      await send({ kind: "Hello", version: 4, extensions: [] });
    })(),
  ]);
  const opts = resolveOptions(parseArgs(["-F", "none", "-W", w, "x"]), env);
  return { client, m, next, send, opts };
}

Deno.test("-W: ALIVE, NEW_STDIO_FWD (u32 port) + 2 fds, exit 0 when the master closes", async () => {
  const { client, m, next, send, opts } = await setUp("127.0.0.1:2222");
  const run = runMuxStdioForward(client, opts);
  assertEquals(await next(), { kind: "AliveCheck", rid: 0 });
  await send({ kind: "Alive", rid: 0, pid: 99 });
  const req = await next();
  assertEquals(req, {
    kind: "NewStdioFwd",
    rid: 1,
    reserved: new Uint8Array(0),
    connectHost: "127.0.0.1",
    connectPort: 2222,
  });
  (await m.recvFd()).close();
  (await m.recvFd()).close();
  await send({ kind: "SessionOpened", rid: 1, sid: 4 });
  m.close();
  assertEquals(await run, 0);
});

Deno.test("-W: a unix socket path is sent with PORT_STREAMLOCAL", async () => {
  const { client, m, next, send, opts } = await setUp("/run/some.sock");
  const run = runMuxStdioForward(client, opts);
  await next();
  await send({ kind: "Alive", rid: 0, pid: 99 });
  const req = await next();
  assertEquals(req?.kind === "NewStdioFwd" && [req.connectHost, req.connectPort], [
    "/run/some.sock",
    0xfffffffe,
  ]);
  m.close();
  await assertRejects(() => run, FatalError);
});

Deno.test("-W: refusals and unexpected messages are fatal with ssh's texts", async () => {
  const cases: [MuxReply[], string][] = [
    [
      [{ kind: "PermissionDenied", rid: 1, reason: "no" }],
      "Master refused stdio forwarding request: no",
    ],
    [
      [{ kind: "Failure", rid: 1, reason: "Session open refused by peer" }],
      "Stdio forwarding request failed: Session open refused by peer",
    ],
    [
      [{ kind: "SessionOpened", rid: 1, sid: 2 }, { kind: "ExitMessage", sid: 2, exitValue: 0 }],
      "unexpected message",
    ],
  ];
  for (const [replies, text] of cases) {
    const { client, m, next, send, opts } = await setUp("h:1");
    const run = runMuxStdioForward(client, opts);
    await next();
    await send({ kind: "Alive", rid: 0, pid: 99 });
    await next();
    (await m.recvFd()).close();
    (await m.recvFd()).close();
    for (const r of replies) await send(r);
    await assertRejects(() => run, FatalError, text);
    m.close();
  }
});
