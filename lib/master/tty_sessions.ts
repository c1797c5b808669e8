// The tty sessions a master holds, and the one SIGWINCH listener for all of them: a stock mux
// client relays its window changes as kill(master pid, SIGWINCH) (mux.c
// control_client_sigrelay), so on every signal each session re-reads its client's terminal
// size and sends window-change where it changed.
import { listenForSignal } from "../inherited_signals.ts";

export interface WindowTracker {
  windowChanged(): void;
}

export class TtySessions {
  #sessions = new Set<WindowTracker>();
  #listening = false;
  readonly #onWinch = () => {
    for (const s of this.#sessions) s.windowChanged();
  };

  /** Starts relaying window changes to `s`; returns the function that stops it. */
  track(s: WindowTracker): () => void {
    this.#sessions.add(s);
    if (!this.#listening) {
      try {
        listenForSignal("SIGWINCH", this.#onWinch);
        this.#listening = true;
      } catch { /* no SIGWINCH on this platform */ }
    }
    return () => {
      this.#sessions.delete(s);
      if (this.#sessions.size === 0) this.#stop();
    };
  }

  get size(): number {
    return this.#sessions.size;
  }

  #stop(): void {
    if (!this.#listening) return;
    this.#listening = false;
    Deno.removeSignalListener("SIGWINCH", this.#onWinch);
  }

  close(): void {
    this.#sessions.clear();
    this.#stop();
  }
}
