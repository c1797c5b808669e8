// The one logger. Levels follow OpenSSH's LogLevel; `-v` raises, `-q` lowers, `-E file` redirects.
// Never pass keys, passwords or payload bytes to it. Every line is sanitised like ssh's (vis.ts).

import { visLog } from "./vis.ts";

export const LogLevel = {
  QUIET: 0,
  FATAL: 1,
  ERROR: 2,
  INFO: 3,
  VERBOSE: 4,
  DEBUG1: 5,
  DEBUG2: 6,
  DEBUG3: 7,
} as const;
export type LogLevel = typeof LogLevel[keyof typeof LogLevel];

const names: Record<string, LogLevel> = {
  quiet: LogLevel.QUIET,
  fatal: LogLevel.FATAL,
  error: LogLevel.ERROR,
  info: LogLevel.INFO,
  verbose: LogLevel.VERBOSE,
  debug: LogLevel.DEBUG1,
  debug1: LogLevel.DEBUG1,
  debug2: LogLevel.DEBUG2,
  debug3: LogLevel.DEBUG3,
};

/** Parses a LogLevel keyword as ssh_config spells it (case-insensitive); undefined if unknown. */
export function parseLogLevel(word: string): LogLevel | undefined {
  return names[word.toLowerCase()];
}

type Sink = (line: string) => void;

const encoder = new TextEncoder();
const stderrSink: Sink = (line) => {
  try {
    Deno.stderr.writeSync(encoder.encode(line));
  } catch {
    // stderr gone (closed pipe): nothing sensible left to do with a log line.
  }
};

let level: LogLevel = LogLevel.INFO;
let sink: Sink = stderrSink;
let prefix = "";

export function setLogLevel(l: LogLevel): void {
  level = l;
}
export function getLogLevel(): LogLevel {
  return level;
}
/** ssh's name for a level ("DEBUG1", "INFO"), as `~v` prints it. */
export function logLevelName(l: LogLevel): string {
  return Object.entries(LogLevel).find(([, v]) => v === l)?.[0] ?? String(l);
}
/** False once `-E file` redirected the log (ssh's log_is_on_stderr). */
export function logIsOnStderr(): boolean {
  return sink === stderrSink;
}
/** Prefix for every line, e.g. "mux master: " in a background master's log file. */
export function setLogPrefix(p: string): void {
  prefix = p;
}
/** Redirects log output to a file (ssh -E). Appends, like ssh. */
export function logToFile(path: string): void {
  const file = Deno.openSync(path, { create: true, append: true });
  sink = (line) => file.writeSync(encoder.encode(line));
}
/** For tests: capture lines instead of writing them. Returns a restore function. */
export function captureLog(into: string[]): () => void {
  const old = sink;
  sink = (line) => into.push(line);
  return () => {
    sink = old;
  };
}

function emit(at: LogLevel, msg: string): void {
  if (level < at) return;
  // ssh ends log lines with \r\n so they stay readable when the tty is in raw mode.
  // Like ssh's do_log: messages carry peer and file text raw; escaping happens here, once.
  sink(`${prefix}${visLog(msg)}\r\n`);
}

export const log = {
  fatal: (msg: string) => emit(LogLevel.FATAL, msg),
  error: (msg: string) => emit(LogLevel.ERROR, msg),
  info: (msg: string) => emit(LogLevel.INFO, msg),
  verbose: (msg: string) => emit(LogLevel.VERBOSE, msg),
  debug: (msg: string) => emit(LogLevel.DEBUG1, `debug1: ${msg}`),
  debug2: (msg: string) => emit(LogLevel.DEBUG2, `debug2: ${msg}`),
  debug3: (msg: string) => emit(LogLevel.DEBUG3, `debug3: ${msg}`),
  enabled: (at: LogLevel) => level >= at,
};
