// Picks the ABI table of the OS we run on.
import { darwinAbi } from "./darwin.ts";
import { linuxAbi } from "./linux.ts";
import type { Abi } from "./types.ts";

export type { Abi } from "./types.ts";
export { cmsgAlign, cmsgDataOffset, cmsgLen, cmsgSpace } from "./types.ts";
export { darwinAbi, linuxAbi };

function pick(): Abi {
  switch (Deno.build.os) {
    case "linux":
      return linuxAbi;
    case "darwin":
      return darwinAbi;
    default:
      throw new Error(`sshmux: no libc ABI table for ${Deno.build.os}`);
  }
}

/** The running target's ABI. */
export const abi: Abi = pick();
