// ssh's wildcard matching (match.c): `*` and `?` globs, comma lists with `!` negation. One home
// for the config parser, known_hosts, auth and the session's SendEnv alike.

/** Glob match of the whole string; `*` = any run, `?` = any one character. Case-sensitive. */
export function matchPattern(s: string, pattern: string): boolean {
  // Iterative two-pointer glob with backtracking to the last `*`: linear-ish, no recursion,
  // so hostile patterns from a config file cannot blow the stack.
  let si = 0, pi = 0, starP = -1, starS = 0;
  while (si < s.length) {
    const pc = pattern[pi];
    if (pc === "*") {
      starP = pi++;
      starS = si;
    } else if (pi < pattern.length && (pc === "?" || pc === s[si])) {
      pi++;
      si++;
    } else if (starP >= 0) {
      pi = starP + 1;
      si = ++starS;
    } else {
      return false;
    }
  }
  while (pattern[pi] === "*") pi++;
  return pi === pattern.length;
}

/**
 * Matches against a comma-separated pattern list: 1 = a positive pattern matched, -1 = a
 * negated (`!pat`) pattern matched (which always wins), 0 = nothing matched.
 */
export function matchPatternList(s: string, list: string, lowercase: boolean): 1 | 0 | -1 {
  let got: 1 | 0 = 0;
  for (const raw of list.split(",")) {
    const negated = raw.startsWith("!");
    let pat = negated ? raw.slice(1) : raw;
    if (lowercase) pat = pat.toLowerCase();
    if (matchPattern(s, pat)) {
      if (negated) return -1;
      got = 1;
    }
  }
  return got;
}

/** Host name matching: case-insensitive pattern list (match_hostname). */
export function matchHostname(host: string, list: string): 1 | 0 | -1 {
  return matchPatternList(host.toLowerCase(), list, true);
}
