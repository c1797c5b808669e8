// When to start our own rekey: after RekeyLimit bytes (payload, both directions) or seconds
// since the last key exchange (ssh_config RekeyLimit; defaults 1 GiB and, as ssh, no time
// limit). The timer is unref'd so an idle transport does not keep the process alive.

export class RekeyPolicy {
  private bytes = 0;
  private since = Date.now();
  private timer: ReturnType<typeof setInterval> | undefined;

  constructor(private readonly limitBytes: number, private readonly limitSeconds: number) {}

  /** Calls `check` periodically so a time limit fires on an idle connection too. */
  start(check: () => void): void {
    if (this.limitSeconds <= 0 || this.timer !== undefined) return;
    this.timer = setInterval(check, Math.min(this.limitSeconds, 60) * 1000);
    Deno.unrefTimer(this.timer as unknown as number);
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  count(payloadBytes: number): void {
    this.bytes += payloadBytes;
  }

  /** A key exchange just completed. */
  reset(): void {
    this.bytes = 0;
    this.since = Date.now();
  }

  due(): boolean {
    return (this.limitBytes > 0 && this.bytes >= this.limitBytes) ||
      (this.limitSeconds > 0 && Date.now() - this.since >= this.limitSeconds * 1000);
  }
}
