// Reading config files: a size cap (pipes allowed) and ssh's ownership/permission check.
import { ConfigError } from "./errors.ts";

/** Config files above this size are refused (a typo like `Include /dev/*` must not hang). */
const MAX_CONFIG_BYTES = 4 << 20;

/**
 * Reads a config file with a size cap. Pipes work too (`-F /dev/fd/63` from a process
 * substitution), so this reads the stream instead of trusting the stat size.
 */
export function readCapped(path: string): string {
  const file = Deno.openSync(path, { read: true });
  try {
    const chunks: Uint8Array[] = [];
    let total = 0;
    const buf = new Uint8Array(64 * 1024);
    for (;;) {
      const n = file.readSync(buf);
      if (n === null || n === 0) break;
      total += n;
      if (total > MAX_CONFIG_BYTES) {
        throw new ConfigError(`${path}: config file larger than ${MAX_CONFIG_BYTES} bytes`);
      }
      chunks.push(buf.slice(0, n));
    }
    const all = new Uint8Array(total);
    let off = 0;
    for (const c of chunks) {
      all.set(c, off);
      off += c.length;
    }
    return new TextDecoder().decode(all);
  } finally {
    file.close();
  }
}

/** ssh refuses a user config writable by others or owned by someone else. */
export function checkPermissions(path: string): void {
  let info: Deno.FileInfo;
  try {
    info = Deno.statSync(path);
  } catch (e) {
    throw new ConfigError(`fstat ${path}: ${(e as Error).message}`);
  }
  const uid = Deno.uid();
  if ((info.uid !== 0 && info.uid !== uid) || ((info.mode ?? 0) & 0o022) !== 0) {
    throw new ConfigError(`Bad owner or permissions on ${path}`);
  }
}
