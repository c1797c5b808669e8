// scripts/bundle.ts's text rewrites and its freshness check: lazy imports become visible to the
// bundler, the chunks' dynamic imports are hidden from Deno's loader again, anything that would
// load a second copy of a module (or Node's layer) rejects the bundle, and fresh.sh says stale
// as soon as one source file is newer than the stamp.

import { assertEquals, assertMatch, assertThrows } from "@std/assert";
import {
  bundleProblems,
  freshnessScript,
  hideChunkImports,
  keepRecentChunks,
  unhideLazyImports,
} from "../../scripts/bundle.ts";
import { run } from "../helpers/run.ts";

Deno.test("bundle: lazyModule imports become literal, however deno fmt wrapped them", () => {
  const src = [
    'const a = await import(lazyModule("./lib/a.ts"));',
    'const b: typeof import("./b.ts") = await import(\n    lazyModule("./b.ts")\n  );',
    'const [c] = await Promise.all([import(lazyModule("./c.ts"),)]);',
    'const d = lazyModule("./not_in_import.ts");',
  ].join("\n");
  const out = unhideLazyImports(src);
  assertMatch(out, /await import\("\.\/lib\/a\.ts"\);/);
  assertMatch(out, /await import\("\.\/b\.ts"\);/);
  assertMatch(out, /Promise\.all\(\[import\("\.\/c\.ts"\)\]\)/);
  // Only calls inside import() are rewritten: anything else is left for bundleProblems to find.
  assertMatch(out, /lazyModule\("\.\/not_in_import\.ts"\)/);
});

Deno.test("bundle: chunk imports are hidden from the loader, externals get their npm: specifier", () => {
  const map = { "bcrypt-pbkdf": "npm:bcrypt-pbkdf@1.0.2" };
  const out = hideChunkImports(
    'x = import("./plain-AB12.js"); y = import("bcrypt-pbkdf"); z = import("node:crypto");',
    map,
  );
  assertEquals(
    out,
    'x = import(String("./plain-AB12.js")); y = import(String("npm:bcrypt-pbkdf@1.0.2")); ' +
      'z = import(String("node:crypto"));',
  );
  assertThrows(() => hideChunkImports('import("bcrypt-pbkdf")', {}), Error, "no import map entry");
});

Deno.test("bundle: problems that would load a module twice or boot Node are found", () => {
  assertEquals(
    bundleProblems("ok.js", 'import { a } from "./chunk-X.js"; import(String("./y.js"));'),
    [],
  );
  const cases: [string, string][] = [
    ['m = import(lazyModule("./x.ts"));', "lazyModule"],
    ['import { a } from "../lib/log.ts";', ".ts source"],
    ['m = import("./y.js");', "literal dynamic import"],
    ['import { createRequire } from "node:module";', "node:module"],
  ];
  for (const [chunk, what] of cases) {
    const found = bundleProblems("bad.js", chunk);
    assertEquals(found.length, 1, `${what}: ${found}`);
    assertMatch(found[0], new RegExp(what.replace(/[.:]/g, "\\$&")));
  }
  // The check has no memory between chunks (a global regex's lastIndex would give one).
  assertEquals(bundleProblems("a.js", 'import("./y.js")').length, 1);
  assertEquals(bundleProblems("b.js", 'import("./y.js")').length, 1);
});

Deno.test("bundle: fresh.sh is fresh until one source file is newer than the stamp", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.mkdir(`${dir}/lib/sub`, { recursive: true });
    await Deno.mkdir(`${dir}/.bundle`);
    const files = ["main.ts", "lib/a.ts", "lib/sub/b.ts"];
    const past = new Date(Date.now() - 60_000);
    for (const f of files) {
      await Deno.writeTextFile(`${dir}/${f}`, "");
      await Deno.utime(`${dir}/${f}`, past, past);
    }
    await Deno.writeTextFile(`${dir}/.bundle/fresh.sh`, freshnessScript(files));
    await Deno.writeTextFile(`${dir}/.bundle/stamp`, "");
    const fresh = async () =>
      (await run("sh", ["-c", '. "$1/.bundle/fresh.sh" && sshmux_bundle_fresh "$1"', "sh", dir]))
        .code;
    assertEquals(await fresh(), 0);
    const later = new Date(Date.now() + 2_000);
    await Deno.utime(`${dir}/lib/sub/b.ts`, later, later);
    assertEquals(await fresh(), 1);
    // A file the bundle was built from that is gone: test -nt is false, and so the file that
    // imported it, edited to stop doing so, is what makes the bundle stale.
    await Deno.utime(`${dir}/lib/sub/b.ts`, past, past);
    await Deno.remove(`${dir}/lib/a.ts`);
    assertEquals(await fresh(), 0);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
  assertThrows(() => freshnessScript(["lib/a b.ts"]), Error, "unexpected source file name");
  assertThrows(() => freshnessScript(["lib/$(x).ts"]), Error, "unexpected source file name");
});

Deno.test("bundle: a new build keeps the last week's chunks, never the old entry", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const prev = `${dir}/prev`, out = `${dir}/out`;
    await Deno.mkdir(prev);
    await Deno.mkdir(out);
    const now = new Date();
    const week = 7 * 24 * 3600_000;
    const put = async (path: string, text: string, ageMs: number) => {
      await Deno.writeTextFile(path, text);
      const t = new Date(now.getTime() - ageMs);
      await Deno.utime(path, t, t);
    };
    await put(`${prev}/plain-AAAAAAAA.js`, "old build's lazy chunk", 3600_000);
    await put(`${prev}/chunk-BBBBBBBB.js`, "too old", week + 3600_000);
    await put(`${prev}/chunk-CCCCCCCC.js`, "same name, same contents", 60_000);
    await put(`${prev}/main.js`, "old entry", 60_000);
    await put(`${prev}/fresh.sh`, "old list", 60_000);
    await put(`${out}/chunk-CCCCCCCC.js`, "same name, same contents", 0);
    await put(`${out}/main.js`, "new entry", 0);
    await keepRecentChunks(prev, out, now);
    const names = [...Deno.readDirSync(out)].map((e) => e.name).sort();
    assertEquals(names, ["chunk-CCCCCCCC.js", "main.js", "plain-AAAAAAAA.js"]);
    assertEquals(await Deno.readTextFile(`${out}/main.js`), "new entry");
    assertEquals(await Deno.readTextFile(`${out}/plain-AAAAAAAA.js`), "old build's lazy chunk");
    // No previous build at all is fine.
    await keepRecentChunks(`${dir}/none`, out, now);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
