// What a control connection runs over. A ControlPath connection is a UnixSocket (fd passing
// included); `sshmux -M -S -` serves one connection on its own stdin/stdout instead
// (stdio_stream.ts), where no fds can travel, so only requests without fds work there.

import type { RawFd } from "../../ffi/mod.ts";

export interface ControlStream {
  readonly closed: boolean;
  /** Exactly n bytes; null at a clean EOF before the first byte, EofError part-way. */
  readExact(n: number): Promise<Uint8Array | null>;
  /** Whatever is there, up to max bytes (at least 1); null at EOF. */
  readSome(max: number): Promise<Uint8Array | null>;
  /** Writes all bytes, in call order with other writes. */
  write(data: Uint8Array): Promise<void>;
  /** One passed fd (SCM_RIGHTS); rejects where the stream cannot carry fds. */
  recvFd(): Promise<RawFd>;
  /** Drops unread input without waiting (so the peer sees EOF, not a reset). */
  discardPending(): void;
  close(): void;
}
