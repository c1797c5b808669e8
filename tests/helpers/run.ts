// Runs a command for a test and captures its output. Fails loudly (never skips) when the
// program is missing, so interop tests go red in CI without OpenSSH.

export interface RunResult {
  code: number;
  signal: Deno.Signal | null;
  stdout: Uint8Array;
  stderr: Uint8Array;
  /** stdout as text */
  out: string;
  /** stderr as text */
  err: string;
}

export interface RunOptions {
  stdin?: Uint8Array | string | "null" | "inherit";
  env?: Record<string, string>;
  cwd?: string;
  /** Kill after this many ms (default 60 s) and throw. */
  timeoutMs?: number;
}

const dec = new TextDecoder();

export async function run(cmd: string, args: string[], opts: RunOptions = {}): Promise<RunResult> {
  const stdinMode = opts.stdin === undefined || opts.stdin === "null"
    ? "null"
    : opts.stdin === "inherit"
    ? "inherit"
    : "piped";
  const child = new Deno.Command(cmd, {
    args,
    stdin: stdinMode,
    stdout: "piped",
    stderr: "piped",
    env: opts.env,
    cwd: opts.cwd,
  }).spawn();
  if (stdinMode === "piped") {
    const w = child.stdin.getWriter();
    const data = typeof opts.stdin === "string"
      ? new TextEncoder().encode(opts.stdin)
      : opts.stdin as Uint8Array;
    // Write in the background: a large input must not deadlock against unread output.
    (async () => {
      try {
        await w.write(data);
        await w.close();
      } catch { /* the child exited before reading all of it */ }
    })();
  }
  const timeoutMs = opts.timeoutMs ?? 60_000;
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    try {
      child.kill("SIGKILL");
    } catch { /* already gone */ }
  }, timeoutMs);
  const res = await child.output();
  clearTimeout(timer);
  if (timedOut) {
    throw new Error(
      `${cmd} ${args.join(" ")} timed out after ${timeoutMs} ms\nstdout: ${
        dec.decode(res.stdout).slice(-2000)
      }\nstderr: ${dec.decode(res.stderr).slice(-2000)}`,
    );
  }
  return {
    code: res.code,
    signal: res.signal,
    stdout: res.stdout,
    stderr: res.stderr,
    out: dec.decode(res.stdout),
    err: dec.decode(res.stderr),
  };
}

/** Runs a shell command line (bash -c). */
export function sh(line: string, opts: RunOptions = {}): Promise<RunResult> {
  return run("bash", ["-c", line], opts);
}

/** Path of the sshmux launcher (or SSHMUX_BIN when testing a compiled binary). */
export function sshmuxPath(): string {
  return Deno.env.get("SSHMUX_BIN") ?? new URL("../../scripts/sshmux", import.meta.url).pathname;
}

/**
 * An extended regex (for pgrep -f and RegExp) for what a running sshmux's command line holds:
 * the compiled binary, or the entry the launcher execs (.bundle/main.js while the bundle is
 * fresh, main.ts otherwise).
 */
export function sshmuxCmdlinePattern(): string {
  const bin = Deno.env.get("SSHMUX_BIN");
  return bin ? bin.replace(/[.*+?^${}()|[\]\\]/g, "\\$&") : "(/main\\.ts|/\\.bundle/main\\.js)";
}

/** Polls `check` every 50 ms until it returns true, or throws after `timeoutMs`. */
export async function waitFor(
  what: string,
  check: () => boolean | Promise<boolean>,
  timeoutMs = 15_000,
): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Number of open fds of a process (Linux /proc). */
export function fdCount(pid: number): number {
  let n = 0;
  for (const _ of Deno.readDirSync(`/proc/${pid}/fd`)) n++;
  return n;
}

/**
 * `argv` as a command and arguments that exec it with SIGHUP/INT/QUIT/TERM (and SIGPIPE) at
 * their defaults except `ignored` (names like "SIGHUP"), whatever this process inherited: a test
 * runner started by `cmd &` or nohup passes its ignored signals on, and a shell cannot un-ignore
 * a signal it was started with (POSIX), so python3 (installed by setup.sh) sets them.
 */
export function withSignals(ignored: string[], argv: string[]): [string, string[]] {
  const code = [
    "import os, signal, sys",
    "ign = set(sys.argv[1].split(',')) - {''}",
    "for name in ('SIGHUP', 'SIGINT', 'SIGQUIT', 'SIGTERM', 'SIGPIPE'):",
    "    signal.signal(getattr(signal, name), signal.SIG_IGN if name in ign else signal.SIG_DFL)",
    "os.execvp(sys.argv[2], sys.argv[2:])",
  ].join("\n");
  return ["python3", ["-c", code, ignored.join(","), ...argv]];
}

/**
 * Runs `argv` (a client whose remote command prints its first line, then more later), sends
 * it `sig` once that first line has arrived, and returns [exit code, all of stdout]. With
 * `ignore`, the client starts with `sig` ignored, as nohup (HUP) or a non-interactive shell's
 * `cmd &` (INT, QUIT) leave it; otherwise with every signal at its default.
 */
export async function signalledRun(
  argv: string[],
  sig: Deno.Signal,
  ignore: boolean,
): Promise<[number, string]> {
  const [cmd, args] = withSignals(ignore ? [sig] : [], argv);
  const child = new Deno.Command(cmd, {
    args,
    stdin: "null",
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let out = (await reader.read()).value ?? "";
  child.kill(sig);
  for (let c = await reader.read(); !c.done; c = await reader.read()) out += c.value;
  return [(await child.status).code, out];
}
