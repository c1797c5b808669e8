// SSH transport-layer message numbers and disconnect reasons (RFC 4250 §4.1-4.2, RFC 8308,
// RFC 5656 §7.1), with the RFC names so they can be grepped against the specs.

export const SSH_MSG_DISCONNECT = 1;
export const SSH_MSG_IGNORE = 2;
export const SSH_MSG_UNIMPLEMENTED = 3;
export const SSH_MSG_DEBUG = 4;
export const SSH_MSG_SERVICE_REQUEST = 5;
export const SSH_MSG_SERVICE_ACCEPT = 6;
export const SSH_MSG_EXT_INFO = 7;
export const SSH_MSG_KEXINIT = 20;
export const SSH_MSG_NEWKEYS = 21;
/** KEX_ECDH_INIT, KEXDH_INIT and KEX_HYBRID_INIT share this number. */
export const SSH_MSG_KEX_ECDH_INIT = 30;
/** KEX_ECDH_REPLY, KEXDH_REPLY and KEX_HYBRID_REPLY share this number. */
export const SSH_MSG_KEX_ECDH_REPLY = 31;
/** First message number of the user-auth and connection protocols. */
export const SSH_MSG_USERAUTH_FIRST = 50;

export const SSH2_DISCONNECT_HOST_NOT_ALLOWED_TO_CONNECT = 1;
export const SSH2_DISCONNECT_PROTOCOL_ERROR = 2;
export const SSH2_DISCONNECT_KEY_EXCHANGE_FAILED = 3;
export const SSH2_DISCONNECT_MAC_ERROR = 5;
export const SSH2_DISCONNECT_SERVICE_NOT_AVAILABLE = 7;
export const SSH2_DISCONNECT_PROTOCOL_VERSION_NOT_SUPPORTED = 8;
export const SSH2_DISCONNECT_HOST_KEY_NOT_VERIFIABLE = 9;
export const SSH2_DISCONNECT_CONNECTION_LOST = 10;
export const SSH2_DISCONNECT_BY_APPLICATION = 11;
export const SSH2_DISCONNECT_TOO_MANY_CONNECTIONS = 12;
export const SSH2_DISCONNECT_AUTH_CANCELLED_BY_USER = 13;
export const SSH2_DISCONNECT_NO_MORE_AUTH_METHODS_AVAILABLE = 14;
export const SSH2_DISCONNECT_ILLEGAL_USER_NAME = 15;

/** Largest packet_length we accept or send (OpenSSH's PACKET_MAX_SIZE). */
export const MAX_PACKET_LENGTH = 256 * 1024;

/** Our identification string (RFC 4253 §4.2), sent without the trailing CR LF. */
export const CLIENT_VERSION = "SSH-2.0-sshmux_0.1";

/** Pseudo-algorithms in the kex list of the first KEXINIT only. */
export const EXT_INFO_C = "ext-info-c";
export const KEX_STRICT_C = "kex-strict-c-v00@openssh.com";
export const KEX_STRICT_S = "kex-strict-s-v00@openssh.com";
