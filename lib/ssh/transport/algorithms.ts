// Algorithm lists: our supported and default names per category, the `-o Ciphers=` style
// syntax (ssh_config(5): a leading `+` appends, `-` removes, `^` prepends; patterns with `*` and
// `?` match against the supported list) and RFC 4253 §7.1 negotiation (first client choice the
// server also lists).

import { CERT_SIGNATURE_ALGORITHMS } from "../keys/certificate.ts";
import { CIPHERS } from "../crypto/ciphers.ts";
import { DEFAULT_MACS, MACS } from "../crypto/mac.ts";
import { DEFAULT_KEX, KEX_METHODS } from "./kex/registry.ts";
import { log } from "../../log.ts";

/** Host key (signature) algorithms we can verify, in default preference order. */
export const HOST_KEY_ALGORITHMS: readonly string[] = [
  "ssh-ed25519",
  "ecdsa-sha2-nistp256",
  "ecdsa-sha2-nistp384",
  "ecdsa-sha2-nistp521",
  "rsa-sha2-512",
  "rsa-sha2-256",
];

export type AlgorithmCategory = "ciphers" | "macs" | "kex" | "hostkey";

export const SUPPORTED: Record<AlgorithmCategory, readonly string[]> = {
  ciphers: CIPHERS.map((c) => c.name),
  macs: MACS.map((m) => m.name),
  kex: KEX_METHODS.map((k) => k.name),
  // ssh-rsa (SHA-1 signatures) only when asked for, as OpenSSH ≥ 8.8 does.
  hostkey: [...HOST_KEY_ALGORITHMS, "ssh-rsa"],
};

export const DEFAULTS: Record<AlgorithmCategory, readonly string[]> = {
  ciphers: SUPPORTED.ciphers,
  macs: DEFAULT_MACS,
  kex: DEFAULT_KEX,
  hostkey: HOST_KEY_ALGORITHMS,
};

const LABEL: Record<AlgorithmCategory, string> = {
  ciphers: "Ciphers",
  macs: "MACs",
  kex: "KexAlgorithms",
  hostkey: "HostKeyAlgorithms",
};

const CERT_TYPES = [
  ...CERT_SIGNATURE_ALGORITHMS,
  "ssh-rsa-cert-v01@openssh.com",
  "ssh-dss-cert-v01@openssh.com",
];

/** Algorithm names OpenSSH accepts that sshmux does not implement (`ssh -Q` lists). */
const OPENSSH_ONLY: Record<AlgorithmCategory, readonly string[]> = {
  ciphers: ["3des-cbc", "aes128-cbc", "aes192-cbc", "aes256-cbc", "rijndael-cbc@lysator.liu.se"],
  macs: [
    "hmac-sha1-96",
    "hmac-md5",
    "hmac-md5-96",
    "umac-64@openssh.com",
    "umac-128@openssh.com",
    "hmac-sha1-96-etm@openssh.com",
    "hmac-md5-etm@openssh.com",
    "hmac-md5-96-etm@openssh.com",
    "umac-64-etm@openssh.com",
    "umac-128-etm@openssh.com",
  ],
  kex: [
    "diffie-hellman-group1-sha1",
    "diffie-hellman-group18-sha512",
    "diffie-hellman-group-exchange-sha1",
    "diffie-hellman-group-exchange-sha256",
    "sntrup761x25519-sha512",
    "sntrup761x25519-sha512@openssh.com",
    "mlkem768nistp256-sha256",
    "mlkem1024nistp384-sha384",
  ],
  hostkey: [
    "ssh-dss",
    "sk-ssh-ed25519@openssh.com",
    "sk-ecdsa-sha2-nistp256@openssh.com",
    "webauthn-sk-ecdsa-sha2-nistp256@openssh.com",
    ...CERT_TYPES,
  ],
};

/** Thrown for a bad `-o` algorithm list (the caller reports it like ssh's config errors). */
export class AlgorithmListError extends Error {
  override name = "AlgorithmListError";
}

function globToRegExp(pattern: string): RegExp {
  const body = pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(
    /\?/g,
    ".",
  );
  return new RegExp(`^${body}$`);
}

/** Expands comma-separated names/patterns against `supported`, in the order given. */
function expand(list: string, supported: readonly string[], category: AlgorithmCategory): string[] {
  const out: string[] = [];
  for (const raw of list.split(",")) {
    const item = raw.trim();
    if (item === "") continue;
    if (/[*?]/.test(item)) {
      const re = globToRegExp(item);
      for (const s of supported) if (re.test(s) && !out.includes(s)) out.push(s);
    } else {
      if (!supported.includes(item)) {
        // Names OpenSSH knows but we do not implement are skipped, so a shared ssh_config
        // keeps working; a name nobody knows is an error, as in ssh.
        if (OPENSSH_ONLY[category].includes(item)) {
          log.debug(`${LABEL[category]}: ${item} is not supported by sshmux, skipped`);
          continue;
        }
        throw new AlgorithmListError(`Bad SSH2 ${LABEL[category]} spec '${list}'.`);
      }
      if (!out.includes(item)) out.push(item);
    }
  }
  return out;
}

/**
 * The effective list for a raw ssh_config value: undefined = our defaults; "+a,b" appends to
 * the defaults, "-a,b*" removes, "^a,b" prepends, anything else replaces. Throws
 * AlgorithmListError for unknown names or an empty result.
 */
export function resolveAlgorithms(category: AlgorithmCategory, value?: string): string[] {
  const supported = SUPPORTED[category];
  const defaults = [...DEFAULTS[category]];
  if (value === undefined || value.trim() === "") return defaults;
  const v = value.trim();
  let result: string[];
  if (v.startsWith("+")) {
    const add = expand(v.slice(1), supported, category);
    result = [...defaults, ...add.filter((a) => !defaults.includes(a))];
  } else if (v.startsWith("^")) {
    const add = expand(v.slice(1), supported, category);
    result = [...add, ...defaults.filter((d) => !add.includes(d))];
  } else if (v.startsWith("-")) {
    // Removal patterns may name algorithms we do not support; they simply match nothing.
    const pats = v.slice(1).split(",").map((p) => p.trim()).filter((p) => p !== "");
    const res = pats.map(globToRegExp);
    result = defaults.filter((d) => !res.some((re) => re.test(d)));
  } else {
    result = expand(v, supported, category);
  }
  if (result.length === 0) {
    throw new AlgorithmListError(`Bad SSH2 ${LABEL[category]} spec '${value}'.`);
  }
  return result;
}

/** RFC 4253 §7.1: the first algorithm on the client's list that the server also supports. */
export function negotiate(
  client: readonly string[],
  server: readonly string[],
): string | undefined {
  return client.find((c) => server.includes(c));
}

/**
 * OpenSSH's order_hostkeyalgs(): with the default HostKeyAlgorithms, algorithms for key types
 * already recorded for this host (in known_hosts) move to the front, keeping their relative
 * order, so a server with several host keys presents the one we can verify.
 */
export function preferHostKeyTypes(
  algorithms: readonly string[],
  knownKeyTypes: readonly string[],
  keyTypeOf: (alg: string) => string | undefined,
): string[] {
  const known = (a: string) => {
    const t = keyTypeOf(a);
    return t !== undefined && knownKeyTypes.includes(t);
  };
  return [...algorithms.filter(known), ...algorithms.filter((a) => !known(a))];
}
