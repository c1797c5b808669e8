// Fuzz loops over the argv and config parsers: random and mutated inputs must either parse
// or fail with a ConfigError (ssh's message, exit 255) — never another exception or a hang.
import { assert } from "@std/assert";
import { parseArgs } from "../../lib/config/argv.ts";
import { type ResolveEnv, resolveOptions } from "../../lib/config/resolve.ts";
import { ConfigError } from "../../lib/config/errors.ts";
import { parseForward } from "../../lib/config/forward_spec.ts";
import { convtime } from "../../lib/config/control_persist.ts";
import { expandTokens } from "../../lib/config/tokens.ts";
import { allKeywords } from "../../lib/config/keywords.ts";
import { captureLog } from "../../lib/log.ts";

/** Small deterministic PRNG (mulberry32) so failures reproduce. */
function rng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    int: (n: number) => Math.floor(next() * n),
    pick: <T>(xs: T[]): T => xs[Math.floor(next() * xs.length)],
  };
}

const ATOMS = [
  "-",
  "--",
  "-t",
  "-tt",
  "-N",
  "-f",
  "-n",
  "-v",
  "-q",
  "-M",
  "-O",
  "check",
  "exit",
  "bogus",
  "-W",
  "h:22",
  "-L",
  "1:h:2",
  "-R",
  "0",
  "-D",
  "1080",
  "-p",
  "22",
  "-p",
  "0",
  "-o",
  "Port=2",
  "ControlPath=%C",
  "ControlPersist=1h",
  "Foo=1",
  "-S",
  "/tmp/s",
  "-l",
  "u",
  "host",
  "u@host",
  "ssh://u@h:2",
  "@",
  "-e",
  "^A",
  "-J",
  "j1,j2",
  "ls",
  "-s",
  "-x",
  "-Z",
  "-oSendEnv=-A*",
  "%",
  "%x",
  "${X}",
  "",
  " ",
  "[::1]:1",
  "-F",
  "none",
  "-i",
  "~/k",
];
const CHARS = " \t=\"'\\#%$:{}[]/*?!,@-abcXYZ019\n";

function mutate(r: ReturnType<typeof rng>, s: string): string {
  const ops = r.int(4);
  let out = s;
  for (let k = 0; k < ops; k++) {
    const pos = r.int(out.length + 1);
    const c = CHARS[r.int(CHARS.length)];
    out = r.int(2)
      ? out.slice(0, pos) + c + out.slice(pos)
      : out.slice(0, pos) + out.slice(pos + 1);
  }
  return out;
}

function onlyConfigErrors(f: () => unknown, what: string) {
  try {
    f();
  } catch (e) {
    assert(e instanceof ConfigError, `${what}: ${e}`);
    assert((e as ConfigError).exitCode === 255);
  }
}

const env: ResolveEnv = {
  home: "/nonexistent-home",
  user: "me",
  uid: 1,
  hostname: "box",
  environ: { X: "x" },
  systemConfig: "/nonexistent-system-config",
  exec: () => 1,
};

Deno.test("fuzz: argv parser + resolve never crash (4000 vectors)", () => {
  const r = rng(0xc0ffee);
  const restore = captureLog([]);
  try {
    for (let n = 0; n < 4000; n++) {
      const argv = Array.from({ length: r.int(8) }, () => r.pick(ATOMS)).map((a) =>
        r.int(5) === 0 ? mutate(r, a) : a
      );
      onlyConfigErrors(() => resolveOptions(parseArgs(argv), env), JSON.stringify(argv));
    }
  } finally {
    restore();
  }
});

Deno.test("fuzz: config files never crash (1500 files)", () => {
  const r = rng(0xbadc0de);
  const dir = Deno.makeTempDirSync({ prefix: "sshmux-fuzz-" });
  const restore = captureLog([]);
  const keywords = allKeywords();
  const values = [
    "yes",
    "no",
    "22",
    "%h",
    "*",
    "!x",
    "a,b",
    "1h",
    "1:h:2",
    '"q v"',
    "none",
    "~/x",
    "all",
    "host h",
    "exec x",
    "final",
    "${X}",
    "=",
    "#c",
    "-A",
    "x=1",
    "^A",
  ];
  try {
    for (let n = 0; n < 1500; n++) {
      const lines = Array.from({ length: 1 + r.int(6) }, () => {
        const kw = r.int(10) === 0 ? "bogus" : r.pick(keywords);
        const line = `${r.int(2) ? "  " : ""}${kw}${r.pick([" ", "=", " = "])}${
          Array.from({ length: r.int(3) }, () => r.pick(values)).join(" ")
        }`;
        return r.int(4) === 0 ? mutate(r, line) : line;
      });
      const first = r.int(2) ? "Host *\n" : "";
      Deno.writeTextFileSync(`${dir}/c`, first + lines.join("\n"));
      onlyConfigErrors(
        () => resolveOptions(parseArgs(["-F", `${dir}/c`, "h"]), env),
        lines.join("\\n"),
      );
    }
  } finally {
    restore();
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("fuzz: forward specs, time specs and tokens never throw unexpectedly", () => {
  const r = rng(42);
  const seeds = ["1:h:2", "[::1]:1:h:2", "/a:/b", "a:1:/b", "1", "*:1", "1h30m", "1.5s", "%h%%"];
  for (let n = 0; n < 20000; n++) {
    const s = mutate(r, r.pick(seeds));
    parseForward(s, r.int(2) === 1, r.int(2) === 1, () => undefined);
    const t = convtime(s);
    assert(t === undefined || (Number.isInteger(t) && t >= 0));
    try {
      expandTokens(s, { h: "H" }, () => undefined);
    } catch (e) {
      assert(e instanceof ConfigError);
    }
  }
});

Deno.test("fuzz: every keyword with awkward values via -o", () => {
  const values = [
    "",
    "yes",
    "no",
    "none",
    "0",
    "-1",
    "99999999999",
    "1h",
    "a b",
    '"x',
    "%x",
    "%",
    "${NOPE}",
    "*",
    "!",
    ",",
    "1:h:2",
    "[::1]:0",
    "/p:/q",
    "^A",
    "=",
    "ask",
    "+x",
    "-x*",
  ];
  const restore = captureLog([]);
  try {
    for (const kw of allKeywords()) {
      for (const v of values) {
        for (const form of [`${kw}=${v}`, `${kw} ${v}`]) {
          onlyConfigErrors(() => resolveOptions(parseArgs(["-o", form, "h"]), env), form);
        }
      }
    }
  } finally {
    restore();
  }
});
