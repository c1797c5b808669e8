// ffi against the real OpenSSH client: a minimal hand-framed mux master built only on ffi/
// (listenUnix, UnixListener, UnixSocket exact reads, recvFd, FdIo, tty calls) serves stock
// `ssh -S`. Proves that fds passed by OpenSSH arrive and work, peer uid checks, and that a
// passed tty answers isatty/winsize/tcgetattr. Fails (never skips) without OpenSSH installed.
import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import {
  decodeTtyModes,
  FdIo,
  fdNumber,
  getuid,
  getWinsize,
  isatty,
  listenUnix,
  peerUid,
  type RawFd,
  ttyModes,
  UnixListener,
  UnixSocket,
} from "../../ffi/mod.ts";
import { reactorIdle } from "../../ffi/reactor.ts";
import { run } from "../helpers/run.ts";

const MUX_MSG_HELLO = 0x00000001;
const MUX_C_NEW_SESSION = 0x10000002;
const MUX_C_ALIVE_CHECK = 0x10000004;
const MUX_S_EXIT_MESSAGE = 0x80000004;
const MUX_S_ALIVE = 0x80000005;
const MUX_S_SESSION_OPENED = 0x80000006;

const enc = new TextEncoder();
const dec = new TextDecoder();

/** u32 length + body of u32s. */
function frame(...words: number[]): Uint8Array {
  const out = new Uint8Array(4 + 4 * words.length);
  const v = new DataView(out.buffer);
  v.setUint32(0, 4 * words.length);
  words.forEach((w, i) => v.setUint32(4 + 4 * i, w));
  return out;
}

class Body {
  off = 0;
  constructor(readonly b: Uint8Array) {}
  u32(): number {
    const v = new DataView(this.b.buffer, this.b.byteOffset).getUint32(this.off);
    this.off += 4;
    return v;
  }
  str(): string {
    const n = this.u32();
    const s = dec.decode(this.b.subarray(this.off, this.off + n));
    this.off += n;
    return s;
  }
}

async function readFrame(sock: UnixSocket): Promise<Body | null> {
  const head = await sock.readExact(4);
  if (!head) return null;
  const len = new DataView(head.buffer).getUint32(0);
  assert(len >= 4 && len <= 256 * 1024, `frame length ${len}`);
  return new Body((await sock.readExact(len))!);
}

interface Session {
  tty: number;
  term: string;
  cmd: string;
  fds: RawFd[];
  /** pty-req modes read before SESSION_OPENED, as OpenSSH does: the client goes raw after it */
  modes: Uint8Array | null;
}

/**
 * Serves one control connection: hello, alive checks, and (if asked) one session whose fds are
 * handed to `onSession`, which returns the exit status to report.
 */
async function serveOne(
  listener: UnixListener,
  onSession: (s: Session) => Promise<number>,
): Promise<void> {
  const sock = new UnixSocket(await listener.accept());
  try {
    assertEquals(peerUid(sock.rawFd), getuid(), "peer is us");
    await sock.write(frame(MUX_MSG_HELLO, 4));
    const hello = (await readFrame(sock))!;
    assertEquals([hello.u32(), hello.u32()], [MUX_MSG_HELLO, 4]);
    for (;;) {
      const f = await readFrame(sock);
      if (!f) return;
      const type = f.u32();
      const rid = f.u32();
      if (type === MUX_C_ALIVE_CHECK) {
        await sock.write(frame(MUX_S_ALIVE, rid, Deno.pid));
        continue;
      }
      assertEquals(type, MUX_C_NEW_SESSION);
      f.str(); // reserved
      const tty = f.u32();
      for (let k = 0; k < 4; k++) f.u32(); // x11, agent, subsystem, escape char
      const term = f.str();
      const cmd = f.str();
      const fds = [await sock.recvFd(), await sock.recvFd(), await sock.recvFd()];
      const modes = tty ? ttyModes(fds[0]) : null;
      await sock.write(frame(MUX_S_SESSION_OPENED, rid, 1));
      const status = await onSession({ tty, term, cmd, fds, modes });
      for (const fd of fds) fd.close(); // before EXIT_MESSAGE, or `ssh | wc` would hang
      await sock.write(frame(MUX_S_EXIT_MESSAGE, 1, status));
      return;
    }
  } finally {
    sock.close();
  }
}

function withDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = Deno.makeTempDirSync({ prefix: "ffi-ossh-" });
  return fn(dir).finally(() => Deno.removeSync(dir, { recursive: true }));
}

const SSH_ARGS = ["-F", "/dev/null", "-o", "BatchMode=yes"];

Deno.test("ffi + OpenSSH: ssh -O check reaches a master built on ffi", () =>
  withDir(async (dir) => {
    const path = `${dir}/ctl`;
    const listener = new UnixListener(listenUnix(path));
    const served = serveOne(listener, () => Promise.reject(new Error("no session expected")));
    const r = await run("ssh", [...SSH_ARGS, "-S", path, "-O", "check", "x"]);
    await served;
    assertEquals(r.err.trim(), `Master running (pid=${Deno.pid})`);
    assertEquals(r.code, 0);
    listener.close();
    await reactorIdle();
  }));

Deno.test("ffi + OpenSSH: a session's stdin/stdout/stderr pipes arrive and work", () =>
  withDir(async (dir) => {
    const path = `${dir}/ctl`;
    const listener = new UnixListener(listenUnix(path));
    let seen: { cmd: string; tty: number; ttys: boolean[] } | null = null;
    const served = serveOne(listener, async (s) => {
      seen = { cmd: s.cmd, tty: s.tty, ttys: s.fds.map((f) => isatty(f)) };
      const [i, o, e] = s.fds.map((f) => new FdIo(f));
      const buf = new Uint8Array(1024);
      let input = "";
      for (let n; (n = await i.read(buf)) > 0;) input += dec.decode(buf.subarray(0, n));
      await o.write(enc.encode(`stdin was: ${input}\n`));
      await e.write(enc.encode("a line on stderr\n"));
      for (const io of [i, o, e]) io.close(); // restores the client's fd flags, closes ours
      return 7;
    });
    const r = await run("ssh", [...SSH_ARGS, "-S", path, "x", "some remote command"], {
      stdin: "piped input",
    });
    await served;
    assertEquals(seen, { cmd: "some remote command", tty: 0, ttys: [false, false, false] });
    assertEquals(r.out, "stdin was: piped input\n");
    assertStringIncludes(r.err, "a line on stderr");
    assertEquals(r.code, 7);
    listener.close();
    await reactorIdle();
  }));

Deno.test("ffi + OpenSSH: a passed tty answers isatty, winsize and tcgetattr", () =>
  withDir(async (dir) => {
    const path = `${dir}/ctl`;
    const listener = new UnixListener(listenUnix(path));
    const served = serveOne(listener, async (s) => {
      assertEquals(s.tty, 1);
      assert(isatty(s.fds[0]), "stdin is the client's tty");
      const ws = getWinsize(s.fds[0]);
      const modes = decodeTtyModes(s.modes!);
      const out = new FdIo(s.fds[1]);
      assertEquals(out.kind, "tty");
      await out.write(
        enc.encode(`winsize ${ws?.rows}x${ws?.cols} icanon=${modes.get(51)} term=${s.term}\r\n`),
      );
      out.close();
      return 3;
    });
    const inner = `stty rows 33 cols 77; TERM=xterm-test ssh ${
      SSH_ARGS.join(" ")
    } -tt -S ${path} x cmd; echo "rc=$?"`;
    const r = await run("script", ["-qec", inner, "/dev/null"]);
    await served;
    assertStringIncludes(r.out, "winsize 33x77 icanon=1 term=xterm-test");
    assertStringIncludes(r.out, "rc=3");
    listener.close();
    await reactorIdle();
  }));

Deno.test("ffi + OpenSSH: 20 sessions leave no fds behind in the master", () =>
  withDir(async (dir) => {
    const path = `${dir}/ctl`;
    const listener = new UnixListener(listenUnix(path));
    // Identify the passed pipes/sockets by what /proc says they are ("pipe:[123]"): robust to
    // other test files running as threads of this process under --parallel.
    const seen = new Set<string>();
    for (let i = 0; i < 20; i++) {
      const served = serveOne(listener, async (s) => {
        for (const fd of s.fds) {
          const id = Deno.readLinkSync(`/proc/self/fd/${fdNumber(fd)}`);
          if (/^(pipe|socket):/.test(id)) seen.add(id); // stdin is /dev/null: not unique
        }
        const out = new FdIo(s.fds[1]);
        await out.write(enc.encode(`session ${i}\n`));
        out.close();
        return i;
      });
      const r = await run("ssh", [...SSH_ARGS, "-S", path, "x", "c"]);
      await served;
      assertEquals([r.out, r.code], [`session ${i}\n`, i]);
    }
    await reactorIdle();
    assert(seen.size >= 40, "distinct stdout/stderr pipes per session");
    const stillOpen = [...Deno.readDirSync("/proc/self/fd")].filter((e) => {
      try {
        return seen.has(Deno.readLinkSync(`/proc/self/fd/${e.name}`));
      } catch {
        return false;
      }
    });
    assertEquals(stillOpen.length, 0);
    listener.close();
  }));
