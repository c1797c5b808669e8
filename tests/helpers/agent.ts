// A throwaway OpenSSH ssh-agent on a socket of our choosing, for tests that need keys (or
// certificates) held by an agent.

import { waitFor } from "./run.ts";

export interface TestAgent {
  sock: string;
  /** Stops the agent and waits for it to exit. */
  stop(): Promise<void>;
}

/** Starts `ssh-agent -D -a sock` and waits until its socket is there. */
export async function startAgent(sock: string): Promise<TestAgent> {
  const proc = new Deno.Command("ssh-agent", {
    args: ["-D", "-a", sock],
    stdout: "null",
    stderr: "null",
  }).spawn();
  const stop = async () => {
    try {
      proc.kill("SIGTERM");
    } catch { /* already gone */ }
    await proc.status;
  };
  try {
    await waitFor("agent socket", () => {
      try {
        return Deno.statSync(sock).isSocket === true;
      } catch {
        return false;
      }
    });
  } catch (e) {
    await stop();
    throw e;
  }
  return { sock, stop };
}
