// Recording a newly accepted host key: append one line to the user's known_hosts, creating
// ~/.ssh (0700) if needed and adding a missing final newline first, as ssh's add_host_to_hostfile.

import { keyTypeOfBlob } from "../keys/signer.ts";
import { formatHashedName } from "./match.ts";

export function knownHostsLine(host: string, blob: Uint8Array, hashed: boolean): string {
  const name = hashed ? formatHashedName(host) : host;
  return `${name} ${keyTypeOfBlob(blob)} ${btoa(String.fromCharCode(...blob))}\n`;
}

export async function appendKnownHost(
  file: string,
  host: string,
  blob: Uint8Array,
  hashed: boolean,
): Promise<void> {
  const dir = file.slice(0, Math.max(0, file.lastIndexOf("/")));
  const home = Deno.env.get("HOME");
  // Like ssh, only ~/.ssh itself is created; any other missing directory is an error.
  if (home && dir === `${home}/.ssh`) {
    try {
      await Deno.stat(dir);
    } catch {
      await Deno.mkdir(dir, { mode: 0o700 });
    }
  }
  let needNewline = false;
  try {
    const f = await Deno.open(file, { read: true });
    try {
      const size = (await f.stat()).size;
      if (size > 0) {
        await f.seek(size - 1, Deno.SeekMode.Start);
        const last = new Uint8Array(1);
        needNewline = (await f.read(last)) === 1 && last[0] !== 0x0a;
      }
    } finally {
      f.close();
    }
  } catch { /* new file */ }
  const line = (needNewline ? "\n" : "") + knownHostsLine(host, blob, hashed);
  await Deno.writeTextFile(file, line, { append: true, create: true, mode: 0o644 });
}
