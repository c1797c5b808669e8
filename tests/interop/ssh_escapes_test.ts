// Escape commands in a -tt session, typed into a real pty (`script`) against a real sshd, side
// by side with the stock ssh: `~?` help, `~v`/`~V` verbosity, `~C` (command line disabled as in
// OpenSSH >= 9.2), `~B`, an unknown command sent as typed, `~R` really rekeys, `~^Z` really
// stops the process and the session goes on after SIGCONT.

import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import { sh, sshmuxCmdlinePattern, sshmuxPath } from "../helpers/run.ts";
import { type Sshd, startSshd } from "../helpers/sshd.ts";

/**
 * Shell lines that wait until the remote side of the session runs (sshd is local: the remote
 * command's `touch` shows up here), so keys are typed only once the client reads the tty raw.
 */
function waitReady(marker: string): string {
  return `i=0; while [ ! -e ${marker} ] && [ $i -lt 150 ]; do sleep 0.1; i=$((i+1)); done; sleep 0.3`;
}

/** A pty session under `script` whose keystrokes come from `keys` (a shell snippet of printf/sleep). */
function typed(sshd: Sshd, client: string, keys: string, extra = ""): Promise<string> {
  const dir = sshd.dir;
  const marker = `${dir}/ready-${crypto.randomUUID()}`;
  Deno.writeTextFileSync(
    `${dir}/keys.sh`,
    `${waitReady(marker)}\n${keys}\nprintf 'exit\\r'\nsleep 1\n`,
  );
  const remote = `'touch ${marker}; PS1="$ " exec sh'`;
  return sh(
    `sh ${dir}/keys.sh | script -qec "${client} -F ${sshd.config} ${extra} -tt x ${
      remote.replaceAll('"', '\\"')
    }" /dev/null`,
    { timeoutMs: 30_000 },
  ).then((r) => r.out);
}

Deno.test("escape commands: same output as ssh; ~R rekeys; ~^Z stops and resumes", async (t) => {
  const sshd = await startSshd();
  try {
    await t.step("~? ~v ~V ~C ~B ~x print what ssh prints", async () => {
      const keys = ["~?", "~v", "~V", "~C", "~B", "~x\\r"]
        .map((k) => `printf '\\r${k}'\nsleep 0.3`).join("\n");
      const theirs = await typed(sshd, "ssh", keys);
      const ours = await typed(sshd, sshmuxPath(), keys);
      const help = theirs.slice(theirs.indexOf("~?\r\n"), theirs.indexOf("newline.)\r\n") + 11);
      assertStringIncludes(help, "Supported escape sequences:");
      // `~&` (fork into the background) is the one command sshmux cannot offer.
      const ourHelp = help.split("\r\n").filter((l) => !l.startsWith(" ~&")).join("\r\n");
      for (const out of [theirs, ours]) {
        // The test config says LogLevel ERROR: ~v goes to INFO, ~V back to ERROR.
        for (
          const s of [
            "~v [LogLevel INFO]\r\n",
            "~V [LogLevel ERROR]\r\n",
            "commandline disabled\r\n",
            "~B\r\n",
            "~x: not found",
          ]
        ) assertStringIncludes(out, s);
      }
      assertStringIncludes(ours, ourHelp);
    });

    await t.step("~R starts a key exchange (a second NEWKEYS)", async () => {
      const out = await typed(sshd, sshmuxPath(), "printf '\\r~R'\nsleep 1", "-o LogLevel=DEBUG1");
      assertEquals(out.split("kex: algorithm:").length - 1, 2, out);
      assertStringIncludes(out, "request rekeying");
    });

    await t.step(
      "~^Z stops sshmux under a job-control shell; fg continues the session",
      async () => {
        const dir = sshd.dir;
        // Job control needs an interactive shell on the pty (a stop signal sent to an orphaned
        // process group is discarded), so the session runs as a job of `bash -i`.
        const marker = `${dir}/ready-suspend`;
        const cmd = `${sshmuxPath()} -F ${sshd.config} -tt x 'touch ${marker}; exec sh'`;
        Deno.writeTextFileSync(
          `${dir}/keys.sh`,
          [
            "sleep 0.5",
            `printf '%s\\r' "${cmd}"`,
            waitReady(marker),
            "printf '\\r~\\032'",
            "sleep 1",
            `for p in $(pgrep -f '${sshmuxCmdlinePattern()} -F ${sshd.config}'); do`,
            `  grep -q '^State:.*T' /proc/$p/status && echo stopped >>${dir}/state`,
            "done",
            "printf 'fg\\r'",
            "sleep 1",
            "printf 'echo back-$((6*7))\\r'",
            "sleep 0.5",
            "printf 'exit\\r'",
            "sleep 1",
            "printf 'exit\\r'",
            "sleep 0.5",
          ].join("\n") + "\n",
        );
        const r = await sh(
          `sh ${dir}/keys.sh | script -qec "bash --norc --noprofile -i" /dev/null`,
          {
            timeoutMs: 30_000,
          },
        );
        assertStringIncludes(r.out, "~^Z [suspend ssh]\r\n");
        const state = await Deno.readTextFile(`${dir}/state`).catch(() => "");
        assert(state.includes("stopped"), `sshmux was not stopped:\n${r.out}`);
        assertStringIncludes(r.out, "back-42");
      },
    );
  } finally {
    await sshd.stop();
  }
});
