// SSH_MSG_KEXINIT (RFC 4253 §7.1): build ours, parse the server's with caps on every list, and
// pick the algorithms. Negotiation failures use ssh's wording so scripts recognise them.

import { DecodeError, ProtocolError } from "../../errors.ts";
import { WireReader } from "../../wire/reader.ts";
import { WireWriter } from "../../wire/writer.ts";
import { negotiate } from "./algorithms.ts";
import { EXT_INFO_C, KEX_STRICT_C, SSH_MSG_KEXINIT } from "./constants.ts";

export interface KexInit {
  cookie: Uint8Array;
  kex: string[];
  hostKey: string[];
  cipherCS: string[];
  cipherSC: string[];
  macCS: string[];
  macSC: string[];
  compCS: string[];
  compSC: string[];
  langCS: string[];
  langSC: string[];
  firstKexPacketFollows: boolean;
}

export interface Negotiated {
  kex: string;
  hostKey: string;
  cipherCS: string;
  cipherSC: string;
  /** "" when the cipher is AEAD (no MAC is used). */
  macCS: string;
  macSC: string;
}

/** Cap on one name-list (OpenSSH's lists are a few hundred bytes; 64 KiB leaves room). */
const MAX_NAME_LIST = 64 * 1024;
/** Cap on the number of names in one list. */
const MAX_NAMES = 256;

export function encodeKexInit(k: Omit<KexInit, "cookie"> & { cookie?: Uint8Array }): Uint8Array {
  const w = new WireWriter(1024);
  w.u8(SSH_MSG_KEXINIT);
  w.raw(k.cookie ?? crypto.getRandomValues(new Uint8Array(16)));
  for (
    const l of [
      k.kex,
      k.hostKey,
      k.cipherCS,
      k.cipherSC,
      k.macCS,
      k.macSC,
      k.compCS,
      k.compSC,
      k.langCS,
      k.langSC,
    ]
  ) w.nameList(l);
  w.bool(k.firstKexPacketFollows);
  w.u32(0); // reserved
  return w.finish();
}

function nameList(r: WireReader, what: string): string[] {
  const raw = r.string();
  if (raw.length > MAX_NAME_LIST) throw new DecodeError(`KEXINIT ${what} list too long`);
  const s = new TextDecoder().decode(raw);
  if (s === "") return [];
  const names = s.split(",");
  if (names.length > MAX_NAMES) throw new DecodeError(`KEXINIT ${what} list has too many names`);
  return names;
}

/** Parses a KEXINIT payload (type byte included). Throws DecodeError when malformed. */
export function parseKexInit(payload: Uint8Array): KexInit {
  const r = new WireReader(payload);
  if (r.u8() !== SSH_MSG_KEXINIT) throw new DecodeError("not a KEXINIT message");
  const cookie = r.bytes(16);
  const k: KexInit = {
    cookie,
    kex: nameList(r, "kex"),
    hostKey: nameList(r, "host key"),
    cipherCS: nameList(r, "cipher"),
    cipherSC: nameList(r, "cipher"),
    macCS: nameList(r, "MAC"),
    macSC: nameList(r, "MAC"),
    compCS: nameList(r, "compression"),
    compSC: nameList(r, "compression"),
    langCS: nameList(r, "language"),
    langSC: nameList(r, "language"),
    firstKexPacketFollows: r.bool(),
  };
  r.u32(); // reserved; trailing bytes are tolerated as RFC 4253 asks for extensibility
  return k;
}

/** Thrown when no algorithm is common; the message is ssh's. */
export class NegotiationError extends ProtocolError {
  override name = "NegotiationError";
}

/**
 * Chooses algorithms (RFC 4253 §7.1). `isAead` tells which ciphers need no MAC. `where` is
 * "H port P" for the error message.
 */
export function chooseAlgorithms(
  ours: KexInit,
  theirs: KexInit,
  isAead: (cipher: string) => boolean,
  where: string,
): Negotiated {
  const pick = (what: string, c: string[], s: string[]): string => {
    const r = negotiate(c, s);
    if (r === undefined) {
      throw new NegotiationError(
        `Unable to negotiate with ${where}: no matching ${what} found. Their offer: ${s.join(",")}`,
      );
    }
    return r;
  };
  // Pseudo-algorithms (ext-info-c, kex-strict-*) are never chosen.
  const realKex = ours.kex.filter((k) =>
    !k.startsWith("ext-info-") && !k.startsWith("kex-strict-")
  );
  const kex = pick("key exchange method", realKex, theirs.kex);
  const hostKey = pick("host key type", ours.hostKey, theirs.hostKey);
  const cipherCS = pick("cipher", ours.cipherCS, theirs.cipherCS);
  const cipherSC = pick("cipher", ours.cipherSC, theirs.cipherSC);
  const macCS = isAead(cipherCS) ? "" : pick("MAC", ours.macCS, theirs.macCS);
  const macSC = isAead(cipherSC) ? "" : pick("MAC", ours.macSC, theirs.macSC);
  pick("compression method", ours.compCS, theirs.compCS);
  pick("compression method", ours.compSC, theirs.compSC);
  return { kex, hostKey, cipherCS, cipherSC, macCS, macSC };
}

/** Our algorithm preferences per category (already resolved from the `-o` values). */
export interface AlgorithmLists {
  kex: string[];
  hostKey: string[];
  ciphers: string[];
  macs: string[];
}

/**
 * Our KEXINIT contents. The first one also announces ext-info-c (RFC 8308) and strict kex
 * (OpenSSH's Terrapin countermeasure); later ones (rekeys) must not.
 */
export function clientKexInit(l: AlgorithmLists, first: boolean): KexInit {
  return {
    cookie: crypto.getRandomValues(new Uint8Array(16)),
    kex: first ? [...l.kex, EXT_INFO_C, KEX_STRICT_C] : l.kex,
    hostKey: l.hostKey,
    cipherCS: l.ciphers,
    cipherSC: l.ciphers,
    macCS: l.macs,
    macSC: l.macs,
    compCS: ["none"],
    compSC: ["none"],
    langCS: [],
    langSC: [],
    firstKexPacketFollows: false,
  };
}
