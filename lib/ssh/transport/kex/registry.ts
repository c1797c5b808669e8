// Kex registry: every supported key-exchange method in our default preference order.
// diffie-hellman-group14-sha1 is supported but only enabled when the user asks for it.

import { DH_GROUP14_SHA1, DH_GROUP14_SHA256, DH_GROUP16_SHA512 } from "./dh.ts";
import {
  CURVE25519_SHA256,
  CURVE25519_SHA256_LIBSSH,
  ECDH_NISTP256,
  ECDH_NISTP384,
  ECDH_NISTP521,
} from "./ecdh.ts";
import type { KexMethod } from "./kex_method.ts";
import { MLKEM768X25519_SHA256 } from "./mlkem768x25519.ts";

export const KEX_METHODS: readonly KexMethod[] = [
  MLKEM768X25519_SHA256,
  CURVE25519_SHA256,
  CURVE25519_SHA256_LIBSSH,
  ECDH_NISTP256,
  ECDH_NISTP384,
  ECDH_NISTP521,
  DH_GROUP16_SHA512,
  DH_GROUP14_SHA256,
  DH_GROUP14_SHA1,
];

export const DEFAULT_KEX: readonly string[] = KEX_METHODS
  .filter((k) => k !== DH_GROUP14_SHA1)
  .map((k) => k.name);

export function kexByName(name: string): KexMethod | undefined {
  return KEX_METHODS.find((k) => k.name === name);
}
