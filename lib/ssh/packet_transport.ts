// The seam between the SSH connection layer (channels, sessions, forwards) and what carries its
// packets: the encrypted TCP transport, a mux proxy socket (`-O proxy`), or memory in tests.
// A payload is one SSH message: the message-type byte first, no length, padding or MAC.

export interface PacketTransport {
  /**
   * Queues one message payload. Resolves when the transport has accepted it (it may still be
   * buffered); awaiting it is the backpressure signal. Rejects once the transport is closed.
   */
  send(payload: Uint8Array): Promise<void>;
  /** The next message payload, or null once the peer closed the transport cleanly. */
  receive(): Promise<Uint8Array | null>;
  /**
   * Optional: a message already received and not yet taken, or undefined (then call
   * receive()). Lets a reader take a burst of messages without a promise for each.
   */
  receiveQueued?(): Uint8Array | undefined;
  /** Closes the transport. Pending receive() resolves null; later send() rejects. */
  close(): void;
  /** Starts a key exchange now, where there are keys of our own to renew (not over mux proxy). */
  rekey?(): void;
}
