// Which implementation carries AES-GCM: WebCrypto (the default; always there) or the system's
// OpenSSL libcrypto through FFI, chosen with SSHMUX_CRYPTO=libcrypto. libcrypto costs about a
// sixth of WebCrypto's CPU per byte in Deno 2.9 (scripts/bench-ciphers.ts), which is what
// bounds aes*-gcm throughput on small machines; it is opt-in because sshmux is meant for
// images that may have no OpenSSL at all. Asked for but missing, it falls back with a note.

import { libcryptoUnavailable } from "../../../ffi/mod.ts";
import { log } from "../../log.ts";

export type GcmBackend = "webcrypto" | "libcrypto";

let chosen: GcmBackend | undefined;

/** The backend for AES-GCM keys made from now on (decided once per process). */
export function gcmBackend(): GcmBackend {
  if (chosen) return chosen;
  chosen = "webcrypto";
  let want: string | undefined;
  try {
    want = Deno.env.get("SSHMUX_CRYPTO");
  } catch { /* no env permission: the default */ }
  if (!want || want === "webcrypto") return chosen;
  if (want !== "libcrypto") {
    log.error(`SSHMUX_CRYPTO: unknown value "${want}" (webcrypto or libcrypto); using webcrypto`);
    return chosen;
  }
  const why = libcryptoUnavailable();
  if (why) {
    log.verbose(`SSHMUX_CRYPTO=libcrypto: cannot load libcrypto (${why}); using webcrypto`);
    return chosen;
  }
  log.debug("AES-GCM through libcrypto");
  chosen = "libcrypto";
  return chosen;
}

/** For tests: forget the decision so the next gcmBackend() reads SSHMUX_CRYPTO again. */
export function resetGcmBackend(): void {
  chosen = undefined;
}
