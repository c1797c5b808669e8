// The single-flight start lock: created with its pid in it, held by a live pid, taken over
// from a dead one.
import { assert, assertEquals } from "@std/assert";
import { startLockHeld, startLockPath, tryStartLock } from "../../lib/master/start_lock.ts";

Deno.test("start lock: one holder at a time; released; a dead holder's lock is taken over", async () => {
  const dir = Deno.makeTempDirSync();
  const ctl = `${dir}/ctl`;
  try {
    const a = tryStartLock(ctl)!;
    assert(a, "first taker gets it");
    assertEquals(Deno.readTextFileSync(startLockPath(ctl)).trim(), String(Deno.pid));
    assert(startLockHeld(ctl));
    assertEquals(tryStartLock(ctl), null, "a live holder keeps it");
    a.release();
    a.release();
    assertEquals(startLockHeld(ctl), false);
    // A holder that died without releasing: its pid is gone, so the lock is stale.
    const dead = new Deno.Command("true").spawn();
    const { success } = await dead.status;
    assert(success);
    Deno.writeTextFileSync(startLockPath(ctl), `${dead.pid}\n`);
    assertEquals(startLockHeld(ctl), false);
    const b = tryStartLock(ctl)!;
    assert(b, "stale lock taken over");
    b.release();
    // A file with no pid yet (a writer between create and write, or garbage) is held while
    // young: judging it stale made a burst open two connections. Old, it holds nothing.
    for (const text of ["", "not a pid"]) {
      Deno.writeTextFileSync(startLockPath(ctl), text);
      assert(startLockHeld(ctl), `young ${JSON.stringify(text)} is held`);
      assertEquals(tryStartLock(ctl), null);
      const old = new Date(Date.now() - 60_000);
      Deno.utimeSync(startLockPath(ctl), old, old);
      assertEquals(startLockHeld(ctl), false);
      const c = tryStartLock(ctl)!;
      assert(c, `old ${JSON.stringify(text)} is taken over`);
      assertEquals(Deno.readTextFileSync(startLockPath(ctl)), `${Deno.pid}\n`);
      c.release();
    }
    // A stale lock whose takeover guard another invocation holds: not ours to take; a guard
    // left by a taker that died is ignored once old.
    Deno.writeTextFileSync(startLockPath(ctl), `${dead.pid}\n`);
    const guard = `${startLockPath(ctl)}.takeover`;
    Deno.writeTextFileSync(guard, `${dead.pid}\n`);
    assert(startLockHeld(ctl), "a takeover is under way");
    assertEquals(tryStartLock(ctl), null);
    const old = new Date(Date.now() - 60_000);
    Deno.utimeSync(guard, old, old);
    assertEquals(startLockHeld(ctl), false);
    assertEquals(tryStartLock(ctl), null, "the old guard is cleared first");
    const d = tryStartLock(ctl)!;
    assert(d, "then the stale lock is taken over");
    d.release();
    // Nothing but the lock is left behind (the pid-named file it is linked from is gone).
    assertEquals([...Deno.readDirSync(dir)].map((e) => e.name), []);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("start lock: of processes racing for it at one moment, exactly one gets it", async () => {
  const dir = Deno.makeTempDirSync();
  const ctl = `${dir}/ctl`;
  const go = `${dir}/go`;
  const mod = new URL("../../lib/master/start_lock.ts", import.meta.url).href;
  // Each racer loads the code, spins until the go file appears (so all try within a moment),
  // takes the lock or not, says which, and holds it until every racer has tried.
  const code = `const { tryStartLock } = await import(${JSON.stringify(mod)});
    console.log("ready");
    for (;;) { try { Deno.statSync(${JSON.stringify(go)}); break; } catch { /* not yet */ } }
    console.log(tryStartLock(${JSON.stringify(ctl)}) !== null ? "got" : "no");
    await new Promise((r) => setTimeout(r, 1500));`;
  const RACERS = 4;
  try {
    for (let round = 0; round < 3; round++) {
      const racers = Array.from({ length: RACERS }, () =>
        new Deno.Command(Deno.execPath(), {
          args: ["eval", "--no-config", "--allow-all", code],
          stdout: "piped",
          stderr: "inherit",
        }).spawn());
      const lines = racers.map((r) => r.stdout.pipeThrough(new TextDecoderStream()));
      const readers = lines.map((l) => l.getReader());
      for (const r of readers) assertEquals((await r.read()).value?.trim(), "ready");
      Deno.writeTextFileSync(go, "");
      const outs: string[] = [];
      for (const r of readers) {
        let text = "";
        for (let c = await r.read(); !c.done; c = await r.read()) text += c.value;
        outs.push(text.trim());
      }
      await Promise.all(racers.map((r) => r.status));
      assertEquals(outs.filter((o) => o === "got").length, 1, `round ${round}: ${outs}`);
      assertEquals(outs.filter((o) => o === "no").length, RACERS - 1, outs.join(","));
      Deno.removeSync(go);
    }
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
