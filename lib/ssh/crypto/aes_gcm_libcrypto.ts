// aes128-gcm@openssh.com / aes256-gcm@openssh.com on the system's OpenSSL (ffi/libcrypto_gcm.ts),
// the default whenever libcrypto passes its self-test (crypto_backend.ts). Same wire
// format as aes_gcm.ts; synchronous, so packets are sealed in place (the transport leaves 16
// bytes after each packet for the tag) and written without another copy.

import { LibcryptoGcm } from "../../../ffi/crypto.ts";
import { ProtocolError } from "../../errors.ts";
import { takePlain } from "../buffer_pool.ts";
import { type PacketOpener, type PacketSealer, withTrailerRoom } from "./cipher.ts";

const TAG = 16;

export class LibcryptoGcmSealer implements PacketSealer {
  readonly blockSize = 16;
  readonly lengthExcluded = true;
  /** The wire bytes are the packet's own buffer, sealed in place: never reuse it. */
  readonly releasesPacket = false;
  readonly backend = "libcrypto";
  private readonly gcm: LibcryptoGcm;
  constructor(key: Uint8Array, iv: Uint8Array) {
    this.gcm = new LibcryptoGcm(key, iv, true);
  }
  seal(_seq: number, packet: Uint8Array): Uint8Array {
    const len = packet.length;
    const wire = withTrailerRoom(packet, TAG);
    this.gcm.sealInPlace(wire, len);
    return wire;
  }
  dispose(): void {
    this.gcm.free();
  }
}

export class LibcryptoGcmOpener implements PacketOpener {
  readonly blockSize = 16;
  readonly lengthExcluded = true;
  readonly headLength = 4;
  readonly tagLength = TAG;
  readonly backend = "libcrypto";
  private readonly gcm: LibcryptoGcm;
  constructor(key: Uint8Array, iv: Uint8Array) {
    this.gcm = new LibcryptoGcm(key, iv, false);
  }
  packetLength(_seq: number, head: Uint8Array): number {
    return ((head[0] << 24) | (head[1] << 16) | (head[2] << 8) | head[3]) >>> 0;
  }
  /** Decrypts into a pooled buffer: `wire` is a view of the reader's input, reused afterwards. */
  open(_seq: number, wire: Uint8Array): Uint8Array {
    if (wire.length < 4 + TAG) throw new ProtocolError("Corrupted MAC on input.");
    const out = takePlain(wire.length - 4 - TAG);
    if (!this.gcm.open(wire, out)) throw new ProtocolError("Corrupted MAC on input.");
    return out;
  }
  dispose(): void {
    this.gcm.free();
  }
}
