// Plain mode: `sshmux [ssh options] destination [command]` with no mux in play connects directly,
// like ssh: forwards from the command line, then the session (or -W, or nothing with -N) on our
// own stdin/stdout/stderr. Also runs over a mux proxy socket (`-O proxy`) given as `transport`.
// Returns the exit code: the remote status, or 255 for connection/auth/protocol failures.

import type { Options } from "../config/options.ts";
import { wantTtyDecision } from "../config/tty.ts";
import { backgroundReady } from "../background.ts";
import { FatalError } from "../errors.ts";
import { log } from "../log.ts";
import { connectSsh } from "./client.ts";
import {
  ForwardError,
  ForwardManager,
  runStdioForward,
  setupConfiguredForwards,
} from "./forward/mod.ts";
import type { PacketTransport } from "./packet_transport.ts";
import { sessionEnv } from "./session/env.ts";
import { startServerAlive } from "./session/keepalive.ts";
import { runSession, type RunSessionOptions } from "./session/run_session.ts";
import { type LocalStdio, processStdio } from "./session/stdio.ts";
import type { SessionKind } from "./session/session.ts";

/** ssh.c's tty_flag (lib/config's rules), with ssh's notice when stdin is not a terminal. */
export function decideTty(
  opts: Parameters<typeof wantTtyDecision>[0],
  stdinIsTty: boolean,
): boolean {
  const { tty, warn } = wantTtyDecision(opts, stdinIsTty);
  if (warn) log.info("Pseudo-terminal will not be allocated because stdin is not a terminal.");
  return tty;
}

/** The session to ask for: -N → none, -s → subsystem, a command → exec, else a shell. */
export function sessionKind(
  opts: Pick<Options, "sessionType">,
  command: string,
): SessionKind | "none" {
  if (opts.sessionType === "none") return "none";
  if (opts.sessionType === "subsystem") return "subsystem";
  return command === "" ? "shell" : "exec";
}

/** The agent ForwardAgent offers: $SSH_AUTH_SOCK, as ssh does for `ForwardAgent yes`. */
function agentSocket(): string | undefined {
  const path = Deno.env.get("SSH_AUTH_SOCK");
  if (!path) log.debug("ForwardAgent: no SSH_AUTH_SOCK, not forwarding the agent");
  return path || undefined;
}

/**
 * The session ssh runs for its own command line on its own stdio (plain mode, and a master
 * with a session of its own).
 */
export function ownSessionOptions(opts: Options, stdio: LocalStdio): RunSessionOptions {
  const command = opts.command !== "" ? opts.command : opts.remoteCommand ?? "";
  return {
    kind: sessionKind(opts, command),
    command,
    tty: decideTty(opts, stdio.terminal.isTty()),
    term: Deno.env.get("TERM") ?? "",
    env: sessionEnv(opts.sendEnv, opts.setEnv, Deno.env.toObject()),
    // -f implies -n (ssh.c).
    stdinNull: opts.stdinNull || opts.forkAfterAuthentication,
    host: opts.hostName,
    serverAliveInterval: opts.serverAliveInterval,
    serverAliveCountMax: opts.serverAliveCountMax,
    escapeChar: opts.escapeChar,
    agentSocket: opts.forwardAgent ? agentSocket() : undefined,
    handleSignals: true,
  };
}

export async function runPlainSsh(opts: Options, transport?: PacketTransport): Promise<number> {
  const client = await connectSsh(opts, transport);
  const conn = client.connection;
  const forwards = new ForwardManager({ conn, gatewayPorts: opts.gatewayPorts });
  const stdio = processStdio();
  try {
    await setupConfiguredForwards(forwards, opts);
    // Where ssh -f forks: authenticated, forwards in place, before the session starts.
    backgroundReady();
    if (opts.stdioForward) {
      let timedOut = false;
      const stopAlive = startServerAlive(
        conn,
        opts.serverAliveInterval,
        opts.serverAliveCountMax,
        () => {
          timedOut = true;
          log.error(`Timeout, server ${opts.hostName} not responding.`);
          conn.close("server not responding");
        },
      );
      try {
        await runStdioForward(conn, opts.stdioForward, {
          stdin: { read: (b) => stdio.stdin.read(b) },
          stdout: { write: async (d) => (await stdio.stdout.write(d), d.length) },
        });
      } catch (e) {
        if (e instanceof ForwardError) throw new FatalError(e.message);
        throw e;
      } finally {
        stopAlive();
      }
      return timedOut ? 255 : 0;
    }
    const run = ownSessionOptions(opts, stdio);
    return await runSession(conn, run, stdio);
  } finally {
    stdio.close?.();
    await forwards.closeAll();
    await client.close();
  }
}
