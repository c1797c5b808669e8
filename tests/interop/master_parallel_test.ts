// Many sessions at once through one master of each kind: 20 parallel stock ssh clients, then 20
// parallel sshmux clients (sshd MaxSessions 30), each moving its own data both ways with its
// own exit status; the master's fds come back to where they were; and the server's
// MaxSessions refusing a session reaches that client only.
import { assertEquals } from "@std/assert";
import {
  type ClientKind,
  clientLine,
  masterTest,
  muxRun,
  pathExists,
  q,
  startMaster,
  startMasterSshd,
} from "../helpers/master.ts";
import { fdCount, run, sh, waitFor } from "../helpers/run.ts";

masterTest("20 parallel sessions through the master", async (kind, t) => {
  const sshd = await startMasterSshd({ sshdConfig: ["MaxSessions 30"] });
  const master = await startMaster(kind, sshd);
  const N = 20;
  // One 1 MiB random input per session: it goes up through stdin and comes back through stdout.
  const inputs = Array.from({ length: N }, (_, i) => `${sshd.dir}/in-${i}.bin`);
  await sh(inputs.map((p) => `head -c ${1024 * 1024 + 7} /dev/urandom > ${p}`).join("; "));
  try {
    const baseline = fdCount(master.pid);
    for (const client of ["ssh", "sshmux"] as ClientKind[]) {
      await t.step(
        `${N} parallel ${client} clients, each byte-exact with its own status`,
        async () => {
          const line = clientLine(client, master);
          const results = await Promise.all(inputs.map((input, i) => {
            const out = `${input}.${client}.out`;
            // `cat` back to stdout, a line on stderr, and a status of its own.
            return sh(
              `${line} x ${q(`cat; echo err-${i} >&2; exit ${i}`)} < ${q(input)} > ${q(out)}`,
              { timeoutMs: 120_000 },
            ).then((r) => ({ r, out }));
          }));
          for (const [i, { r, out }] of results.entries()) {
            assertEquals(r.code, i, `session ${i}: ${r.err}`);
            assertEquals(r.err, `err-${i}\n`);
            assertEquals((await run("cmp", [inputs[i], out])).code, 0, `session ${i} data`);
            Deno.removeSync(out);
          }
        },
      );
    }

    await t.step("the master's fds are back to where they were", async () => {
      await waitFor(
        "master fds back to baseline",
        () => fdCount(master.pid) <= baseline,
        10_000,
      ).catch(() => {
        throw new Error(`master holds ${fdCount(master.pid)} fds, ${baseline} before`);
      });
    });
  } finally {
    await master.stop();
    await sshd.stop();
  }

  // sshmux's master takes the third session to an extra connection instead (master_pool_test.ts).
  const refusedStep = kind === "stock"
    ? "the server's MaxSessions refuses one session; others are untouched"
    : "past the server's MaxSessions the session runs on an extra connection";
  await t.step(refusedStep, async () => {
    const own = await startMasterSshd({ sshdConfig: ["MaxSessions 2"] });
    const m = await startMaster(kind, own);
    try {
      const markers = [0, 1].map((i) => `${own.dir}/busy-${i}`);
      const busy = markers.map((mk, i) =>
        muxRun("ssh", m, ["x", `touch ${mk}; sleep 3; exit ${10 + i}`])
      );
      await waitFor("two sessions running", () => markers.every(pathExists));
      for (const client of ["ssh", "sshmux"] as ClientKind[]) {
        // OpenSSH's master relays the refusal; the stock client then connects directly, as
        // it does whenever a master refuses a session.
        const r = await muxRun(client, m, ["x", "echo third"]);
        assertEquals(
          r.err,
          kind === "stock"
            ? "mux_client_request_session: session request failed: Session open refused by peer\r\n"
            : "",
          client,
        );
        assertEquals([r.out, r.code], ["third\n", 0], client);
      }
      const codes = (await Promise.all(busy)).map((r) => r.code);
      assertEquals(codes, [10, 11]);
      const after = await muxRun("ssh", m, ["x", "echo again"]);
      assertEquals([after.out, after.code], ["again\n", 0]);
    } finally {
      await m.stop();
      await own.stop();
    }
  });
});
