// Splitting one ssh_config / -o line into keyword and arguments, as readconf.c does:
// the keyword ends at whitespace or one `=`; arguments are split like a shell word list
// (quotes, backslash escapes), and a `#` at the start of an argument ends the line.

const WS = " \t\r\n";

export type SplitLine =
  | { kind: "empty" }
  | { kind: "error"; message: string }
  | { kind: "line"; keyword: string; rest: string; args: string[] };

/** strdelim(): next token from `s` at `pos`, splitting on whitespace, a quote or one '='. */
function strdelim(s: string, pos: number): { token: string; next: number | null } | null {
  let i = pos;
  while (i < s.length && !(WS.includes(s[i]) || s[i] === '"' || s[i] === "=")) i++;
  if (i >= s.length) return { token: s.slice(pos), next: null };
  if (s[i] === '"') {
    const close = s.indexOf('"', i + 1);
    if (close < 0) return null; // unmatched quote
    const token = s.slice(pos, i) + s.slice(i + 1, close);
    let j = close + 1;
    while (j < s.length && WS.includes(s[j])) j++;
    return { token, next: j };
  }
  const sawEquals = s[i] === "=";
  const token = s.slice(pos, i);
  let j = i + 1;
  while (j < s.length && WS.includes(s[j])) j++;
  if (!sawEquals && s[j] === "=") {
    j++;
    while (j < s.length && WS.includes(s[j])) j++;
  }
  return { token, next: j };
}

/** argv_split(): shell-like word splitting with `"`/`'` quotes and `\` escapes. */
export function argvSplit(s: string, terminateOnComment: boolean): string[] | null {
  const out: string[] = [];
  let i = 0;
  while (i < s.length) {
    if (s[i] === " " || s[i] === "\t") {
      i++;
      continue;
    }
    if (terminateOnComment && s[i] === "#") break;
    let quote = "";
    let arg = "";
    for (; i < s.length; i++) {
      const c = s[i];
      if (c === "\\") {
        const n = s[i + 1];
        if (n === "'" || n === '"' || n === "\\" || (quote === "" && n === " ")) {
          arg += n;
          i++;
        } else {
          arg += c; // unrecognised escape is kept as is
        }
      } else if (quote === "" && (c === " " || c === "\t")) {
        break;
      } else if (quote === "" && (c === '"' || c === "'")) {
        quote = c;
      } else if (quote !== "" && c === quote) {
        quote = "";
      } else {
        arg += c;
      }
    }
    if (quote !== "") return null;
    out.push(arg);
  }
  return out;
}

/**
 * Splits a config line. `where` is the prefix for messages, e.g. "/path line 3" or
 * "command-line line 0".
 */
export function splitConfigLine(line: string, where: string): SplitLine {
  // Trailing whitespace (and form feed) is dropped first, like ssh.
  let end = line.length;
  while (end > 0 && (WS + "\f").includes(line[end - 1])) end--;
  const s = line.slice(0, end);
  if (s === "") return { kind: "empty" };
  let d = strdelim(s, 0);
  if (d && d.token === "" && d.next !== null) d = strdelim(s, d.next);
  if (!d || d.token === "" || d.token.startsWith("#")) return { kind: "empty" };
  const keyword = d.token.toLowerCase();
  let rest = d.next === null ? "" : s.slice(d.next);
  rest = rest.replace(/^[ \t\r\n]+/, "");
  if (rest === "") {
    return { kind: "error", message: `${where}: no argument after keyword "${keyword}"` };
  }
  const args = argvSplit(rest, true);
  if (!args) return { kind: "error", message: `${where}: invalid quotes` };
  return { kind: "line", keyword, rest, args };
}
