// Serialises writes on one fd: each starts when the previous one has settled, in call order.
// When nothing is pending the write starts synchronously, so its first attempt happens inside
// the caller's call. Callers must still keep a passed fd open until sendFd() resolves.

export interface WriteQueue {
  pending: number;
  /** settles (never rejects) when the last queued write has */
  tail: Promise<void>;
}

export function newWriteQueue(): WriteQueue {
  return { pending: 0, tail: Promise.resolve() };
}

export function queueWrite(q: WriteQueue, body: () => Promise<void>): Promise<void> {
  const run = q.pending === 0 ? body() : q.tail.then(body);
  q.pending++;
  // Registered on `run` before the caller can await it, so the count drops before the caller
  // resumes: a write issued right after `await previous` starts synchronously again.
  const done = () => {
    q.pending--;
  };
  q.tail = run.then(done, done);
  return run;
}
