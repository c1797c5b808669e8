// node:crypto for the fallback ciphers and MACs, loaded only when one of them is about to be
// used. Importing node:crypto starts Deno's Node compatibility layer: ~60 ms of CPU at every
// start of plain mode and of the master (measured: an empty script 84 ms, one that imports
// node:crypto 143 ms), while the default libcrypto backend never calls it.
//
// The ciphers call node:crypto synchronously per packet, so it must be loaded before their keys
// are made: the key exchange awaits loadNodeCrypto() when a negotiated algorithm runs on the
// fallback (kex_round.ts), and so does anything else that builds fallback ciphers directly.

type NodeCrypto = typeof import("node:crypto");

let mod: NodeCrypto | undefined;
let loading: Promise<void> | undefined;

/** Loads node:crypto (once). */
export function loadNodeCrypto(): Promise<void> {
  loading ??= import("node:crypto").then((m) => {
    mod = m;
  });
  return loading;
}

/** node:crypto, which loadNodeCrypto() must have loaded. */
export function nodeCrypto(): NodeCrypto {
  if (!mod) throw new Error("internal: node:crypto used before loadNodeCrypto()");
  return mod;
}
