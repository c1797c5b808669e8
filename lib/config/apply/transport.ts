// Keywords for the transport: algorithm lists, rekeying, compression.
import type { ConfigState } from "../state.ts";
import {
  ciphersValid,
  kexNamesValid,
  keyTypesValid,
  macsValid,
  unknownKexName,
} from "../algorithms.ts";
import { COMPRESSION, scanScaled } from "../values.ts";
import type { KeywordHandler, LineResult, OptionLine } from "./line.ts";

function algorithms(
  l: OptionLine,
  key: keyof ConfigState,
  what: string,
  valid: (list: string) => boolean,
): LineResult {
  const a = l.next();
  if (a === undefined || a === "") return l.missing;
  // A "-" list removes patterns from the defaults and is not checked; "+" / "^" are.
  const body = /^[+^]/.test(a) ? a.slice(1) : a;
  if (!a.startsWith("-") && !valid(body)) {
    // kex_names_valid() names the culprit first, on its own line.
    const kex = key === "kexAlgorithms" ? unknownKexName(body) : undefined;
    const first = kex === undefined ? "" : `Unsupported KEX algorithm "${kex}"\n`;
    return `${first}${l.where}: Bad ${what} '${a}'.`;
  }
  l.set(key, a as never);
  return undefined;
}

export const transportKeywords: Record<string, KeywordHandler> = {
  ciphers: (l) => algorithms(l, "ciphers", "SSH2 cipher spec", ciphersValid),
  macs: (l) => algorithms(l, "macs", "SSH2 MAC spec", macsValid),
  kexalgorithms: (l) => algorithms(l, "kexAlgorithms", "SSH2 KexAlgorithms", kexNamesValid),
  hostkeyalgorithms: (l) => algorithms(l, "hostKeyAlgorithms", "key types", keyTypesValid),
  pubkeyacceptedalgorithms: (l) =>
    algorithms(l, "pubkeyAcceptedAlgorithms", "key types", keyTypesValid),
  rekeylimit: (l) => {
    const a = l.next();
    if (a === undefined || a === "") return `${l.where}: Missing argument.`;
    let bytes = 0;
    if (a !== "default") {
      const v = scanScaled(a);
      if (v === undefined) return `${l.where}: Bad number '${a}': Invalid argument`;
      if (v !== 0 && v < 16) return `${l.where}: RekeyLimit too small`;
      bytes = v;
    }
    l.set("rekeyLimit", bytes);
    if (l.i < l.args.length) {
      if (l.args[l.i] === "none") l.i++;
      else return l.time("rekeyInterval");
    }
    return undefined;
  },
  compression: (l) => l.flag("compression", COMPRESSION),
};
