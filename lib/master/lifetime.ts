// When a master ends (clientloop.c's rules, evaluated on a short tick): ControlPersist's idle
// timeout (no mux client and no channel for that long), `-O stop` once idle when the master has
// no session of its own or persists, and a master whose own session finished once idle. Each
// returns the exit code to end with, or undefined to keep running.

export interface LifetimeState {
  idle: boolean;
  stopped: boolean;
  /** The master's own session's exit code once it finished; undefined while it runs or if none. */
  ownSessionCode?: number;
  hasOwnSession: boolean;
}

/** Exit status of a master that ran no session itself. */
export const NO_SESSION_STATUS = 255;

export class Lifetime {
  #idleSince: number | undefined;

  /** persistSeconds: undefined = no ControlPersist, 0 = forever, N = idle timeout in seconds. */
  constructor(private readonly persistSeconds: number | undefined) {}

  /** The exit code if the master should end now. */
  check(s: LifetimeState, now = Date.now()): number | undefined {
    if (!s.idle) {
      this.#idleSince = undefined;
      return undefined;
    }
    this.#idleSince ??= now;
    if (s.hasOwnSession) {
      // ssh -M host cmd: the master ends with its session's status once nothing else runs.
      return s.ownSessionCode;
    }
    // Without a session of its own ssh has no status to end with: 255, as OpenSSH 9.2 does.
    if (s.stopped) return NO_SESSION_STATUS;
    const p = this.persistSeconds;
    if (p !== undefined && p > 0 && now - this.#idleSince >= p * 1000) return NO_SESSION_STATUS;
    return undefined;
  }
}
