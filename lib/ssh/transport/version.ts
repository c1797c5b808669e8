// Protocol version exchange (RFC 4253 §4.2). The server may send other lines before its
// identification; each line is capped at 255 bytes and the number of such lines is capped.

import { DisconnectError, ProtocolError, SizeLimitError } from "../../errors.ts";
import { log } from "../../log.ts";
import type { InputBuffer } from "./input_buffer.ts";

/** RFC 4253 §4.2: the identification line is at most 255 bytes including CR LF. */
export const MAX_VERSION_LINE = 255;
/** Other lines before it may be longer (OpenSSH allows 8 KiB). */
export const MAX_PRE_BANNER_LINE = 8192;
/** Pre-banner lines we tolerate before giving up (OpenSSH uses 1024). */
export const MAX_PRE_BANNER_LINES = 1024;

const latin1 = new TextDecoder("latin1");

/**
 * Reads lines until the server's identification string; returns it without CR LF. With
 * `timeoutMs` (ssh's ConnectTimeout also covers the banner), a silent server is an error.
 */
export function readServerVersion(
  input: InputBuffer,
  where: string,
  timeoutMs?: number,
): Promise<string> {
  const banner = readBanner(input, where);
  if (!timeoutMs || timeoutMs <= 0) return banner;
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([
    banner,
    new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new DisconnectError("Connection timed out during banner exchange")),
        timeoutMs,
      );
    }),
  ]).finally(() => clearTimeout(timer));
}

async function readBanner(input: InputBuffer, where: string): Promise<string> {
  for (let i = 0; i <= MAX_PRE_BANNER_LINES; i++) {
    const raw = await input.readLine(MAX_PRE_BANNER_LINE);
    if (raw === null) {
      throw new DisconnectError(
        i === 0
          ? `kex_exchange_identification: Connection closed by remote host`
          : `kex_exchange_identification: Connection closed by remote host (after ${i} banner lines)`,
      );
    }
    const line = latin1.decode(raw);
    if (!line.startsWith("SSH-")) {
      if (raw.includes(0)) {
        throw new ProtocolError(
          "kex_exchange_identification: banner line contains invalid characters",
        );
      }
      log.debug(`kex_exchange_identification: banner line ${i}: ${line.slice(0, 80)}`);
      continue;
    }
    if (raw.length + 2 > MAX_VERSION_LINE) {
      throw new SizeLimitError("kex_exchange_identification: identification line too long");
    }
    const m = /^SSH-([^-]+)-(.+)$/.exec(line);
    if (!m) throw new ProtocolError(`Bad remote protocol version identification: '${line}'`);
    if (m[1] !== "2.0" && m[1] !== "1.99") {
      throw new ProtocolError(
        `Protocol major versions differ for ${where}: 2 vs. ${m[1].split(".")[0]}`,
      );
    }
    log.debug(`Remote protocol version ${m[1]}, remote software version ${m[2]}`);
    return line;
  }
  throw new ProtocolError("kex_exchange_identification: too many banner lines");
}
