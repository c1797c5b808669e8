// The ControlPath socket of a master (mux.c muxserver_listen): bound under a temporary name with
// umask 0177 and linked into place, so the path appears only once it accepts (tools such as
// Net::OpenSSH take "the socket exists" to mean "the master is ready"). A path someone else
// holds is never taken over: ssh then carries on without multiplexing.

import {
  MAX_SUN_PATH,
  SysError,
  TEMP_SUFFIX_LEN,
  UnixListener,
  unlinkPath,
} from "../../ffi/mod.ts";
import { listenUnix } from "../../ffi/mod.ts";
import { FatalError } from "../errors.ts";
import { log } from "../log.ts";

/** Listens at `path`; null when it already exists (ssh: "disabling multiplexing"). */
export function listenControl(path: string): UnixListener | null {
  try {
    return new UnixListener(listenUnix(path, 64));
  } catch (e) {
    if (!(e instanceof SysError)) throw e;
    if (e.code === "EEXIST" || e.code === "EADDRINUSE" || e.code === "EINVAL") {
      log.error(`ControlSocket ${path} already exists, disabling multiplexing`);
      return null;
    }
    if (e.code === "ENAMETOOLONG") {
      const limit = MAX_SUN_PATH - TEMP_SUFFIX_LEN;
      throw new FatalError(
        `ControlPath too long for a master ('${path}': a master's ControlPath may have at ` +
          `most ${limit} bytes, to leave room for its temporary name)`,
      );
    }
    throw new FatalError(`ControlSocket ${path}: ${e.description}`);
  }
}

/** Removes the ControlPath (on stop and at exit); a path already gone is fine. */
export function removeControl(path: string): void {
  try {
    unlinkPath(path);
  } catch (e) {
    if (!(e instanceof SysError) || e.code !== "ENOENT") {
      log.debug(`unlink ${path}: ${e instanceof Error ? e.message : e}`);
    }
  }
}
