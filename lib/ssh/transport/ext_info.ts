// SSH_MSG_EXT_INFO (RFC 8308 §2.3): a count of name/value pairs. We keep `server-sig-algs`
// (the public key algorithms the server accepts for user auth) and note the others.

import { DecodeError } from "../../errors.ts";
import { WireReader } from "../../wire/reader.ts";
import { SSH_MSG_EXT_INFO } from "./constants.ts";

/** More extensions than any server sends; caps work on a hostile count. */
const MAX_EXTENSIONS = 64;

export interface ExtInfo {
  extensions: Map<string, Uint8Array>;
  serverSigAlgs?: string[];
}

export function parseExtInfo(payload: Uint8Array): ExtInfo {
  const r = new WireReader(payload);
  if (r.u8() !== SSH_MSG_EXT_INFO) throw new DecodeError("not an EXT_INFO message");
  const n = r.u32();
  if (n > MAX_EXTENSIONS) throw new DecodeError(`EXT_INFO announces ${n} extensions`);
  const extensions = new Map<string, Uint8Array>();
  for (let i = 0; i < n; i++) {
    const name = r.cstring();
    const value = Uint8Array.from(r.string());
    extensions.set(name, value);
  }
  const sig = extensions.get("server-sig-algs");
  const text = sig ? new TextDecoder().decode(sig) : undefined;
  return {
    extensions,
    serverSigAlgs: text === undefined ? undefined : text === "" ? [] : text.split(","),
  };
}
