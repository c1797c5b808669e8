// scp -S / sftp -S run "ssh" with their own flags: capture the real argument vectors with a
// fake program and check that our parser accepts every one of them with the right meaning.
import { assert, assertEquals } from "@std/assert";
import { parseArgs } from "../../lib/config/argv.ts";

async function capture(
  tool: string,
  args: (fake: string) => string[],
): Promise<string[][]> {
  const dir = Deno.makeTempDirSync({ prefix: "sshmux-argv-" });
  try {
    const log = `${dir}/argv.log`;
    const fake = `${dir}/fake-ssh`;
    // Each argument on its own line inside a record; records end with an empty marker line.
    Deno.writeTextFileSync(
      fake,
      `#!/bin/sh\nfor a in "$@"; do printf '%s\\n' "$a" | sed 's/^/|/' >> '${log}'; done\n` +
        `echo '--END--' >> '${log}'\nexit 1\n`,
    );
    Deno.chmodSync(fake, 0o755);
    const r = await new Deno.Command(tool, {
      args: args(fake),
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).output();
    assert(!r.success, `${tool} should fail against the fake ssh`);
    const text = Deno.readTextFileSync(log);
    return text.split("--END--\n").filter((rec) => rec !== "").map((rec) =>
      rec.replace(/\n$/, "").split("\n").map((l) => l.slice(1))
    );
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
}

Deno.test("scp/sftp argv: every vector parses with host, command and options intact", async () => {
  const vectors: { argv: string[]; host: string; sftpSubsystem: boolean }[] = [];
  const add = (argvs: string[][], host: string, sftpSubsystem: boolean) => {
    assert(argvs.length > 0);
    for (const argv of argvs) vectors.push({ argv, host, sftpSubsystem });
  };
  add(await capture("scp", (f) => ["-S", f, "/etc/hostname", "u@h1:/tmp/x"]), "h1", true);
  add(await capture("scp", (f) => ["-O", "-S", f, "/etc/hostname", "u@h2:/tmp/x"]), "h2", false);
  add(
    await capture("scp", (f) => [
      "-S",
      f,
      "-P",
      "2222",
      "-o",
      "ControlPath=/c",
      "-F",
      "/dev/null",
      "-i",
      "/id",
      "-v",
      "-C",
      "-4",
      "-l",
      "100",
      "u@h3:/a",
      "/tmp/",
    ]),
    "h3",
    true,
  );
  add(await capture("sftp", (f) => ["-S", f, "u@h4"]), "h4", true);
  add(
    await capture("sftp", (f) => [
      "-S",
      f,
      "-P",
      "22",
      "-oControlPath=/c",
      "-F",
      "/dev/null",
      "-i",
      "id",
      "-C",
      "-v",
      "-R",
      "3",
      "-B",
      "1000",
      "u@h5:/x",
    ]),
    "h5",
    true,
  );
  add(await capture("sftp", (f) => ["-S", f, "-s", "/usr/lib/sftp-server", "h6"]), "h6", false);
  for (const v of vectors) {
    const p = parseArgs(v.argv);
    const what = JSON.stringify(v.argv);
    assertEquals(p.host, v.host, what);
    assert(p.command.length > 0, what);
    assertEquals(p.state.forwardAgent, false, what);
    assertEquals(p.state.clearAllForwardings, true, what);
    if (v.sftpSubsystem) {
      assertEquals(p.state.sessionType, "subsystem", what);
      assertEquals(p.command, ["sftp"], what);
    }
    if (v.argv.includes("ControlPath=/c") || v.argv.includes("-oControlPath=/c")) {
      assertEquals(p.state.controlPath, "/c", what);
    }
  }
});
