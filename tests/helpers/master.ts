// A mux master for interop tests, of either kind: OpenSSH's (`ssh -M`) or ours (`sshmux -M`),
// started with the very same argv (`-M -N -S ctl -F cfg [extra] host`) against a throwaway sshd.
// Every master test is written against this factory and registered once per kind with
// masterTest(), so the same assertions hold OpenSSH's master and ours to one behaviour.
//
// Readiness is polled with the stock client's `-O check` (never a fixed sleep). The master's pid
// is the one `-O check` reports: without -f that is the process we started (tools such as
// Net::OpenSSH depend on it), with -f it is the background process.

import { run, type RunOptions, type RunResult, sshmuxPath, waitFor } from "./run.ts";
import { type Sshd, type SshdOptions, startSshd } from "./sshd.ts";

export type MasterKind = "stock" | "sshmux";
export const MASTER_KINDS: readonly MasterKind[] = ["stock", "sshmux"];

/** Which program plays the mux client in a test: OpenSSH's `ssh` or `sshmux`. */
export type ClientKind = "ssh" | "sshmux";

/** The program started as the master for a kind. */
export function masterProgram(kind: MasterKind): string {
  return kind === "stock" ? "ssh" : sshmuxPath();
}

/** The program used as the mux client (`ssh -S ctl ...`) for a kind. */
export function clientProgram(kind: ClientKind): string {
  return kind === "ssh" ? "ssh" : sshmuxPath();
}

/**
 * Registers `fn` once per master kind, as "<name> [stock master]" and "<name> [sshmux master]":
 * every scenario must hold for OpenSSH's master and for ours.
 */
export function masterTest(
  name: string,
  fn: (kind: MasterKind, t: Deno.TestContext) => Promise<void>,
): void {
  for (const kind of MASTER_KINDS) {
    Deno.test({
      name: `${name} [${kind} master]`,
      fn: (t) => fn(kind, t),
    });
  }
}

/**
 * startSshd() for master tests. `SetEnv SHLVL=1` keeps bash (the remote user's shell) from
 * sourcing ~/.bashrc for every command, which it does when run by sshd at shell level 1: on a
 * machine whose root .bashrc runs `pyenv init`, that alone costs ~2 s per session.
 */
export function startMasterSshd(opts: SshdOptions = {}): Promise<Sshd> {
  return startSshd({ ...opts, sshdConfig: ["SetEnv SHLVL=1", ...(opts.sshdConfig ?? [])] });
}

export interface MasterOptions {
  /** Extra arguments before the host (e.g. ["-o", "SendEnv=_XXX_TEST", "-L", "..."]). */
  args?: string[];
  /** The ControlPath (default: a fresh name in the sshd's directory). */
  ctl?: string;
  /** Destination argument (default "x"; the test ssh_config maps every host to the sshd). */
  host?: string;
  /** Pass -f: the started process backgrounds the master and exits. */
  fork?: boolean;
  /** Leave out -N (the caller passes its own command in `command`). */
  noN?: boolean;
  /** A remote command for the master's own session (after the host). */
  command?: string[];
  /** Environment for the master process. */
  env?: Record<string, string>;
  /** How long to wait for `-O check` to succeed (default 90 s: other suites load the machine). */
  readyTimeoutMs?: number;
}

export interface Master {
  kind: MasterKind;
  /** The program that was started (ssh or the sshmux launcher). */
  program: string;
  ctl: string;
  sshd: Sshd;
  /** The process that serves the socket (pid from `-O check`). */
  pid: number;
  /** The process we started (== pid unless -f). */
  child: Deno.ChildProcess;
  /** Resolves when the started process exits. */
  status: Promise<Deno.CommandStatus>;
  /** Everything the started process (and, with -f, the background master) wrote to stderr. */
  stderr(): string;
  /** `ssh -F cfg -S ctl -O <op> [args] x` with the stock client (or `client`). */
  control(op: string, args?: string[], client?: ClientKind): Promise<RunResult>;
  /** True while the master process exists (zombies count as gone). */
  alive(): boolean;
  /** Waits until the master process is gone. */
  waitGone(timeoutMs?: number): Promise<void>;
  /** `-O exit` (if still alive), waits for the process, SIGKILL as a last resort. Idempotent. */
  stop(): Promise<void>;
}

const dec = new TextDecoder();

/** True while `pid` exists and is not a zombie. */
export function processAlive(pid: number): boolean {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
    return state !== "Z" && state !== "X";
  } catch {
    return false;
  }
}

export function pathExists(p: string): boolean {
  try {
    Deno.lstatSync(p);
    return true;
  } catch {
    return false;
  }
}

/** Parses "Master running (pid=N)" from `-O check` stderr; 0 if absent. */
export function checkPid(stderr: string): number {
  const m = stderr.match(/Master running \(pid=(\d+)\)/);
  return m ? parseInt(m[1], 10) : 0;
}

/** The argv a master of any kind is started with (ssh's flags; sshmux takes the same). */
export function masterArgs(sshd: Sshd, ctl: string, opts: MasterOptions = {}): string[] {
  return [
    "-M",
    ...(opts.noN ? [] : ["-N"]),
    ...(opts.fork ? ["-f"] : []),
    "-S",
    ctl,
    "-F",
    sshd.config,
    ...(opts.args ?? []),
    opts.host ?? "x",
    ...(opts.command ?? []),
  ];
}

/**
 * The argv of a `ControlMaster=auto` call with ControlPersist: the first one for `ctl` starts a
 * background master, later ones (or racing ones) use it. `-F cfg ... x command`.
 */
export function autoMuxArgs(sshd: Sshd, ctl: string, persist: string, command: string): string[] {
  return [
    "-F",
    sshd.config,
    "-o",
    "ControlMaster=auto",
    "-o",
    `ControlPersist=${persist}`,
    "-o",
    `ControlPath=${ctl}`,
    "x",
    command,
  ];
}

export async function startMaster(
  kind: MasterKind,
  sshd: Sshd,
  opts: MasterOptions = {},
): Promise<Master> {
  const program = masterProgram(kind);
  const ctl = opts.ctl ?? `${sshd.dir}/ctl-${Math.random().toString(36).slice(2, 8)}`;
  const child = new Deno.Command(program, {
    args: masterArgs(sshd, ctl, opts),
    stdin: "null",
    stdout: "null",
    stderr: "piped",
    env: opts.env,
  }).spawn();
  let exited: Deno.CommandStatus | null = null;
  const status = child.status.then((s) => {
    exited = s;
    return s;
  });
  // Drain stderr in the background (a full pipe would stall the master); with -f the
  // background master may keep the pipe open until it exits.
  const chunks: Uint8Array[] = [];
  const reader = child.stderr.getReader();
  const drained = (async () => {
    try {
      while (true) {
        const { value, done } = await reader.read();
        if (done) break;
        chunks.push(value);
      }
    } catch { /* cancelled */ }
  })();
  const stderr = () => chunks.map((c) => dec.decode(c)).join("");

  const control = (op: string, args: string[] = [], client: ClientKind = "ssh") =>
    run(clientProgram(client), ["-F", sshd.config, "-S", ctl, "-O", op, ...args, opts.host ?? "x"]);

  // -f and ControlPersist put the master in the background: the started process exits 0.
  const backgrounds = !!opts.fork ||
    (opts.args ?? []).some((a) => /ControlPersist=(?!no$)/i.test(a));
  let pid = 0;
  try {
    await waitFor(`${kind} master ready`, async () => {
      const e = exited as Deno.CommandStatus | null;
      if (e && (!backgrounds || e.code !== 0)) {
        throw new Error(`${kind} master exited early (code ${e.code}): ${stderr()}`);
      }
      const r = await control("check");
      if (r.code !== 0) return false;
      pid = checkPid(r.err);
      return pid > 0;
    }, opts.readyTimeoutMs ?? 90_000);
  } catch (e) {
    try {
      child.kill("SIGKILL");
    } catch { /* gone */ }
    await status;
    await reader.cancel().catch(() => {});
    await drained;
    throw e;
  }

  const alive = () => processAlive(pid);
  const waitGone = (timeoutMs = 30_000) =>
    waitFor(`${kind} master ${pid} gone`, () => !alive(), timeoutMs);
  let stopped = false;
  return {
    kind,
    program,
    ctl,
    sshd,
    pid,
    child,
    status,
    stderr,
    control,
    alive,
    waitGone,
    async stop() {
      if (stopped) return;
      stopped = true;
      if (alive()) {
        await control("exit").catch(() => {});
        await waitGone(5_000).catch(() => {
          try {
            Deno.kill(pid, "SIGKILL");
          } catch { /* gone */ }
        });
      }
      if (!exited) {
        const t = setTimeout(() => {
          try {
            child.kill("SIGKILL");
          } catch { /* gone */ }
        }, 5_000);
        await status;
        clearTimeout(t);
      }
      // The background master of -f may be gone while a grandchild still holds the pipe.
      const t = setTimeout(() => reader.cancel().catch(() => {}), 2_000);
      await drained;
      clearTimeout(t);
      await reader.cancel().catch(() => {});
    },
  };
}

/** Runs the chosen client as `<client> -F cfg -S ctl args...`. */
export function muxRun(
  client: ClientKind,
  master: Master,
  args: string[],
  opts?: RunOptions,
): Promise<RunResult> {
  return run(clientProgram(client), ["-F", master.sshd.config, "-S", master.ctl, ...args], opts);
}

/** Shell-quotes one word for `bash -c` lines. */
export function q(s: string): string {
  return `'${s.replaceAll("'", `'\\''`)}'`;
}

/** The client command line as a shell string: `<client> -F cfg -S ctl` (quoted). */
export function clientLine(client: ClientKind, master: Master): string {
  return `${q(clientProgram(client))} -F ${q(master.sshd.config)} -S ${q(master.ctl)}`;
}
