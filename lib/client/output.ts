// The texts ssh prints with fprintf rather than through its logger (`-O check`'s "Master
// running", "Shared connection to H closed.", `-O forward`'s port numbers): they go to the real
// stdout/stderr whatever -E says, exactly as ssh does.

const enc = new TextEncoder();

function writeAll(f: { writeSync(p: Uint8Array): number }, text: string): void {
  let data = enc.encode(text);
  try {
    while (data.length > 0) data = data.subarray(f.writeSync(data));
  } catch {
    // A closed stdout/stderr (EPIPE) leaves nothing useful to do with the text.
  }
}

export function writeStdout(text: string): void {
  writeAll(Deno.stdout, text);
}

export function writeStderr(text: string): void {
  writeAll(Deno.stderr, text);
}
