// sshmux entry point: argv → Options → master | client | -O command | plain ssh.
// The only place that calls Deno.exit.
import { FatalError } from "./lib/errors.ts";

export const VERSION = "sshmux 0.1.0";

function main(args: string[]): Promise<number> {
  if (args.includes("-V")) {
    console.error(`${VERSION}, compatible with OpenSSH mux protocol 4`);
    return Promise.resolve(0);
  }
  throw new FatalError("usage: sshmux [-S ctl_path] [-O ctl_cmd] destination [command]");
}

if (import.meta.main) {
  main(Deno.args).then((code) => Deno.exit(code), (e) => {
    const msg = e instanceof Error ? e.message : String(e);
    console.error(msg);
    Deno.exit(e instanceof FatalError ? e.exitCode : 255);
  });
}
