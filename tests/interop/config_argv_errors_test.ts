// Bad command lines, side by side with the stock ssh: the same exit status and the same stderr
// bytes. ssh writes some of these with a plain fprintf ("\n", shown even under -q) and others
// through its logger ("\r\n"), so the line endings are part of what is compared.
import { assertEquals } from "@std/assert";
import { run, sshmuxPath } from "../helpers/run.ts";

const CASES: string[][] = [
  ["-L", "bad", "x"],
  ["-R", "bad", "x"],
  ["-D", "x:y", "x"],
  ["-W", "bad", "x"],
  ["-q", "-L", "70000:a:1", "x"],
  ["-p", "abc", "x"],
  ["-e", "xx", "x"],
  ["-c", "nonesuch", "x"],
  ["-m", "bad", "x"],
  ["-Z", "x"],
  ["x", "-l"],
  [],
  ["-s", "x"],
  ["-O", "bogus", "x"],
  // -G prints the configuration and exits: only the -i warning is compared (stderr).
  ["-q", "-G", "-i", "/nonexistent/id_key", "x"],
];

Deno.test("bad command lines: sshmux's status and stderr bytes equal ssh's", async () => {
  for (const args of CASES) {
    const argv = ["-F", "/dev/null", ...args];
    const [ssh, ours] = await Promise.all([run("ssh", argv), run(sshmuxPath(), argv)]);
    assertEquals(
      [ours.code, ours.err],
      [ssh.code, ssh.err],
      `sshmux ${args.join(" ")}: ${JSON.stringify(ours.err)} vs ssh's ${JSON.stringify(ssh.err)}`,
    );
  }
});
