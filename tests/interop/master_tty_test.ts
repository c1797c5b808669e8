// Tty sessions through a master of each kind, driven on a real pty (script(1)), with the stock
// ssh and sshmux as clients: the remote size and a window change (relayed by the client, and
// the master's own SIGWINCH alone), regress/ssh-tty.sh's checks (echo, ^C, ~?, ~., ^D), and a
// pty the server refuses.
import { assert, assertEquals, assertMatch } from "@std/assert";
import {
  type ClientKind,
  clientLine,
  type Master,
  masterTest,
  muxRun,
  pathExists,
  q,
  startMaster,
  startMasterSshd,
} from "../helpers/master.ts";
import { PtySession } from "../helpers/pty.ts";
import { waitFor } from "../helpers/run.ts";
import type { Sshd } from "../helpers/sshd.ts";

const CLIENTS: ClientKind[] = ["ssh", "sshmux"];

masterTest("tty sessions through the master", async (kind, t) => {
  const sshd = await startMasterSshd();
  const master = await startMaster(kind, sshd);
  try {
    for (const client of CLIENTS) {
      await ttySteps(t, client, master, sshd);
    }
  } finally {
    await master.stop();
    await sshd.stop();
  }

  await t.step("a pty the server refuses: the master says so, the command still runs", async () => {
    const own = await startMasterSshd();
    // sshd reads authorized_keys when the master logs in: this connection may not have a pty.
    const keys = `${own.dir}/authorized_keys`;
    Deno.writeTextFileSync(keys, `no-pty ${Deno.readTextFileSync(keys)}`);
    const m = await startMaster(kind, own);
    try {
      for (const client of CLIENTS) {
        const r = await muxRun(client, m, ["-tt", "x", "tty; exit 3"]);
        assertEquals(r.out, "not a tty\n", client);
        assertEquals(r.err, "PTY allocation request failed\r\n", client);
        assertEquals(r.code, 3, client);
      }
    } finally {
      await m.stop();
      await own.stop();
    }
  });
});

/** The script printed "10 20" before the resize and "30 90" after it, and ended with 0. */
async function expectResized(pty: PtySession): Promise<void> {
  try {
    const { out } = await pty.finish();
    assertMatch(out, /10 20\r+\n(.*\n)*30 90\r+\n/, JSON.stringify(out));
    assertMatch(out, /rc=0/);
  } finally {
    await pty.close();
  }
}

async function ttySteps(
  t: Deno.TestContext,
  client: ClientKind,
  master: Master,
  sshd: Sshd,
): Promise<void> {
  const line = clientLine(client, master);
  const marker = (name: string) => `${sshd.dir}/${client}-${name}`;
  // A remote script that prints the size, says it runs, waits (bounded) for the size to change
  // and prints it again. The remote runs on this host, so a marker file is visible here.
  const sizeScript = (started: string) =>
    `stty size; touch ${started}; i=0; ` +
    `while [ "$(stty size)" = "10 20" ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i+1)); done; ` +
    `stty size`;

  await t.step(
    `[${client}] -tt: a window change relayed by the client reaches the remote`,
    async () => {
      const started = marker("winch-relay");
      const pty = new PtySession([
        "stty rows 10 cols 20",
        `${line} -tt x ${q(sizeScript(started))} </dev/tty & p=$!`,
        `while [ ! -e ${started} ]; do sleep 0.05; done`,
        // The kernel sends SIGWINCH to the foreground group (the client); it tells the master.
        "stty rows 30 cols 90",
        'wait $p; echo "rc=$?"',
      ].join("\n"));
      await expectResized(pty);
    },
  );

  await t.step(
    `[${client}] -tt: SIGWINCH to the master alone makes it re-read the size`,
    async () => {
      const started = marker("winch-master");
      // The client runs in a background process group (set -m), so the resize does not signal
      // it; ignoring SIGTTOU lets it set raw mode from there. Only `kill -WINCH <master>` is
      // left to carry the change.
      const pty = new PtySession([
        "stty rows 10 cols 20",
        "set -m",
        "trap '' TTOU",
        `${line} -tt x ${q(sizeScript(started))} </dev/tty & p=$!`,
        `while [ ! -e ${started} ]; do sleep 0.05; done`,
        "stty rows 30 cols 90",
        `kill -WINCH ${master.pid}`,
        'wait $p; echo "rc=$?"',
      ].join("\n"));
      await expectResized(pty);
    },
  );

  await t.step(
    `[${client}] regress/ssh-tty.sh: echo, ^C, ~?, then ^D ends the shell with 0`,
    async () => {
      const pty = new PtySession(`${line} -tt x sh; echo "rc=$?"`);
      try {
        await pty.waitOutput(/[#$] $/); // the remote shell's prompt
        await pty.type("echo hel''lo\r");
        await pty.waitOutput(/[^']hello\r\n/);
        // A sleep of a length no other test uses, so /proc shows when it runs (exec'd, and so
        // the foreground process group of the remote pty).
        const secs = client === "ssh" ? "31.17" : "31.27";
        await pty.type(`sleep ${secs}\r`);
        await waitFor("remote sleep", () => processWithArgs(["sleep", secs]));
        await pty.type("\x03");
        await pty.type('echo "int=$?"\r');
        await pty.waitOutput(/int=130/);
        await pty.type("\r~?");
        await pty.waitOutput("Supported escape sequences:");
        const help = pty.output();
        // OpenSSH's help for multiplexed sessions (the mux-only subset), on the client's tty.
        assert(help.includes(" ~.   - terminate session\r\n"), help);
        assert(!help.includes("~C   - open a command line"), "no ~C for mux sessions");
        await pty.type("\x04");
        const { out } = await pty.finish();
        assertMatch(out, /rc=0\r\n/, out);
      } finally {
        await pty.close();
      }
    },
  );

  await t.step(`[${client}] ~. ends that session only (255); the master lives on`, async () => {
    const started = marker("tilde-dot");
    const pty = new PtySession(`${line} -tt x 'touch ${started}; sleep 30'; echo "rc=$?"`);
    try {
      await waitFor("remote started", () => pathExists(started));
      await pty.type("\r~.");
      const { out } = await pty.finish();
      assertMatch(out, /rc=255\r\n/, out);
      const check = await master.control("check");
      assertEquals(check.code, 0, "the master is still up");
    } finally {
      await pty.close();
    }
  });

  await t.step(`[${client}] ~& and ~^Z are refused for multiplexed sessions`, async () => {
    const started = marker("tilde-refused");
    const pty = new PtySession(`${line} -tt x 'touch ${started}; cat'; echo "rc=$?"`);
    try {
      await waitFor("remote started", () => pathExists(started));
      await pty.type("\r~&");
      await pty.waitOutput("~& escape not available to multiplexed sessions\r\n");
      await pty.type("\r~\x1a");
      await pty.waitOutput("~^Z escape not available to multiplexed sessions\r\n");
      await pty.type("\r~.");
      const { out } = await pty.finish();
      assertMatch(out, /rc=255\r\n/, out);
    } finally {
      await pty.close();
    }
  });
}

/** True when some process runs exactly this argv (Linux /proc). */
function processWithArgs(argv: string[]): boolean {
  const want = argv.join("\0") + "\0";
  for (const e of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(e.name)) continue;
    try {
      if (Deno.readTextFileSync(`/proc/${e.name}/cmdline`) === want) return true;
    } catch { /* gone */ }
  }
  return false;
}
