// The launcher and the bundle (scripts/bundle.ts) end to end: scripts/test.sh builds the
// checkout's bundle, so the suite runs what users run; in a copy of the tree, a fresh bundle
// carries a mux session through a stock OpenSSH master and a plain connection (its lazy
// chunks), and one edited source file sends the launcher back to main.ts until the next build.

import { assertEquals, assertStringIncludes } from "@std/assert";
import { run } from "../helpers/run.ts";
import { startSshd } from "../helpers/sshd.ts";
import { startStockMaster } from "../helpers/stock_master.ts";

const top = new URL("../..", import.meta.url).pathname.replace(/\/$/, "");

/** The entry the launcher at `root` ran, from the -v line main() prints first. */
function entryRan(err: string): string {
  const m = err.match(/debug1: sshmux_[^,]+, running (\S+)/);
  if (!m) throw new Error(`no "running" line in: ${err}`);
  return m[1];
}

Deno.test("interop launcher: the checkout's bundle is fresh and the launcher runs it", async () => {
  // scripts/test.sh builds it; run `deno task bundle` when calling deno test directly.
  const r = await run(`${top}/scripts/sshmux`, ["-v", "-G", "somehost"]);
  assertEquals(r.code, 0, r.err);
  assertEquals(entryRan(r.err), `${top}/.bundle/main.js`);
});

Deno.test("interop launcher: Deno's update check is off (no lookup of deno.land)", async () => {
  // The launcher's environment reaches a ProxyCommand: it reports the variable and exits, so
  // the connection fails; what it printed is on our stderr. Passed empty, so an inherited
  // value cannot make the test pass.
  const r = await run(`${top}/scripts/sshmux`, [
    "-F",
    "none",
    "-o",
    // The report comes before the sleep: a proxy that exits at once may be killed first.
    "ProxyCommand=sh -c 'echo update-check=${DENO_NO_UPDATE_CHECK:-on} >&2; sleep 0.5'",
    "somehost",
    "true",
  ], { env: { DENO_NO_UPDATE_CHECK: "" } });
  assertEquals(r.code, 255, r.err);
  assertStringIncludes(r.err, "update-check=1");
});

async function copyTree(from: string, to: string): Promise<void> {
  for await (const e of Deno.readDir(from)) {
    if (e.isDirectory) {
      await Deno.mkdir(`${to}/${e.name}`);
      await copyTree(`${from}/${e.name}`, `${to}/${e.name}`);
    } else if (e.isFile) {
      await Deno.copyFile(`${from}/${e.name}`, `${to}/${e.name}`);
    }
  }
}

Deno.test("interop launcher: a fresh bundle runs sessions; an edited source runs main.ts", async () => {
  const sshd = await startSshd();
  const copy = await Deno.makeTempDir({ prefix: "sshmux-tree." });
  const master = await startStockMaster(sshd);
  try {
    for (const d of ["lib", "ffi", "scripts"]) {
      await Deno.mkdir(`${copy}/${d}`);
      await copyTree(`${top}/${d}`, `${copy}/${d}`);
    }
    for (const f of ["main.ts", "deno.json", "deno.lock"]) {
      await Deno.copyFile(`${top}/${f}`, `${copy}/${f}`);
    }
    // The same Deno as the checkout's launcher finds (scripts/setup.sh would install another).
    try {
      await Deno.symlink(await Deno.realPath(`${top}/.tools`), `${copy}/.tools`);
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
    }
    const built = await run(Deno.execPath(), ["run", "-A", `${copy}/scripts/bundle.ts`], {
      timeoutMs: 120_000,
    });
    assertEquals(built.code, 0, built.err);

    const launcher = `${copy}/scripts/sshmux`;
    const session = (words: string) =>
      run(launcher, ["-v", "-F", sshd.config, "-S", master.ctl, "x", "echo", words], {
        timeoutMs: 30_000,
      });
    const plain = () =>
      run(launcher, ["-v", "-F", sshd.config, "x", "echo", "direct"], { timeoutMs: 30_000 });

    let r = await session("through the master");
    assertEquals([r.code, r.out], [0, "through the master\n"], r.err);
    assertEquals(entryRan(r.err), `${copy}/.bundle/main.js`);
    assertStringIncludes(r.err, "mux session opened");
    r = await plain();
    assertEquals([r.code, r.out], [0, "direct\n"], r.err);
    assertEquals(entryRan(r.err), `${copy}/.bundle/main.js`);

    // An edit: the file is now newer than the stamp (the first build's start).
    const now = new Date();
    await Deno.utime(`${copy}/lib/log.ts`, now, now);
    r = await session("from source");
    assertEquals([r.code, r.out], [0, "from source\n"], r.err);
    assertEquals(entryRan(r.err), `${copy}/main.ts`);

    const rebuilt = await run(Deno.execPath(), ["run", "-A", `${copy}/scripts/bundle.ts`], {
      timeoutMs: 120_000,
    });
    assertEquals(rebuilt.code, 0, rebuilt.err);
    r = await session("bundled again");
    assertEquals([r.code, r.out], [0, "bundled again\n"], r.err);
    assertEquals(entryRan(r.err), `${copy}/.bundle/main.js`);
  } finally {
    await master.stop();
    await sshd.stop();
    await Deno.remove(copy, { recursive: true });
  }
});
