// AF_UNIX listen/connect/accept: OpenSSH's atomic socket creation, errors, peer uid.
import { assert, assertEquals, assertThrows } from "@std/assert";
import {
  acceptUnix,
  connectUnix,
  getuid,
  listenUnix,
  MAX_SUN_PATH,
  peerUid,
  SysError,
  TEMP_SUFFIX_LEN,
  UnixListener,
  UnixSocket,
  unlinkPath,
} from "../../ffi/mod.ts";
import { reactorIdle } from "../../ffi/reactor.ts";
import { getStatusFlags, isCloexec } from "../../ffi/fd_flags.ts";
import { liveFd } from "../../ffi/raw_fd.ts";
import { abi } from "../../ffi/abi/mod.ts";

const enc = new TextEncoder();

function sysCode(fn: () => unknown): string {
  const e = assertThrows(fn, SysError);
  return e.code;
}

Deno.test("ffi unix: listenUnix makes a 0600 socket, leaves no temp name, refuses an existing path", async () => {
  const dir = Deno.makeTempDirSync({ prefix: "ffi-unix-" });
  try {
    const path = `${dir}/ctl`;
    const listener = listenUnix(path);
    const st = Deno.lstatSync(path);
    assert(st.isSocket, "a socket at the path");
    assertEquals(st.mode! & 0o777, 0o600);
    const stat = new Deno.Command("stat", { args: ["-c", "%A", path] }).outputSync();
    assertEquals(new TextDecoder().decode(stat.stdout).trim(), "srw-------");
    assertEquals([...Deno.readDirSync(dir)].map((e) => e.name), ["ctl"], "temp name removed");
    assert(isCloexec(liveFd(listener, "t")));
    assert(getStatusFlags(liveFd(listener, "t")) & abi.const.O_NONBLOCK, "non-blocking");
    assertEquals(sysCode(() => listenUnix(path)), "EEXIST");
    assertEquals([...Deno.readDirSync(dir)].length, 1, "failed attempt cleaned up its temp name");
    // an ordinary file at the path is refused the same way
    Deno.writeTextFileSync(`${dir}/file`, "x");
    assertEquals(sysCode(() => listenUnix(`${dir}/file`)), "EEXIST");
    listener.close();
    await reactorIdle();
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("ffi unix: the umask is restored after listenUnix", () => {
  const dir = Deno.makeTempDirSync({ prefix: "ffi-unix-" });
  try {
    const ls = listenUnix(`${dir}/s`);
    ls.close();
    Deno.writeTextFileSync(`${dir}/after`, "x");
    // our umask is never 0177 in tests, so a new file must not be 0600 unless the umask leaked
    const mode = Deno.statSync(`${dir}/after`).mode! & 0o777;
    assert(mode !== 0o600, `file created with mode ${mode.toString(8)}`);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("ffi unix: ENAMETOOLONG leaves room for the 17-byte temp suffix", () => {
  const dir = Deno.makeTempDirSync({ prefix: "u" });
  try {
    const limit = MAX_SUN_PATH - TEMP_SUFFIX_LEN;
    const pad = (n: number) => `${dir}/${"p".repeat(n - dir.length - 1)}`;
    assertEquals(sysCode(() => listenUnix(pad(limit + 1))), "ENAMETOOLONG");
    const ok = pad(limit);
    assertEquals(new TextEncoder().encode(ok).length, limit);
    listenUnix(ok).close();
    unlinkPath(ok);
    // connect has the plain sun_path limit
    assertEquals(sysCode(() => connectUnix(pad(MAX_SUN_PATH + 1))), "ENAMETOOLONG");
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("ffi unix: connect errors are SysErrors with their errno names", () => {
  const dir = Deno.makeTempDirSync({ prefix: "ffi-unix-" });
  try {
    const e = assertThrows(() => connectUnix(`${dir}/missing`), SysError);
    assertEquals(e.code, "ENOENT");
    assertEquals(e.description, "No such file or directory");
    // a socket file nobody listens on any more → ECONNREFUSED
    const ls = listenUnix(`${dir}/dead`);
    ls.close();
    assertEquals(sysCode(() => connectUnix(`${dir}/dead`)), "ECONNREFUSED");
    unlinkPath(`${dir}/dead`);
    assertEquals(sysCode(() => unlinkPath(`${dir}/dead`)), "ENOENT");
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("ffi unix: connect + accept round trip, peer uid, non-blocking CLOEXEC ends", async () => {
  const dir = Deno.makeTempDirSync({ prefix: "ffi-unix-" });
  try {
    const path = `${dir}/ctl`;
    const listener = new UnixListener(listenUnix(path));
    assertEquals(acceptUnix(listener.rawFd), null, "nothing pending yet");
    const accepted = listener.accept(); // waits in the reactor
    const client = connectUnix(path);
    const server = await accepted;
    for (const fd of [client, server]) {
      assert(isCloexec(liveFd(fd, "t")));
      assert(getStatusFlags(liveFd(fd, "t")) & abi.const.O_NONBLOCK);
    }
    assertEquals(peerUid(server), getuid());
    assertEquals(peerUid(client), getuid());
    const c = new UnixSocket(client);
    const s = new UnixSocket(server);
    await c.write(enc.encode("ping"));
    assertEquals(new TextDecoder().decode((await s.readExact(4))!), "ping");
    await s.write(enc.encode("pong!"));
    assertEquals(new TextDecoder().decode((await c.readExact(5))!), "pong!");
    c.close();
    assertEquals(await s.readExact(1), null);
    s.close();
    listener.close();
    await reactorIdle();
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("ffi unix: accept pending on a closed listener settles with EBADF", async () => {
  const dir = Deno.makeTempDirSync({ prefix: "ffi-unix-" });
  try {
    const listener = new UnixListener(listenUnix(`${dir}/ctl`));
    const p = listener.accept();
    await new Promise((r) => setTimeout(r, 10));
    listener.close();
    const err = await p.then(() => null, (e) => e);
    assert(err instanceof SysError);
    assertEquals(err.code, "EBADF");
    await reactorIdle();
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("ffi unix: several clients queue and are all accepted", async () => {
  const dir = Deno.makeTempDirSync({ prefix: "ffi-unix-" });
  try {
    const path = `${dir}/ctl`;
    const listener = new UnixListener(listenUnix(path, 16));
    const clients = Array.from({ length: 10 }, () => connectUnix(path));
    const servers = [];
    for (let i = 0; i < clients.length; i++) servers.push(await listener.accept());
    assertEquals(acceptUnix(listener.rawFd), null);
    for (const f of [...clients, ...servers]) f.close();
    listener.close();
    await reactorIdle();
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("ffi unix: connect to a listener whose backlog is full waits, like ssh's, and then works", async () => {
  const dir = Deno.makeTempDirSync({ prefix: "ffi-unix-" });
  try {
    const path = `${dir}/ctl`;
    const listener = new UnixListener(listenUnix(path, 0));
    // Linux queues backlog + 1 connections: with backlog 0, one fills it (a second connect
    // from this thread would now wait for an accept that could never come).
    const queued = [connectUnix(path)];
    // A client in another process connects now: it must wait for room, not fail with EAGAIN.
    const mod = new URL("../../ffi/mod.ts", import.meta.url).href;
    const child = new Deno.Command(Deno.execPath(), {
      args: [
        "eval",
        "--no-config",
        "--allow-all",
        `const { connectUnix } = await import(${JSON.stringify(mod)});
         connectUnix(${JSON.stringify(path)}).close(); console.log("connected");`,
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    let ended = false;
    child.finally(() => ended = true);
    await new Promise((r) => setTimeout(r, 1000));
    if (ended) {
      const out = await child;
      throw new Error(`the connect did not wait: ${new TextDecoder().decode(out.stderr)}`);
    }
    const accepted = [];
    for (let i = 0; i < 2; i++) accepted.push(await listener.accept());
    const out = await child;
    assertEquals(
      new TextDecoder().decode(out.stdout),
      "connected\n",
      new TextDecoder().decode(out.stderr),
    );
    for (const f of [...queued, ...accepted]) f.close();
    listener.close();
    await reactorIdle();
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
