// Protocol version exchange (RFC 4253 §4.2). The server may send other lines before its
// identification; as in ssh 9.2, each line is capped at 8 KiB, their number at 1024, and a NUL or
// a stray CR ends the connection at once.

import { DisconnectError, ProtocolError, reportAtInfo, SizeLimitError } from "../../errors.ts";
import { log } from "../../log.ts";
import type { InputBuffer } from "./input_buffer.ts";

/**
 * Longest line, the identification included (ssh 9.2's SSH_MAX_BANNER_LEN; RFC 4253 says 255
 * for the identification, but ssh accepts longer ones and so do we).
 */
export const MAX_BANNER_LINE = 8192;
/** Lines before the identification we read before giving up (ssh's SSH_MAX_PRE_BANNER_LINES). */
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
      timer = setTimeout(() => {
        // ssh: the reason at ERROR, then sshpkt_fatal's line at INFO.
        log.error("Connection timed out during banner exchange");
        reject(reportAtInfo(new DisconnectError(`Connection to ${where} timed out`)));
      }, timeoutMs);
    }),
  ]).finally(() => clearTimeout(timer));
}

/**
 * ssh's kex_exchange_identification() rules: it logs why at ERROR, then ends like sshpkt_fatal
 * ("banner exchange: Connection to H port P: invalid format", at INFO).
 */
function invalidBanner(why: string, where: string): ProtocolError {
  log.error(`kex_exchange_identification: ${why}`);
  return reportAtInfo(new ProtocolError(`banner exchange: Connection to ${where}: invalid format`));
}

/**
 * A line is bad, as for ssh, when it holds a NUL or anything but more CRs after a CR. (A server
 * sending such bytes is broken or hostile; waiting on for its KEXINIT could hang forever.)
 */
function badBytes(raw: Uint8Array): boolean {
  let end = raw.length;
  while (end > 0 && raw[end - 1] === 0x0d) end--;
  const body = raw.subarray(0, end);
  return body.includes(0) || body.includes(0x0d);
}

async function readBanner(input: InputBuffer, where: string): Promise<string> {
  for (let i = 0;; i++) {
    if (i >= MAX_PRE_BANNER_LINES) {
      throw invalidBanner(
        `No SSH version received in first ${MAX_PRE_BANNER_LINES} lines from server`,
        where,
      );
    }
    let raw: Uint8Array | null;
    try {
      // + CR LF; stray extra CRs count against the limit (ssh does not count them: close enough).
      raw = await input.readLine(MAX_BANNER_LINE + 2);
    } catch (e) {
      if (e instanceof SizeLimitError) throw invalidBanner("banner line too long", where);
      throw e;
    }
    if (raw === null) {
      throw new DisconnectError(
        i === 0
          ? `kex_exchange_identification: Connection closed by remote host`
          : `kex_exchange_identification: Connection closed by remote host (after ${i} banner lines)`,
      );
    }
    if (badBytes(raw)) throw invalidBanner("banner line contains invalid characters", where);
    const line = latin1.decode(raw).replace(/\r+$/, "");
    if (!(line.length > 4 && line.startsWith("SSH-"))) {
      log.debug(`kex_exchange_identification: banner line ${i}: ${line}`);
      continue;
    }
    const m = /^SSH-(\d+)\.(\d+)-(.+)$/.exec(line);
    if (!m) {
      log.error(`Bad remote protocol version identification: '${line.slice(0, 100)}'`);
      throw reportAtInfo(
        new ProtocolError(`banner exchange: Connection to ${where}: invalid format`),
      );
    }
    const [major, minor] = [Number(m[1]), Number(m[2])];
    if (major !== 2 && !(major === 1 && minor === 99)) {
      throw new ProtocolError(`Protocol major versions differ for ${where}: 2 vs. ${major}`);
    }
    log.debug(
      `Remote protocol version ${m[1]}.${m[2]}, remote software version ${m[3].slice(0, 100)}`,
    );
    return line;
  }
}
