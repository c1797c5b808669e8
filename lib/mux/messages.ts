// The PROTOCOL.mux messages as one discriminated union (`kind`), both directions.
// Field layouts follow OpenSSH's mux.c, not PROTOCOL.mux where the two differ (bools are u32,
// the -W port is a u32, SESSION_OPENED is the only NEW_SESSION success reply); see
// ../shared/reference/openssh-mux.md §1.2 and §2.
//
// Numbers are u32 on the wire (0 … 0xffffffff). Text fields are JS strings carried as UTF-8;
// OpenSSH treats them as bytes, so a peer's non-UTF-8 bytes decode to U+FFFD (the stock client
// and our own client only ever send UTF-8 argv/env, so this matters only for odd peers).
//
// The codecs are encode.ts (encodeMux) and decode.ts (decodeMux); this file holds only types.

/** Which peer reads the frame: the master reads requests, the client reads replies. */
export type MuxDirection = "toMaster" | "toClient";

// --- both directions ------------------------------------------------------------------------

/** MUX_MSG_HELLO. No request id. Unknown extensions must be ignored by the reader. */
export interface MuxHello {
  kind: "Hello";
  /** SSHMUX_VER (4) from a compatible peer; the caller decides what to do with others. */
  version: number;
  /** Extension (name, value) pairs in wire order; OpenSSH 10.3+ masters send ["info", "0"]. */
  extensions: [string, string][];
}

/**
 * A type this side has no codec for (including a known type arriving in the wrong direction).
 * The master answers it with MUX_S_FAILURE rid "unsupported request", so `rid` is the u32 after
 * the type; the master side requires it (OpenSSH drops a request too short to hold one).
 */
export interface MuxUnknown {
  kind: "Unknown";
  type: number;
  rid?: number;
  /** The bytes after the type (and rid, if present), copied. Never logged. */
  data: Uint8Array;
}

// --- client → master ------------------------------------------------------------------------

/** MUX_C_NEW_SESSION; followed on the socket by 3 passed fds (stdin, stdout, stderr). */
export interface MuxNewSession {
  kind: "NewSession";
  rid: number;
  /** Skipped by OpenSSH without inspection; stock clients send an empty string. */
  reserved: Uint8Array;
  wantTty: boolean;
  wantX11: boolean;
  wantAgent: boolean;
  /** Run `command` as a subsystem (ssh -s). */
  subsystem: boolean;
  /** A byte value, or ESCAPE_NONE (0xffffffff). Values above 255 never match a byte. */
  escapeChar: number;
  term: string;
  command: string;
  /** "NAME=value" strings, unfiltered (the master applies its own SendEnv), at most 4096. */
  env: string[];
}

export interface MuxAliveCheck {
  kind: "AliveCheck";
  rid: number;
}

export interface MuxTerminate {
  kind: "Terminate";
  rid: number;
}

/** Fields shared by MUX_C_OPEN_FWD and MUX_C_CLOSE_FWD (identical layouts). */
export interface MuxForwardFields {
  rid: number;
  /** MUX_FWD_LOCAL / MUX_FWD_REMOTE / MUX_FWD_DYNAMIC; other values are the handler's to refuse. */
  fwdType: number;
  /** "" = none (OpenSSH turns an empty host into NULL); a path when listenPort is PORT_STREAMLOCAL. */
  listenHost: string;
  /** 0 … 65535 or PORT_STREAMLOCAL; anything else is malformed. */
  listenPort: number;
  connectHost: string;
  connectPort: number;
}

export interface MuxOpenFwd extends MuxForwardFields {
  kind: "OpenFwd";
}

export interface MuxCloseFwd extends MuxForwardFields {
  kind: "CloseFwd";
}

/** MUX_C_NEW_STDIO_FWD (ssh -W); followed on the socket by 2 passed fds (stdin, stdout). */
export interface MuxNewStdioFwd {
  kind: "NewStdioFwd";
  rid: number;
  reserved: Uint8Array;
  /** A host, or a unix socket path when connectPort is PORT_STREAMLOCAL. */
  connectHost: string;
  /** u32 on the wire (PROTOCOL.mux says string; the code says u32): 0 … INT_MAX or PORT_STREAMLOCAL. */
  connectPort: number;
}

export interface MuxStopListening {
  kind: "StopListening";
  rid: number;
}

/** MUX_C_PROXY: after MUX_S_PROXY the socket carries proxy-framed SSH packets (proxy_framing.ts). */
export interface MuxProxy {
  kind: "Proxy";
  rid: number;
}

/** MUX_C_EXT_INFO (OpenSSH 10.3+): only sent when the master's HELLO advertised "info". */
export interface MuxExtInfoRequest {
  kind: "ExtInfoRequest";
  rid: number;
  /** "connection" or "channels" in OpenSSH; others get status 0. */
  name: string;
}

/**
 * MUX_C_SSHMUX_SIGNAL (sshmux only): send RFC 4254 "signal" to a session's remote process.
 * `target` is a session id (decimal) or name; "" means the session of this connection.
 * `signal` is the RFC 4254 name without "SIG" ("TERM"). Answered with OK or FAILURE.
 */
export interface MuxSignal {
  kind: "Signal";
  rid: number;
  target: string;
  signal: string;
}

/**
 * MUX_C_SSHMUX_SET_NAME (sshmux only): names this connection's session (sent before or after
 * NEW_SESSION). Answered with OK, or FAILURE when the name is malformed or taken.
 */
export interface MuxSetName {
  kind: "SetName";
  rid: number;
  name: string;
}

// --- master → client ------------------------------------------------------------------------

export interface MuxOk {
  kind: "Ok";
  rid: number;
}

export interface MuxPermissionDenied {
  kind: "PermissionDenied";
  rid: number;
  reason: string;
}

export interface MuxFailure {
  kind: "Failure";
  rid: number;
  reason: string;
}

/** MUX_S_EXIT_MESSAGE: the remote exit status of session `sid`. */
export interface MuxExitMessage {
  kind: "ExitMessage";
  sid: number;
  exitValue: number;
}

/** MUX_S_ALIVE: `pid` must be nonzero (the stock client treats 0 as failure) and get SIGWINCH. */
export interface MuxAlive {
  kind: "Alive";
  rid: number;
  pid: number;
}

/** MUX_S_SESSION_OPENED: sid = the master's channel number of the session. */
export interface MuxSessionOpened {
  kind: "SessionOpened";
  rid: number;
  sid: number;
}

/** MUX_S_REMOTE_PORT: the port the server allocated for a remote forward with listen port 0. */
export interface MuxRemotePort {
  kind: "RemotePort";
  rid: number;
  port: number;
}

export interface MuxTtyAllocFail {
  kind: "TtyAllocFail";
  sid: number;
}

/** MUX_S_PROXY: every byte after this frame is proxy framing. */
export interface MuxProxyOk {
  kind: "ProxyOk";
  rid: number;
}

/** MUX_S_EXT_INFO: status 1 = supported name, 0 = unknown; message lines end with CRLF. */
export interface MuxExtInfoReply {
  kind: "ExtInfoReply";
  rid: number;
  status: number;
  message: string;
}

/** What a master reads from a control connection. */
export type MuxRequest =
  | MuxHello
  | MuxNewSession
  | MuxAliveCheck
  | MuxTerminate
  | MuxOpenFwd
  | MuxCloseFwd
  | MuxNewStdioFwd
  | MuxStopListening
  | MuxProxy
  | MuxExtInfoRequest
  | MuxSignal
  | MuxSetName
  | MuxUnknown;

/** What a client reads from the master. */
export type MuxReply =
  | MuxHello
  | MuxOk
  | MuxPermissionDenied
  | MuxFailure
  | MuxExitMessage
  | MuxAlive
  | MuxSessionOpened
  | MuxRemotePort
  | MuxTtyAllocFail
  | MuxProxyOk
  | MuxExtInfoReply
  | MuxUnknown;

export type MuxMessage = MuxRequest | MuxReply;
