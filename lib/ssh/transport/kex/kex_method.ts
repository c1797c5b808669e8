// The seam between the kex state machine and one key-agreement family. Every method we support
// has one client message (SSH_MSG_KEX_ECDH_INIT / KEXDH_INIT / KEX_HYBRID_INIT, all number 30)
// and one server reply (number 31) carrying K_S, the server's public value and the signature.

import type { HashName } from "../../crypto/hash.ts";

export interface KexMethod {
  readonly name: string;
  /** The hash for the exchange hash H and key derivation. */
  readonly hash: HashName;
  /** Generates our ephemeral key pair. */
  start(): Promise<KexClient>;
}

export interface KexClient {
  /** Our public value as encoded in message 30 and in H (`string` or `mpint`, length-prefixed). */
  readonly clientField: Uint8Array;
  /**
   * Combines our private key with the server's public value (the raw bytes of the reply's second
   * field) into the shared secret K, returned encoded as it enters H and key derivation
   * (`mpint` for ECDH/DH, `string` for the hybrid). Throws ProtocolError for an invalid value.
   */
  finish(serverField: Uint8Array): Promise<Uint8Array>;
}
