// O_NONBLOCK on fds we borrow (a mux client's stdio passed to the master) lives in the open
// file description, which every fd for the same file shares. `cmd 2>&1 | ...` passes one pipe
// twice (stdout and stderr): if each FdIo saved and restored the flags on its own, the second
// one would save the O_NONBLOCK the first had set and put it back last, leaving the client's
// pipe non-blocking. So borrowers of one file share one record: the first saves the original
// flags, the last one to let go restores them.
//
// Files are told apart by (st_dev, st_ino). Two different descriptions of one file (a pipe's
// read and write ends, both passed to us) share a record too; the only cost is that the
// original flags of the first are the ones restored, and both ends of one pipe start equal in
// practice.
import { abi } from "./abi/mod.ts";
import { lastError } from "./errors.ts";
import { getStatusFlags, setStatusFlags } from "./fd_flags.ts";
import { libc, offHeap } from "./libc.ts";

const C = abi.const;
const S = abi.stat;

interface Record {
  original: number;
  users: number;
}

const records = new Map<string, Record>();
const statBuf = offHeap(S.size);
const statView = new DataView(statBuf.buffer);

/** "dev:ino" of the file behind `fd` (fstat). */
export function fileIdentity(fd: number): string {
  if (libc().fstat(fd, statBuf) < 0) throw lastError("fstat");
  const dev = S.devWidth === 8
    ? statView.getBigUint64(S.dev, true)
    : BigInt(statView.getUint32(S.dev, true));
  return `${dev}:${statView.getBigUint64(S.ino, true)}`;
}

/** Sets O_NONBLOCK on `fd`; returns the key to pass to releaseNonblocking. */
export function borrowNonblocking(fd: number): string {
  const key = fileIdentity(fd);
  let rec = records.get(key);
  if (!rec) {
    rec = { original: getStatusFlags(fd), users: 0 };
    records.set(key, rec);
  }
  rec.users++;
  const now = getStatusFlags(fd);
  if (!(now & C.O_NONBLOCK)) setStatusFlags(fd, now | C.O_NONBLOCK);
  return key;
}

/**
 * One borrower of `key` is done with `fd` (still open). The last one puts the original flags
 * back; earlier ones leave O_NONBLOCK for the borrowers still reading or writing.
 */
export function releaseNonblocking(fd: number, key: string): void {
  const rec = records.get(key);
  if (!rec) return;
  rec.users--;
  if (rec.users > 0) return;
  records.delete(key);
  setStatusFlags(fd, rec.original);
}

/** Files currently borrowed (tests). */
export function borrowedCount(): number {
  return records.size;
}
