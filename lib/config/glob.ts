// A small glob(3) for Include: `*`, `?` and `[...]` within path segments, sorted results.

function segmentRegex(seg: string): RegExp {
  let re = "";
  for (let i = 0; i < seg.length; i++) {
    const c = seg[i];
    if (c === "*") re += "[^/]*";
    else if (c === "?") re += "[^/]";
    else if (c === "[") {
      const close = seg.indexOf("]", i + 2);
      if (close < 0) re += "\\[";
      else {
        let body = seg.slice(i + 1, close);
        if (body.startsWith("!")) body = "^" + body.slice(1);
        re += `[${body.replace(/\\/g, "\\\\")}]`;
        i = close;
      }
    } else re += c.replace(/[.+^${}()|\\]/g, "\\$&");
  }
  return new RegExp(`^${re}$`);
}

const MAGIC = /[*?[]/;

/** Expands an absolute pattern to the existing paths it matches, sorted; [] if none. */
export function globPaths(pattern: string): string[] {
  if (!MAGIC.test(pattern)) {
    try {
      Deno.statSync(pattern);
      return [pattern];
    } catch {
      return [];
    }
  }
  const segs = pattern.split("/");
  let paths = [segs[0] === "" ? "" : "."];
  const absolute = segs[0] === "";
  for (let k = absolute ? 1 : 0; k < segs.length; k++) {
    const seg = segs[k];
    const nextPaths: string[] = [];
    for (const base of paths) {
      const dir = base === "" ? "/" : base;
      if (!MAGIC.test(seg)) {
        nextPaths.push(`${base}/${seg}`);
        continue;
      }
      const re = segmentRegex(seg);
      let names: string[] = [];
      try {
        names = [...Deno.readDirSync(dir)].map((e) => e.name);
      } catch {
        continue;
      }
      for (const name of names.sort()) {
        // Like glob(3), wildcards do not match a leading dot.
        if (name.startsWith(".") && !seg.startsWith(".")) continue;
        if (re.test(name)) nextPaths.push(`${base}/${name}`);
      }
    }
    paths = nextPaths;
  }
  const out = paths.map((p) => (absolute ? p : p.replace(/^\.\//, ""))).filter((p) => {
    try {
      Deno.statSync(p);
      return true;
    } catch {
      return false;
    }
  });
  return out.sort();
}
