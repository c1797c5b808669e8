// The tty prompter on a real pseudo-terminal (util-linux `script` gives the child one):
// a hidden answer is not echoed and honours backspace; an echoed answer shows as typed;
// ^D on an empty hidden prompt is EOF (null); no tty at all gives null.

import { assertEquals, assertStringIncludes } from "@std/assert";
import { TtyPrompter } from "../../lib/ssh/auth/prompter.ts";

const prompterUrl = new URL("../../lib/ssh/auth/prompter.ts", import.meta.url).href;
const deno = Deno.execPath();
const dec = new TextDecoder();

/** Runs a child on a pty that asks the prompts; answers each once its prompt text appears. */
async function onPty(
  asks: [string, boolean][],
  answers: string[],
  perms = ["-A"],
): Promise<{ results: (string | null)[]; screen: string }> {
  const dir = Deno.makeTempDirSync({ prefix: "sshmux-prompt-" });
  const out = `${dir}/out.json`;
  Deno.writeTextFileSync(
    `${dir}/child.ts`,
    `import { TtyPrompter } from ${JSON.stringify(prompterUrl)};
const p = new TtyPrompter();
const r = [];
for (const [q, echo] of ${JSON.stringify(asks)}) r.push(await p.ask(q, echo));
Deno.writeTextFileSync(${JSON.stringify(out)}, JSON.stringify(r));
`,
  );
  const child = new Deno.Command("script", {
    args: ["-qec", `${deno} run ${perms.join(" ")} --no-config ${dir}/child.ts`, "/dev/null"],
    stdin: "piped",
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const writer = child.stdin.getWriter();
  const reader = child.stdout.getReader();
  let screen = "";
  const timer = setTimeout(() => child.kill("SIGKILL"), 20_000);
  try {
    for (let i = 0; i < asks.length; i++) {
      while (!screen.includes(asks[i][0])) {
        const { value, done } = await reader.read();
        if (done) throw new Error(`child ended before prompt ${asks[i][0]}: ${screen}`);
        screen += dec.decode(value);
      }
      screen = screen.slice(screen.indexOf(asks[i][0]) + asks[i][0].length);
      await writer.write(new TextEncoder().encode(answers[i]));
    }
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      screen += dec.decode(value);
    }
    await child.status;
    return { results: JSON.parse(Deno.readTextFileSync(out)), screen };
  } finally {
    clearTimeout(timer);
    await writer.close().catch(() => {});
    Deno.removeSync(dir, { recursive: true });
  }
}

Deno.test("prompter: hidden answer is not echoed and handles backspace; echo shows", async () => {
  const r = await onPty([["Secret: ", false], ["Name: ", true]], ["se\x7fecret\r", "bob\r"]);
  assertEquals(r.results, ["secret", "bob"]);
  assertStringIncludes(r.screen, "bob");
  assertEquals(
    r.screen.includes("ecret"),
    false,
    `hidden answer echoed: ${JSON.stringify(r.screen)}`,
  );
});

Deno.test("prompter: without --allow-all (no /dev/tty) the terminal on stdin is used", async () => {
  // The launcher's permissions: Deno refuses /dev/tty without --allow-all.
  const perms = ["--allow-read", "--allow-write", "--allow-env", "--allow-run"];
  const r = await onPty([["Secret: ", false], ["Name: ", true]], ["ab\x7fc\r", "eve\r"], perms);
  assertEquals(r.results, ["ac", "eve"]);
  assertEquals(r.screen.includes("ac"), false, `hidden answer echoed: ${JSON.stringify(r.screen)}`);
  assertStringIncludes(r.screen, "eve");
});

Deno.test("prompter: ^D on an empty hidden prompt is EOF; ^U clears the line", async () => {
  const r = await onPty([["P1: ", false], ["P2: ", false]], ["\x04", "wrong\x15right\r"]);
  assertEquals(r.results, [null, "right"]);
});

Deno.test("prompter: no terminal (and no askpass allowed) means no answer", async () => {
  const p = new TtyPrompter({ path: "/nonexistent/tty", useStdin: false, env: () => undefined });
  assertEquals(await p.ask("x: ", false), null);
});

Deno.test("prompter: SSH_ASKPASS with SSH_ASKPASS_REQUIRE=force, failure, never", async () => {
  const dir = Deno.makeTempDirSync({ prefix: "sshmux-askpass-" });
  // A private environment per prompter: the process environment is shared with parallel tests.
  const withEnv = (vars: Record<string, string>, path = "/dev/tty") =>
    new TtyPrompter({ path, useStdin: false, env: (k) => vars[k] });
  try {
    Deno.writeTextFileSync(
      `${dir}/ok`,
      '#!/bin/sh\nprintf "answer to %s\\nsecond line\\n" "$1"\n',
      {
        mode: 0o755,
      },
    );
    Deno.writeTextFileSync(`${dir}/fail`, "#!/bin/sh\nexit 1\n", { mode: 0o755 });
    const force = { SSH_ASKPASS: `${dir}/ok`, SSH_ASKPASS_REQUIRE: "force" };
    assertEquals(await withEnv(force).ask("Pass: ", false), "answer to Pass: ");
    const fail = { SSH_ASKPASS: `${dir}/fail`, SSH_ASKPASS_REQUIRE: "force" };
    assertEquals(await withEnv(fail).ask("Pass: ", false), null);
    // No tty and askpass not allowed ("never" beats a display): no answer, askpass not run.
    const never = { SSH_ASKPASS: `${dir}/ok`, SSH_ASKPASS_REQUIRE: "never", DISPLAY: ":0" };
    assertEquals(await withEnv(never, "/nonexistent/tty").ask("x: ", false), null);
    // No tty, a display and no preference: askpass is the fallback.
    const display = { SSH_ASKPASS: `${dir}/ok`, DISPLAY: ":0" };
    assertEquals(await withEnv(display, "/nonexistent/tty").ask("y: ", false), "answer to y: ");
    // No display, no force: askpass is not allowed even without a tty.
    assertEquals(
      await withEnv({ SSH_ASKPASS: `${dir}/ok` }, "/nonexistent/tty").ask("z: ", false),
      null,
    );
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
