// One pipe passed twice (`cmd 2>&1 | ...`: the client's stdout and stderr share one open file):
// whichever FdIo closes first, the file's O_NONBLOCK comes back as it was before any of them.
import { assertEquals } from "@std/assert";
import { FdIo, pipe } from "../../ffi/mod.ts";
import { dupFd } from "../../ffi/misc.ts";
import { fdNumber } from "../../ffi/raw_fd.ts";
import { getStatusFlags, setStatusFlags } from "../../ffi/fd_flags.ts";
import { borrowedCount, fileIdentity } from "../../ffi/shared_flags.ts";
import { abi } from "../../ffi/abi/mod.ts";
import { reactorIdle } from "../../ffi/reactor.ts";

const NB = abi.const.O_NONBLOCK;

for (const order of ["first-opened closes first", "last-opened closes first"]) {
  Deno.test(`ffi shared flags: stdout and stderr on one pipe (${order}) leave it blocking`, async () => {
    const [r, w] = pipe();
    const w2 = dupFd(w);
    const probe = dupFd(w); // stays ours: the flags are read through it after both closed
    try {
      assertEquals(getStatusFlags(fdNumber(probe)) & NB, 0);
      assertEquals(fileIdentity(fdNumber(w)), fileIdentity(fdNumber(w2)));
      const out = new FdIo(w);
      const err = new FdIo(w2);
      assertEquals(getStatusFlags(fdNumber(probe)) & NB, NB);
      await out.write(new Uint8Array([1]));
      await err.write(new Uint8Array([2]));
      const [first, second] = order.startsWith("first") ? [out, err] : [err, out];
      first.close();
      // The other still writes without blocking the process: O_NONBLOCK stays while it lives.
      assertEquals(getStatusFlags(fdNumber(probe)) & NB, NB);
      second.close();
      assertEquals(getStatusFlags(fdNumber(probe)) & NB, 0);
      assertEquals(borrowedCount(), 0);
    } finally {
      probe.close();
      r.close();
      await reactorIdle();
    }
  });
}

Deno.test("ffi shared flags: a pipe that was non-blocking before stays non-blocking", async () => {
  const [r, w] = pipe();
  const probe = dupFd(w);
  try {
    setStatusFlags(fdNumber(probe), getStatusFlags(fdNumber(probe)) | NB);
    const io = new FdIo(w);
    io.close();
    assertEquals(getStatusFlags(fdNumber(probe)) & NB, NB);
  } finally {
    probe.close();
    r.close();
    await reactorIdle();
  }
});
