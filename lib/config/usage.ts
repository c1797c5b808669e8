// ssh's usage text (OpenSSH 9.2, the client installed next to us), printed on bad flags.
import { PlainTextError } from "./errors.ts";

export const USAGE = `usage: ssh [-46AaCfGgKkMNnqsTtVvXxYy] [-B bind_interface]
           [-b bind_address] [-c cipher_spec] [-D [bind_address:]port]
           [-E log_file] [-e escape_char] [-F configfile] [-I pkcs11]
           [-i identity_file] [-J [user@]host[:port]] [-L address]
           [-l login_name] [-m mac_spec] [-O ctl_cmd] [-o option] [-p port]
           [-Q query_option] [-R address] [-S ctl_path] [-W host:port]
           [-w local_tun[:remote_tun]] destination [command [argument ...]]`;

/**
 * The error main prints for a usage failure: an optional first line, then the usage. ssh
 * writes both with fprintf (first line and usage end in "\n").
 */
export function usageError(first?: string): PlainTextError {
  return new PlainTextError(first === undefined ? USAGE : `${first}\n${USAGE}`);
}

/** A bad flag found by getopt: ssh's getopt reports it through the logger ("\r\n"), then usage. */
export function getoptError(first: string): PlainTextError {
  return new PlainTextError(`${first}\r\n${USAGE}`);
}
