// 200 sequential sessions from the stock ssh (then 30 from sshmux) through one master of each
// kind: every output and status right, and no growth in the master: the same number of fds
// afterwards, and a bounded RSS.
import { assert, assertEquals } from "@std/assert";
import {
  type Master,
  masterTest,
  muxRun,
  startMaster,
  startMasterSshd,
} from "../helpers/master.ts";
import { fdCount, waitFor } from "../helpers/run.ts";

/** VmRSS of a process in KiB. */
function rssKiB(pid: number): number {
  const m = Deno.readTextFileSync(`/proc/${pid}/status`).match(/^VmRSS:\s+(\d+) kB/m);
  if (!m) throw new Error(`no VmRSS for ${pid}`);
  return parseInt(m[1], 10);
}

/** The master's fds once they settled: sessions close their fds after the client exits. */
async function settledFds(master: Master, atMost: number): Promise<number> {
  await waitFor("master fds settle", () => fdCount(master.pid) <= atMost, 10_000).catch(() => {});
  return fdCount(master.pid);
}

/** RSS growth allowed over 200 sessions: a leak of ~60 KiB per session fails it. */
const RSS_GROWTH_LIMIT_KIB = 12 * 1024;

masterTest("200 sequential sessions: no fd or memory growth in the master", async (kind, t) => {
  const sshd = await startMasterSshd();
  const master = await startMaster(kind, sshd);
  try {
    // Warm up (first sessions allocate buffers and caches that stay), then measure.
    for (let i = 0; i < 10; i++) {
      assertEquals((await muxRun("ssh", master, ["x", "true"])).code, 0);
    }
    const fds0 = fdCount(master.pid);
    const rss0 = rssKiB(master.pid);
    if (kind === "sshmux") {
      // Our master waits on its fds with epoll (ffi/reactor_epoll.ts), as it asks to.
      const links = [...Deno.readDirSync(`/proc/${master.pid}/fd`)]
        .map((e) => Deno.readLinkSync(`/proc/${master.pid}/fd/${e.name}`));
      assert(links.includes("anon_inode:[eventpoll]"), `no epoll fd among ${links}`);
    }

    await t.step("200 stock ssh sessions, each with its output and status", async () => {
      for (let i = 0; i < 200; i++) {
        const r = await muxRun("ssh", master, ["x", `echo ${i}; exit ${i % 7}`]);
        assertEquals([r.out, r.code], [`${i}\n`, i % 7], `session ${i}: ${r.err}`);
      }
    });

    await t.step("no fd growth, bounded RSS growth", async () => {
      const fds = await settledFds(master, fds0);
      assert(fds <= fds0, `master fds: ${fds0} before, ${fds} after 200 sessions`);
      const rss = rssKiB(master.pid);
      assert(
        rss - rss0 <= RSS_GROWTH_LIMIT_KIB,
        `master RSS grew from ${rss0} KiB to ${rss} KiB over 200 sessions`,
      );
    });

    await t.step("30 sshmux client sessions; still no fd growth", async () => {
      for (let i = 0; i < 30; i++) {
        const r = await muxRun("sshmux", master, ["x", `echo ${i}; exit ${i % 5}`]);
        assertEquals([r.out, r.code], [`${i}\n`, i % 5], `session ${i}: ${r.err}`);
      }
      const fds = await settledFds(master, fds0);
      assert(fds <= fds0, `master fds: ${fds0} before, ${fds} after`);
    });
  } finally {
    await master.stop();
    await sshd.stop();
  }
});
