// strerror(3) texts for the errno codes a control-socket connect can fail with, so messages read
// exactly like ssh's ("Control socket connect(PATH): Connection refused").

const texts: Record<string, string> = {
  ENOENT: "No such file or directory",
  ECONNREFUSED: "Connection refused",
  EACCES: "Permission denied",
  EPERM: "Operation not permitted",
  ENOTDIR: "Not a directory",
  ENAMETOOLONG: "File name too long",
  ENOTSOCK: "Socket operation on non-socket",
  ECONNRESET: "Connection reset by peer",
  EPIPE: "Broken pipe",
  EAGAIN: "Resource temporarily unavailable",
  EINTR: "Interrupted system call",
  ELOOP: "Too many levels of symbolic links",
  EPROTOTYPE: "Protocol wrong type for socket",
  EMFILE: "Too many open files",
  ENFILE: "Too many open files in system",
  ETIMEDOUT: "Connection timed out",
};

export function strerror(code: string): string {
  return texts[code] ?? code;
}
