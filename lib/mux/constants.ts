// PROTOCOL.mux wire constants, spelled exactly as OpenSSH's mux.c / clientloop.h spell them so
// `grep` against the upstream sources works. Codes missing from PROTOCOL.mux itself (PROXY,
// EXT_INFO) come from mux.c; see ../shared/reference/openssh-mux.md §2.1.

/**
 * The port value meaning "this side is a unix socket path" (OpenSSH misc.h PORT_STREAMLOCAL, -2
 * as a u32): OPEN_FWD/CLOSE_FWD and NEW_STDIO_FWD carry it, and ssh's forward specs use it too.
 */
export const PORT_STREAMLOCAL = 0xfffffffe;

/** Multiplexing protocol version carried in HELLO (clientloop.h SSHMUX_VER). */
export const SSHMUX_VER = 4;

// --- message types ---------------------------------------------------------------------------
// Both directions.
export const MUX_MSG_HELLO = 0x00000001;
// Client → master.
export const MUX_C_NEW_SESSION = 0x10000002;
export const MUX_C_ALIVE_CHECK = 0x10000004;
export const MUX_C_TERMINATE = 0x10000005;
export const MUX_C_OPEN_FWD = 0x10000006;
export const MUX_C_CLOSE_FWD = 0x10000007;
export const MUX_C_NEW_STDIO_FWD = 0x10000008;
export const MUX_C_STOP_LISTENING = 0x10000009;
export const MUX_C_PROXY = 0x1000000f;
export const MUX_C_EXT_INFO = 0x20000001;
/**
 * sshmux's own requests, outside every range OpenSSH uses ("SS" in the high bytes). A client
 * sends them only to a master whose HELLO named the matching extension below, so a stock
 * master never sees one (and would answer FAILURE "unsupported request" if it did).
 */
export const MUX_C_SSHMUX_SIGNAL = 0x53530001;
export const MUX_C_SSHMUX_SET_NAME = 0x53530002;
// Master → client.
export const MUX_S_OK = 0x80000001;
export const MUX_S_PERMISSION_DENIED = 0x80000002;
export const MUX_S_FAILURE = 0x80000003;
export const MUX_S_EXIT_MESSAGE = 0x80000004;
export const MUX_S_ALIVE = 0x80000005;
export const MUX_S_SESSION_OPENED = 0x80000006;
export const MUX_S_REMOTE_PORT = 0x80000007;
export const MUX_S_TTY_ALLOC_FAIL = 0x80000008;
export const MUX_S_PROXY = 0x8000000f;
export const MUX_S_EXT_INFO = 0x90000001;

// --- forwarding types in MUX_C_OPEN_FWD / MUX_C_CLOSE_FWD -----------------------------------
export const MUX_FWD_LOCAL = 1;
export const MUX_FWD_REMOTE = 2;
export const MUX_FWD_DYNAMIC = 3;

// --- hello extensions -------------------------------------------------------------------------
/** Extension bit OpenSSH sets when the peer's HELLO carries "info" (mux.c MUX_EXT_INFO). */
export const MUX_EXT_INFO = 0x00000001;
/** Name of the hello extension advertising MUX_C_EXT_INFO support (OpenSSH 10.3+). */
export const MUX_EXT_INFO_NAME = "info";
/**
 * sshmux's own hello extension: the master answers MUX_C_EXT_INFO for this name with a real
 * round trip to the server (keepalive@openssh.com), so `-O check` can tell a wedged connection
 * from a live one. Stock peers never send or look for it (unknown extensions are ignored).
 */
export const MUX_EXT_ROUNDTRIP_NAME = "roundtrip@sshmux";
/** sshmux: MUX_C_EXT_INFO with this name returns the master's sessions as JSON (listing.ts). */
export const MUX_EXT_LIST_NAME = "list@sshmux";
/** sshmux: the master takes MUX_C_SSHMUX_SET_NAME (a name for this connection's session). */
export const MUX_EXT_SET_NAME_NAME = "name@sshmux";
/** sshmux: the master takes MUX_C_SSHMUX_SIGNAL (RFC 4254 "signal" to a session's process). */
export const MUX_EXT_SIGNAL_NAME = "signal@sshmux";

// --- limits -----------------------------------------------------------------------------------
/** Largest frame body the master accepts (channels.c CHANNEL_MUX_MAX_PACKET); 262144 is OK. */
export const MUX_MAX_PACKET = 256 * 1024;
/** Environment strings kept from one NEW_SESSION (mux.c MUX_MAX_ENV_VARS). */
export const MUX_MAX_ENV_VARS = 4096;
/**
 * Hello extension pairs kept from one HELLO. OpenSSH has no such cap (it does not store them);
 * ours bounds what a peer can make us keep. The frame cap already bounds the work.
 */
export const MUX_MAX_HELLO_EXTENSIONS = 256;
/** Proxy-mode packet length bounds (packet.c ssh_packet_read_poll2_mux, PACKET_MAX_SIZE). */
export const MUX_PROXY_MIN_PACKET = 5;
export const MUX_PROXY_MAX_PACKET = 256 * 1024;
/**
 * The master reading a proxy client accepts shorter packets: padding byte + type is enough
 * (channels.c channel_proxy_downstream `have < 2`), e.g. a bare SSH_MSG_REQUEST_FAILURE.
 */
export const MUX_PROXY_MIN_DOWNSTREAM_PACKET = 2;
/** Largest -W port other than PORT_STREAMLOCAL that the master accepts (mux.c: `<= INT_MAX`). */
export const INT_MAX = 0x7fffffff;
/** Largest TCP port in OPEN_FWD / CLOSE_FWD other than PORT_STREAMLOCAL. */
export const MUX_MAX_TCP_PORT = 65535;

/** NEW_SESSION escape char meaning "no escape character" (ssh -e none). */
export const ESCAPE_NONE = 0xffffffff;

/** Every named code → its OpenSSH name, for logs and error messages. */
const names: ReadonlyMap<number, string> = new Map([
  [MUX_MSG_HELLO, "MUX_MSG_HELLO"],
  [MUX_C_NEW_SESSION, "MUX_C_NEW_SESSION"],
  [MUX_C_ALIVE_CHECK, "MUX_C_ALIVE_CHECK"],
  [MUX_C_TERMINATE, "MUX_C_TERMINATE"],
  [MUX_C_OPEN_FWD, "MUX_C_OPEN_FWD"],
  [MUX_C_CLOSE_FWD, "MUX_C_CLOSE_FWD"],
  [MUX_C_NEW_STDIO_FWD, "MUX_C_NEW_STDIO_FWD"],
  [MUX_C_STOP_LISTENING, "MUX_C_STOP_LISTENING"],
  [MUX_C_PROXY, "MUX_C_PROXY"],
  [MUX_C_EXT_INFO, "MUX_C_EXT_INFO"],
  [MUX_C_SSHMUX_SIGNAL, "MUX_C_SSHMUX_SIGNAL"],
  [MUX_C_SSHMUX_SET_NAME, "MUX_C_SSHMUX_SET_NAME"],
  [MUX_S_OK, "MUX_S_OK"],
  [MUX_S_PERMISSION_DENIED, "MUX_S_PERMISSION_DENIED"],
  [MUX_S_FAILURE, "MUX_S_FAILURE"],
  [MUX_S_EXIT_MESSAGE, "MUX_S_EXIT_MESSAGE"],
  [MUX_S_ALIVE, "MUX_S_ALIVE"],
  [MUX_S_SESSION_OPENED, "MUX_S_SESSION_OPENED"],
  [MUX_S_REMOTE_PORT, "MUX_S_REMOTE_PORT"],
  [MUX_S_TTY_ALLOC_FAIL, "MUX_S_TTY_ALLOC_FAIL"],
  [MUX_S_PROXY, "MUX_S_PROXY"],
  [MUX_S_EXT_INFO, "MUX_S_EXT_INFO"],
]);

/** "0x%08x" as OpenSSH prints message types. */
export function muxTypeHex(code: number): string {
  return "0x" + (code >>> 0).toString(16).padStart(8, "0");
}

/** OpenSSH's name for a message type, or its hex code (e.g. "0x1000000a") if it has none. */
export function muxTypeName(code: number): string {
  return names.get(code >>> 0) ?? muxTypeHex(code);
}
