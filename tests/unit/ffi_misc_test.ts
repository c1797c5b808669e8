// Small calls and argument checks: RawFd guards, SysError fields, setsid in a child, bad sizes.
import { assert, assertEquals, assertRejects, assertThrows } from "@std/assert";
import {
  isatty,
  listenUnix,
  openTty,
  pipe,
  POLLIN,
  RawFd,
  socketpair,
  SysError,
  UnixSocket,
  waitFd,
} from "../../ffi/mod.ts";
import { errnoName, errnoValue } from "../../ffi/errors.ts";
import { reactorIdle } from "../../ffi/reactor.ts";
import { withSignals } from "../helpers/run.ts";

Deno.test("ffi misc: RawFd guards its arguments and prints as 'fd N'", () => {
  assertThrows(() => RawFd.adopt(-1), RangeError);
  assertThrows(() => RawFd.adopt(1.5), RangeError);
  assertThrows(() => RawFd.std(3 as 0), RangeError);
  const [r, w] = pipe();
  assert(/^fd \d+$/.test(String(r)));
  r.close();
  assert(String(r).endsWith("(closed)"));
  r.close(); // idempotent
  w.close();
});

Deno.test("ffi misc: SysError carries op, errno, code and libc's description", () => {
  const e = new SysError("connect /x", errnoValue("ECONNREFUSED"));
  assertEquals(e.code, "ECONNREFUSED");
  assertEquals(e.op, "connect /x");
  assertEquals(e.description, "Connection refused");
  assertEquals(e.message, "connect /x: Connection refused");
  assertEquals(errnoName(99999), "E99999");
  assertThrows(() => errnoValue("ENOTANERRNO"));
});

Deno.test("ffi misc: listenUnix in a missing directory is ENOENT and leaves nothing", () => {
  const dir = Deno.makeTempDirSync({ prefix: "ffi-misc-" });
  try {
    const e = assertThrows(() => listenUnix(`${dir}/missing/ctl`), SysError);
    assertEquals(e.code, "ENOENT");
    assertEquals([...Deno.readDirSync(dir)].length, 0);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("ffi misc: bad sizes and events are refused before any system call", async () => {
  const [a, b] = socketpair();
  const s = new UnixSocket(a);
  assertThrows(() => s.readExact(-1), RangeError);
  assertThrows(() => s.readExact(1.5), RangeError);
  assertThrows(() => s.readSome(0), RangeError);
  assertThrows(() => s.readExact(65 * 1024 * 1024), RangeError);
  assertEquals(await s.readExact(0), new Uint8Array(0));
  await assertRejects(() => waitFd(b, 0), RangeError);
  s.close();
  b.close();
  await assertRejects(() => waitFd(b, POLLIN), SysError, "closed");
  await reactorIdle();
});

Deno.test("ffi misc: setsid in a child makes it a session leader", async () => {
  // Never in this process: it would detach the test runner from its terminal session.
  const code = `
    import { setsid } from "${new URL("../../ffi/mod.ts", import.meta.url)}";
    const sid = setsid();
    const stat = Deno.readTextFileSync("/proc/self/stat").split(") ")[1].split(" ");
    console.log(sid === Deno.pid, Number(stat[3]) === Deno.pid);
    try { setsid(); } catch (e) { console.log(e.code); }
  `;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "--no-check", code],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assertEquals(new TextDecoder().decode(out.stderr), "");
  // a second setsid fails: a session leader cannot start another session
  assertEquals(new TextDecoder().decode(out.stdout).trim().split("\n"), ["true true", "EPERM"]);
});

Deno.test("openTty: no such terminal device is null, not an error", () => {
  assertEquals(openTty("/nonexistent/tty"), null);
  // /dev/null is not a terminal but opens: the caller decides (isatty) what to do with it.
  const fd = openTty("/dev/null");
  try {
    assertEquals(fd !== null && !isatty(fd), true);
  } finally {
    fd?.close();
  }
});

Deno.test("ffi misc: signalIgnored reads the dispositions a child inherited", async () => {
  const mod = new URL("../../ffi/mod.ts", import.meta.url).href;
  const code = `const { signalIgnored } = await import(${JSON.stringify(mod)});
    console.log([1, 2, 3, 15].map((signo) => +signalIgnored(signo)).join("")); // HUP INT QUIT TERM`;
  const probe = async (ignored: string[]) => {
    const [cmd, args] = withSignals(ignored, [
      Deno.execPath(),
      "eval",
      "--no-config",
      "--allow-all",
      code,
    ]);
    const out = await new Deno.Command(cmd, { args, stdout: "piped" }).output();
    return new TextDecoder().decode(out.stdout).trim();
  };
  assertEquals(await probe([]), "0000");
  assertEquals(await probe(["SIGHUP", "SIGQUIT"]), "1010");
  assertEquals(await probe(["SIGINT", "SIGTERM"]), "0101");
});
