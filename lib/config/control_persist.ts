// Time specs (ssh's convtime), ControlPersist and ControlMaster values.
import type { ControlMasterMode } from "./options.ts";

const UNIT_SECONDS: Record<string, number> = {
  "": 1,
  s: 1,
  S: 1,
  m: 60,
  M: 60,
  h: 3600,
  H: 3600,
  d: 86400,
  D: 86400,
  w: 604800,
  W: 604800,
};
const INT_MAX = 0x7fffffff;

/**
 * Parses a time spec such as `90`, `90s`, `10m`, `1h30m`, `1.5s` into whole seconds, or
 * undefined if invalid. Fractions are allowed on seconds only and truncated, as OpenSSH
 * 10.3 does (9.x rejects them); a seconds term may appear once.
 */
export function convtime(spec: string): number | undefined {
  if (spec === "") return undefined;
  const term = /^([0-9.]+)([sSmMhHdDwW]?)/;
  let rest = spec;
  let total = 0;
  let seenSeconds = false;
  while (rest !== "") {
    const m = term.exec(rest);
    if (!m) return undefined;
    const [whole, num, unit] = m;
    // strtod-compatible decimal: digits with at most one point and at least one digit.
    if (!/^(\d+\.?\d*|\.\d+)$/.test(num)) return undefined;
    if (unit === "" || unit === "s" || unit === "S") {
      if (seenSeconds) return undefined;
      seenSeconds = true;
    }
    const mult = UNIT_SECONDS[unit];
    if (num.includes(".")) {
      // Fractions only for seconds, and "1." is not a number ssh accepts.
      if (mult > 1 || num.endsWith(".")) return undefined;
    }
    total += Number(num) * mult;
    rest = rest.slice(whole.length);
    // A bare number must be the last term (ssh steps past the terminator otherwise).
    if (unit === "" && rest !== "") return undefined;
  }
  if (!(total >= 0) || total > INT_MAX) return undefined;
  return Math.trunc(total);
}

/**
 * ControlPersist: `no`/`false` → undefined (off), `yes`/`true` → 0 (forever), time spec →
 * seconds (`0` also means forever). Keywords are case-sensitive, as in ssh. Throws on a bad
 * value via the returned `error` flag so callers can attach file/line context.
 */
export function parseControlPersist(
  value: string,
): { ok: true; persist: number | undefined } | { ok: false } {
  if (value === "no" || value === "false") return { ok: true, persist: undefined };
  if (value === "yes" || value === "true") return { ok: true, persist: 0 };
  const secs = convtime(value);
  if (secs === undefined) return { ok: false };
  return { ok: true, persist: secs };
}

const MASTER_MODES: Record<string, ControlMasterMode> = {
  true: "yes",
  yes: "yes",
  false: "no",
  no: "no",
  auto: "auto",
  ask: "ask",
  autoask: "autoask",
};

/** ControlMaster value, case-insensitive; undefined if not one of ssh's words. */
export function parseControlMaster(value: string): ControlMasterMode | undefined {
  return Object.hasOwn(MASTER_MODES, value.toLowerCase())
    ? MASTER_MODES[value.toLowerCase()]
    : undefined;
}
