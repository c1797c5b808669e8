// The shape of one target's C ABI: constants and struct layouts that libc callers need.
// Everything that differs between Linux and macOS lives in a table of this type, so the
// code in ffi/ never spells a magic number or an offset itself (and the tables can be
// unit-tested for size/offset arithmetic on any host).

/** Byte offsets and sizes of `struct msghdr`. Width fields are 8 (size_t) or 4 (int/socklen_t). */
export interface MsghdrLayout {
  size: number;
  name: number;
  namelen: number;
  iov: number;
  iovlen: number;
  iovlenWidth: 4 | 8;
  control: number;
  controllen: number;
  controllenWidth: 4 | 8;
  flags: number;
}

/** `struct cmsghdr`: header length, the width of cmsg_len, and the CMSG_ALIGN unit. */
export interface CmsgLayout {
  hdrLen: number;
  lenWidth: 4 | 8;
  level: number;
  type: number;
  align: number;
}

/** `struct sockaddr_un`. `lenOffset` is the BSD sun_len byte (null on Linux). */
export interface SockaddrUnLayout {
  size: number;
  lenOffset: number | null;
  familyOffset: number;
  familyWidth: 1 | 2;
  pathOffset: number;
  /** bytes in sun_path, including the terminating NUL */
  pathSize: number;
}

/** `struct termios`: tcflag_t width, field offsets, c_cc position and NCCS. */
export interface TermiosLayout {
  size: number;
  flagWidth: 4 | 8;
  iflag: number;
  oflag: number;
  cflag: number;
  lflag: number;
  cc: number;
  nccs: number;
  /** offsets of c_ispeed/c_ospeed when speed_t holds the numeric baud rate (BSD), else null */
  ispeed: number | null;
  ospeed: number | null;
}

/** c_cc indices; a name this OS lacks is absent. */
export type CcName =
  | "VINTR"
  | "VQUIT"
  | "VERASE"
  | "VKILL"
  | "VEOF"
  | "VEOL"
  | "VEOL2"
  | "VSTART"
  | "VSTOP"
  | "VSUSP"
  | "VDSUSP"
  | "VREPRINT"
  | "VWERASE"
  | "VLNEXT"
  | "VFLUSH"
  | "VSWTCH"
  | "VSTATUS"
  | "VDISCARD"
  | "VMIN"
  | "VTIME";

export type IflagName =
  | "IGNPAR"
  | "PARMRK"
  | "INPCK"
  | "ISTRIP"
  | "INLCR"
  | "IGNCR"
  | "ICRNL"
  | "IUCLC"
  | "IXON"
  | "IXANY"
  | "IXOFF"
  | "IMAXBEL"
  | "IUTF8";
export type LflagName =
  | "ISIG"
  | "ICANON"
  | "XCASE"
  | "ECHO"
  | "ECHOE"
  | "ECHOK"
  | "ECHONL"
  | "NOFLSH"
  | "TOSTOP"
  | "IEXTEN"
  | "ECHOCTL"
  | "ECHOKE"
  | "PENDIN";
export type OflagName = "OPOST" | "OLCUC" | "ONLCR" | "OCRNL" | "ONOCR" | "ONLRET";
export type CflagName = "CS7" | "CS8" | "PARENB" | "PARODD";

export interface Abi {
  os: "linux" | "darwin";
  libcPath: string;
  /** symbol returning the calling thread's errno address */
  errnoSymbol: "__errno_location" | "__error";
  /**
   * Dummy register-sized arguments inserted before the first variadic argument of fcntl/ioctl.
   * 0 where variadic integers travel like fixed ones (x86_64 SysV, aarch64 Linux). On Apple arm64
   * variadic arguments always go on the stack, so 6 dummies fill x2..x7 and push the real one
   * into the first stack slot. That trick is UNTESTED on real Apple hardware.
   */
  variadicPad: number;
  /** `nfds_t`: unsigned long on Linux, unsigned int on macOS */
  nfdsWidth: 4 | 8;
  /** eventfd(2) exists (else the reactor wakes itself through a pipe) */
  hasEventfd: boolean;
  /**
   * struct epoll_event where epoll exists (then the reactor uses it, else poll): its size and
   * the offset of its 64-bit data field (x86_64 packs it at 4; other architectures align it).
   */
  epollEvent?: { size: number; dataOffset: number };
  /** accept4/pipe2/SOCK_CLOEXEC exist (else fcntl after the call) */
  hasAtomicCloexec: boolean;
  /** SO_PEERCRED with struct ucred (else getpeereid) */
  peerCred: { SO_PEERCRED: number; size: number; uidOffset: number; pidOffset: number } | null;

  errno: Record<string, number>;
  const: {
    F_DUPFD_CLOEXEC: number;
    F_GETFD: number;
    F_SETFD: number;
    F_GETFL: number;
    F_SETFL: number;
    FD_CLOEXEC: number;
    O_RDONLY: number;
    O_WRONLY: number;
    O_RDWR: number;
    O_ACCMODE: number;
    /** Linux's O_PATH (an fd that can be neither read nor written); 0 where there is none. */
    O_PATH: number;
    O_NONBLOCK: number;
    O_CLOEXEC: number;
    O_NOCTTY: number;
    SEEK_CUR: number;
    AF_UNIX: number;
    SOCK_STREAM: number;
    SOCK_CLOEXEC: number;
    SOCK_NONBLOCK: number;
    SOL_SOCKET: number;
    SCM_RIGHTS: number;
    SO_NOSIGPIPE: number;
    MSG_NOSIGNAL: number;
    MSG_DONTWAIT: number;
    MSG_CTRUNC: number;
    MSG_CMSG_CLOEXEC: number;
    SHUT_WR: number;
    POLLIN: number;
    POLLOUT: number;
    POLLERR: number;
    POLLHUP: number;
    POLLNVAL: number;
    EFD_CLOEXEC: number;
    EFD_NONBLOCK: number;
    TIOCGWINSZ: number;
    TIOCSWINSZ: number;
    /** The device of the terminal behind an fd (Linux); 0 where there is no such call. */
    TIOCGDEV: number;
    TCSANOW: number;
    TCSADRAIN: number;
    POSIX_VDISABLE: number;
  };
  msghdr: MsghdrLayout;
  cmsg: CmsgLayout;
  sockaddrUn: SockaddrUnLayout;
  termios: TermiosLayout;
  /** `struct stat` as far as fstat() callers need it: identity of the open file. */
  stat: StatLayout;
  /** TCP/IP: address families, socket options, sockaddr_in/in6 and struct addrinfo. */
  inet: InetLayout;
  cc: Partial<Record<CcName, number>>;
  iflag: Partial<Record<IflagName, number>>;
  lflag: Partial<Record<LflagName, number>>;
  oflag: Partial<Record<OflagName, number>>;
  cflag: Record<CflagName, number>;
  /**
   * What cfgetispeed/cfgetospeed return, mapped to a baud rate. Linux stores B-codes
   * (B38400 = 15); macOS stores the rate itself (identity map over the known rates).
   */
  speedToBaud: Map<number, number>;
}

/**
 * `struct sockaddr_in` / `sockaddr_in6`. `lenOffset` is the BSD sin_len byte (null on Linux);
 * the port and the address are in network byte order, the family in host order.
 */
export interface SockaddrInLayout {
  size: number;
  lenOffset: number | null;
  familyOffset: number;
  familyWidth: 1 | 2;
  portOffset: number;
  addrOffset: number;
  /** sin6_flowinfo and sin6_scope_id (sockaddr_in6 only) */
  flowinfoOffset?: number;
  scopeIdOffset?: number;
}

/** `struct addrinfo` field offsets (the BSDs put ai_canonname before ai_addr). */
export interface AddrinfoLayout {
  size: number;
  flags: number;
  family: number;
  socktype: number;
  protocol: number;
  addrlen: number;
  addr: number;
  next: number;
}

export interface InetLayout {
  AF_UNSPEC: number;
  AF_INET: number;
  AF_INET6: number;
  IPPROTO_TCP: number;
  TCP_NODELAY: number;
  SO_ERROR: number;
  AI_PASSIVE: number;
  /** getaddrinfo's "see errno" code, whose errno belongs to the thread that ran it */
  EAI_SYSTEM: number;
  sockaddrIn: SockaddrInLayout;
  sockaddrIn6: SockaddrInLayout;
  addrinfo: AddrinfoLayout;
}

/** `struct stat`: buffer size (at least sizeof) and where st_dev / st_ino live. */
export interface StatLayout {
  size: number;
  dev: number;
  devWidth: 4 | 8;
  ino: number;
}

/** CMSG_ALIGN for this ABI. */
export function cmsgAlign(abi: Abi, n: number): number {
  const a = abi.cmsg.align;
  return (n + a - 1) & ~(a - 1);
}

/** CMSG_LEN(n): header (aligned) plus n data bytes. */
export function cmsgLen(abi: Abi, n: number): number {
  return cmsgAlign(abi, abi.cmsg.hdrLen) + n;
}

/** CMSG_SPACE(n): header plus n data bytes, both aligned. */
export function cmsgSpace(abi: Abi, n: number): number {
  return cmsgAlign(abi, abi.cmsg.hdrLen) + cmsgAlign(abi, n);
}

/** Offset of the data of a cmsg (CMSG_DATA) relative to its header. */
export function cmsgDataOffset(abi: Abi): number {
  return cmsgAlign(abi, abi.cmsg.hdrLen);
}
