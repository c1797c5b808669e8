// ffi/: the only module that touches Deno.dlopen, pointers and fd numbers. Everything else in
// sshmux holds RawFd handles and calls these functions.
export { EofError, FdPassError, SysError } from "./errors.ts";
export { fdNumber, RawFd } from "./raw_fd.ts";
export {
  acceptUnix,
  connectUnix,
  listenUnix,
  MAX_SUN_PATH,
  peerPid,
  peerUid,
  socketpair,
  TEMP_SUFFIX_LEN,
} from "./unix_sys.ts";
export {
  type AccessMode,
  accessMode,
  dupFd,
  getuid,
  openDevNull,
  openReadOnly,
  openTty,
  pipe,
  processExists,
  redirectStdioToDevNull,
  setsid,
  signalIgnored,
  unlinkPath,
} from "./misc.ts";
export { FdIo, type FdKind } from "./fd_io.ts";
export { UnixListener, UnixSocket } from "./unix_socket.ts";
export {
  enterRawMode,
  getWinsize,
  isatty,
  openpty,
  setWinsize,
  ttyModes,
  type Winsize,
} from "./tty.ts";
export { decodeTtyModes } from "./ttymodes.ts";
export { POLLIN, POLLOUT, preferEpollReactor, reactorIdle, waitFd } from "./reactor.ts";
export { type InetAddress } from "./sockaddr.ts";
export { ResolveError, resolveInet, type ResolveOptions } from "./inet_resolve.ts";
export { type BoundConnection, connectTcpFrom } from "./tcp_connect.ts";
