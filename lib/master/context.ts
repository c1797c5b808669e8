// What the request handlers of a master may use: the shared SSH connection, its forwards, the
// master's policy and the few master-wide actions a mux client can ask for. An interface, so
// handlers are testable without a socket or a server.

import type { SshConnection } from "../ssh/connection/connection.ts";
import type { ChannelKind, ConnectionSummary } from "./connection_pool.ts";
import type { ForwardManager } from "../ssh/forward/manager.ts";
import type { MasterPolicy } from "./policy.ts";
import type { Passenger } from "./passenger.ts";
import type { ControlClient } from "./control_client.ts";

export interface MasterContext {
  /** The primary SSH connection: forwards and proxy clients live here. */
  readonly conn: SshConnection;
  readonly forwards: ForwardManager;
  readonly policy: MasterPolicy;
  /** The pid mux clients send SIGWINCH to (MUX_S_ALIVE). */
  readonly pid: number;
  /** Date.now() when the master started (listings). */
  readonly startedAt: number;
  /** The control connections being served (for names, signals and listings). */
  clients(): Iterable<ControlClient>;
  /** MUX_C_TERMINATE: end every session and the master. */
  terminate(): void;
  /** MUX_C_STOP_LISTENING: close the listener, remove the socket, let sessions finish. */
  stopListening(): void;
  /** Sessions with a tty register here to get window changes (SIGWINCH). */
  trackTty(p: Passenger): () => void;
  /** "Connection information for H pid N" text (MUX_C_EXT_INFO "connection"). */
  connectionInfo(): string;
  /** "The following connections are open:" text (MUX_C_EXT_INFO "channels"). */
  channelsInfo(): string;
  /**
   * A real round trip to the server (keepalive@openssh.com with a reply), bounded by `ms`:
   * ok with "N ms", or not ok with why.
   */
  roundTrip(ms: number): Promise<{ ok: boolean; text: string }>;
  /**
   * Runs `open` (one session or -W channel) on the primary connection, or on an extra one when
   * the server's MaxSessions refuses it there (connection_pool.ts).
   */
  withSessionConnection<T>(
    open: (conn: SshConnection) => Promise<T>,
    kind?: ChannelKind,
  ): Promise<T>;
  /** The SSH connections this master holds, primary first (-O list). */
  connections(): ConnectionSummary[];
  /** ask/autoask: resolves true if the user allows `prompt` (always true otherwise). */
  confirm(prompt: string): Promise<boolean>;
}
