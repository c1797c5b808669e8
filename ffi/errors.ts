// Typed errors for system calls and for malformed fd-passing messages.
import { abi } from "./abi/mod.ts";
import { errno as currentErrno, strerror } from "./libc.ts";

/** errno values of this OS by name, for comparing right after a failed call (E.EAGAIN ...). */
export const E: Readonly<Record<string, number>> = abi.errno;

const errnoNames = new Map<number, string>();
for (const [name, value] of Object.entries(abi.errno)) {
  if (!errnoNames.has(value)) errnoNames.set(value, name);
}

/** "ENOENT" for 2, "E<n>" for a value the ABI table does not name. */
export function errnoName(e: number): string {
  return errnoNames.get(e) ?? `E${e}`;
}

/** This OS's value for an errno name, e.g. errnoValue("EAGAIN"). */
export function errnoValue(name: string): number {
  const v = abi.errno[name];
  if (v === undefined) throw new Error(`unknown errno name ${name}`);
  return v;
}

/** A failed system call: which operation, the errno value and its symbolic name. */
export class SysError extends Error {
  readonly op: string;
  readonly errno: number;
  readonly code: string;
  /** libc's strerror text, e.g. "Connection refused" (ssh prints these). */
  readonly description: string;

  constructor(op: string, errno: number, detail?: string) {
    let description: string;
    try {
      description = strerror(errno);
    } catch {
      description = `errno ${errno}`;
    }
    super(`${op}: ${description}${detail ? ` (${detail})` : ""}`);
    this.name = "SysError";
    this.op = op;
    this.errno = errno;
    this.code = errnoName(errno);
    this.description = description;
  }
}

/** Builds a SysError from this thread's errno; call right after the failing call. */
export function lastError(op: string, detail?: string): SysError {
  return new SysError(op, currentErrno(), detail);
}

/** Builds a SysError for an errno name (for failures we detect ourselves, e.g. ENAMETOOLONG). */
export function sysErrorNamed(op: string, name: string, detail?: string): SysError {
  return new SysError(op, errnoValue(name), detail);
}

/** The peer sent something other than exactly 1 byte carrying exactly one SCM_RIGHTS fd. */
export class FdPassError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "FdPassError";
  }
}

/** The peer closed the connection in the middle of a message we had started to read. */
export class EofError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "EofError";
  }
}
