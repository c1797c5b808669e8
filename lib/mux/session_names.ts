// Session names and signal names of sshmux's own requests (MUX_C_SSHMUX_SET_NAME / _SIGNAL),
// checked the same way by the client (before sending) and the master (on receipt).

/** A name: 1–64 of [A-Za-z0-9._-], starting with a letter or digit, not all digits (ids are). */
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** Why `name` cannot name a session, or undefined when it can. */
export function sessionNameProblem(name: string): string | undefined {
  if (!NAME.test(name)) {
    return `invalid session name "${visible(name)}": use 1-64 of A-Z a-z 0-9 . _ - ` +
      `starting with a letter or digit`;
  }
  if (/^[0-9]+$/.test(name)) return `invalid session name "${name}": all digits (ids are)`;
  return undefined;
}

/** RFC 4254 §6.10 signal names (the ones sshd maps to local signals). */
export const RFC4254_SIGNALS = [
  "ABRT",
  "ALRM",
  "FPE",
  "HUP",
  "ILL",
  "INT",
  "KILL",
  "PIPE",
  "QUIT",
  "SEGV",
  "TERM",
  "USR1",
  "USR2",
] as const;

/** "TERM", "SIGTERM", "term" or "15" → "TERM"; undefined for anything else. */
export function normalizeSignal(text: string): string | undefined {
  const upper = text.trim().toUpperCase();
  const bare = upper.startsWith("SIG") ? upper.slice(3) : upper;
  if ((RFC4254_SIGNALS as readonly string[]).includes(bare)) return bare;
  const byNumber: Record<string, string> = {
    "1": "HUP",
    "2": "INT",
    "3": "QUIT",
    "6": "ABRT",
    "9": "KILL",
    "14": "ALRM",
    "15": "TERM",
  };
  return byNumber[bare];
}

/** A peer's string fit to quote in a reply or a log line: control bytes as "?", at most 80. */
export function visible(s: string): string {
  // deno-lint-ignore no-control-regex
  return s.replace(/[\x00-\x1f\x7f]/g, "?").slice(0, 80);
}
