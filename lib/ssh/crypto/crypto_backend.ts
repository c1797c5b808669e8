// Which implementation carries each bulk algorithm family: the system's OpenSSL libcrypto
// through FFI (the default), or the WebCrypto/node:crypto/WASM path that needs nothing from the
// system (the fallback). libcrypto costs a fraction of the CPU per byte in Deno 2.9
// (scripts/bench-ciphers.ts), and CPU is what bounds throughput on small machines.
//
// SSHMUX_CRYPTO=webcrypto forces the fallback; unset (or "libcrypto") uses libcrypto for every
// family whose known-answer self-test passes (libcrypto_selftest.ts). A library that is
// missing, too old or fails a test leaves that family on the fallback with a note in the log;
// nothing here throws. Decided once per process, on first use (not at start-up: a mux client
// never needs it).

import { libcryptoLoadedFrom, libcryptoUnavailable } from "../../../ffi/crypto.ts";
import { log } from "../../log.ts";
import { type CryptoFamily, libcryptoSelfTest } from "./libcrypto_selftest.ts";

export type { CryptoFamily } from "./libcrypto_selftest.ts";
export type CryptoBackend = "webcrypto" | "libcrypto";

let mode: CryptoMode | undefined;
let unavailable: string | undefined | null = null;
const decided = new Map<CryptoFamily, CryptoBackend>();
let selfTest = libcryptoSelfTest;

export type CryptoMode = "auto" | "webcrypto" | "libcrypto";

/** SSHMUX_CRYPTO's value as a mode; an unknown value is the default plus an error line. */
export function cryptoModeFrom(want: string | undefined): { mode: CryptoMode; error?: string } {
  if (!want) return { mode: "auto" };
  if (want === "webcrypto" || want === "libcrypto") return { mode: want };
  return {
    mode: "auto",
    error: `SSHMUX_CRYPTO: unknown value "${want}" (webcrypto or libcrypto); using the default`,
  };
}

/** Set by tests instead of SSHMUX_CRYPTO: the environment is shared by parallel test files. */
let modeForTests: CryptoMode | undefined;

function readMode(): CryptoMode {
  if (modeForTests) return modeForTests;
  let want: string | undefined;
  try {
    want = Deno.env.get("SSHMUX_CRYPTO");
  } catch { /* no env permission: the default */ }
  const r = cryptoModeFrom(want);
  if (r.error) log.error(r.error);
  return r.mode;
}

/** For tests: decide as if SSHMUX_CRYPTO said `m` (undefined: read it again); forgets decisions. */
export function setCryptoModeForTests(m: CryptoMode | undefined): void {
  modeForTests = m;
  resetCryptoBackend();
}

/** The backend for `family`'s keys made from now on. */
export function cryptoBackend(family: CryptoFamily): CryptoBackend {
  const known = decided.get(family);
  if (known) return known;
  mode ??= readMode();
  let chosen: CryptoBackend = "webcrypto";
  if (mode !== "webcrypto") {
    if (unavailable === null) {
      unavailable = libcryptoUnavailable();
      if (unavailable) {
        // Asked for by name, its absence is an error line (the session still runs).
        const say = mode === "libcrypto" ? log.error : log.verbose;
        say(`libcrypto: cannot load it (${unavailable}); ciphers run on webcrypto`);
      } else {
        log.debug(`libcrypto: ${libcryptoLoadedFrom()}`);
      }
    }
    if (!unavailable) {
      const failed = selfTest(family);
      if (failed) {
        log.verbose(`libcrypto: ${family} failed its self-test (${failed}); using webcrypto`);
      } else {
        chosen = "libcrypto";
      }
    }
  }
  decided.set(family, chosen);
  return chosen;
}

/** For tests: forget every decision so the next call reads SSHMUX_CRYPTO again. */
export function resetCryptoBackend(): void {
  mode = undefined;
  unavailable = null;
  decided.clear();
}

/** For tests: replace the self-test (undefined restores the real one); forgets decisions. */
export function setSelfTestForTests(fn?: (family: CryptoFamily) => string | undefined): void {
  selfTest = fn ?? libcryptoSelfTest;
  resetCryptoBackend();
}
