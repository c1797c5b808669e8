// Algorithm names ssh accepts in Ciphers / MACs / KexAlgorithms / HostKeyAlgorithms /
// PubkeyAcceptedAlgorithms (the union of OpenSSH 9.2 and 10.x), so a typo fails here with
// ssh's message instead of at key exchange.
import { matchPatternList } from "../match.ts";

const CIPHERS = new Set([
  "3des-cbc",
  "aes128-cbc",
  "aes192-cbc",
  "aes256-cbc",
  "aes128-ctr",
  "aes192-ctr",
  "aes256-ctr",
  "aes128-gcm@openssh.com",
  "aes256-gcm@openssh.com",
  "chacha20-poly1305@openssh.com",
]);

const MACS = new Set(
  [
    "hmac-sha1",
    "hmac-sha1-96",
    "hmac-sha2-256",
    "hmac-sha2-512",
    "hmac-md5",
    "hmac-md5-96",
    "umac-64@openssh.com",
    "umac-128@openssh.com",
  ].flatMap((m) => [m, m.replace(/(@openssh\.com)?$/, "-etm@openssh.com")]),
);

const KEX = new Set([
  "diffie-hellman-group1-sha1",
  "diffie-hellman-group14-sha1",
  "diffie-hellman-group14-sha256",
  "diffie-hellman-group16-sha512",
  "diffie-hellman-group18-sha512",
  "diffie-hellman-group-exchange-sha1",
  "diffie-hellman-group-exchange-sha256",
  "ecdh-sha2-nistp256",
  "ecdh-sha2-nistp384",
  "ecdh-sha2-nistp521",
  "curve25519-sha256",
  "curve25519-sha256@libssh.org",
  "sntrup761x25519-sha512",
  "sntrup761x25519-sha512@openssh.com",
  "mlkem768x25519-sha256",
  "mlkem768nistp256-sha256",
]);

const PLAIN_KEYS = [
  "ssh-ed25519",
  "sk-ssh-ed25519@openssh.com",
  "ecdsa-sha2-nistp256",
  "ecdsa-sha2-nistp384",
  "ecdsa-sha2-nistp521",
  "sk-ecdsa-sha2-nistp256@openssh.com",
  "ssh-dss",
  "ssh-rsa",
  "rsa-sha2-256",
  "rsa-sha2-512",
];
const KEY_TYPES = [
  ...PLAIN_KEYS.flatMap((k) => [k, k.replace(/(@openssh\.com)?$/, "-cert-v01@openssh.com")]),
  "webauthn-sk-ecdsa-sha2-nistp256@openssh.com",
];
const KEY_SET = new Set(KEY_TYPES);

/** The names of a list, up to the first empty element (ssh stops there too). */
function names(list: string): string[] {
  const out: string[] = [];
  for (const n of list.split(",")) {
    if (n === "") break;
    out.push(n);
  }
  return out;
}

const exact = (set: Set<string>) => (list: string) =>
  list !== "" && names(list).every((n) => set.has(n));

export const ciphersValid = exact(CIPHERS);
export const macsValid = exact(MACS);
export const kexNamesValid = exact(KEX);

/** The first name kex_names_valid() would complain about ("Unsupported KEX algorithm"). */
export function unknownKexName(list: string): string | undefined {
  return names(list).find((n) => !KEX.has(n));
}

/** Key type lists may use wildcards, each of which must match at least one known type. */
export function keyTypesValid(list: string): boolean {
  if (list === "") return false;
  return names(list).every((n) =>
    /[*?]/.test(n) ? KEY_TYPES.some((k) => matchPatternList(k, n, false) === 1) : KEY_SET.has(n)
  );
}
