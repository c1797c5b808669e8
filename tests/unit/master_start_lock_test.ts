// The single-flight start lock: O_EXCL, held by a live pid, taken over from a dead one.
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
    // Garbage in the file counts as no holder.
    Deno.writeTextFileSync(startLockPath(ctl), "not a pid");
    const c = tryStartLock(ctl)!;
    assert(c);
    c.release();
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
