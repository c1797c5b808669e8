// ffi/'s libcrypto side, a barrel of its own: the SSH transport imports it, while the mux
// client (which never encrypts) loads only ffi/mod.ts and so never pays for these modules.
export { libcryptoCandidates, libcryptoLoadedFrom, libcryptoUnavailable } from "./libcrypto.ts";
export { LibcryptoGcm } from "./libcrypto_gcm.ts";
export { LibcryptoStream, type StreamAlgorithm } from "./libcrypto_stream.ts";
export { type HmacHash, LibcryptoHmac, LibcryptoPoly1305 } from "./libcrypto_mac.ts";
