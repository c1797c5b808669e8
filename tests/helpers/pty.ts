// A shell command line on a fresh pty (script(1)) that a test can type into and watch.
// script's stdin stays open until finish(): at EOF on it, script would type ^D into the pty.

import { waitFor } from "./run.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

export class PtySession {
  #child: Deno.ChildProcess;
  #writer: WritableStreamDefaultWriter<Uint8Array>;
  #chunks: Uint8Array[] = [];
  #reading: Promise<void>;
  #timer: ReturnType<typeof setTimeout>;
  #killedByTimeout = false;

  /** Runs `inner` with `bash -c` on a new pty; killed after `timeoutMs` (default 60 s). */
  constructor(inner: string, timeoutMs = 60_000) {
    this.#child = new Deno.Command("script", {
      args: ["-qec", inner, "/dev/null"],
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
      env: { SHELL: "/bin/bash" },
    }).spawn();
    this.#writer = this.#child.stdin.getWriter();
    const reader = this.#child.stdout.getReader();
    this.#reading = (async () => {
      while (true) {
        const { value, done } = await reader.read();
        if (done) break;
        this.#chunks.push(value);
      }
    })().catch(() => {});
    this.#timer = setTimeout(() => {
      this.#killedByTimeout = true;
      try {
        this.#child.kill("SIGKILL");
      } catch { /* gone */ }
    }, timeoutMs);
  }

  /** Everything the pty showed so far. */
  output(): string {
    return this.#chunks.map((c) => dec.decode(c)).join("");
  }

  /** Waits until the output matches. */
  async waitOutput(what: RegExp | string, timeoutMs = 20_000): Promise<void> {
    const ok = () =>
      typeof what === "string" ? this.output().includes(what) : what.test(this.output());
    try {
      await waitFor(`pty output ${what}`, ok, timeoutMs);
    } catch (e) {
      throw new Error(`${(e as Error).message}; output so far:\n${JSON.stringify(this.output())}`);
    }
  }

  /** Types bytes into the pty. */
  async type(keys: string): Promise<void> {
    await this.#writer.write(enc.encode(keys));
  }

  /** Waits for the inner command to end; returns its output and script's exit code. */
  async finish(): Promise<{ out: string; code: number }> {
    const st = await this.#child.status;
    clearTimeout(this.#timer);
    await this.#reading;
    await this.#writer.close().catch(() => {});
    await this.#child.stderr.cancel().catch(() => {});
    if (this.#killedByTimeout) throw new Error(`pty session timed out:\n${this.output()}`);
    return { out: this.output(), code: st.code };
  }

  /** Kills script (and so the pty's session) if still running; for finally blocks. */
  async close(): Promise<void> {
    try {
      this.#child.kill("SIGKILL");
    } catch { /* gone */ }
    await this.finish().catch(() => {});
  }
}
