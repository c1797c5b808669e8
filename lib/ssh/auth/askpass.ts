// SSH_ASKPASS, by the rules of ssh's read_passphrase(): allowed when there is a display (or
// SSH_ASKPASS_REQUIRE=force), preferred with SSH_ASKPASS_REQUIRE=prefer, never with "never",
// and the fallback when no terminal can be reached.

const dec = new TextDecoder();
/** Longest answer taken from the program (ssh reads at most 1024 bytes). */
const MAX_ANSWER = 1024;

/** ssh's askpass rules: allowed with a display; SSH_ASKPASS_REQUIRE force/prefer/never. */
export type EnvLookup = (name: string) => string | undefined;

export function askpassMode(getEnv: EnvLookup): { use: boolean; allow: boolean } {
  const env = (k: string) => getEnv(k) ?? "";
  let allow = env("DISPLAY") !== "" || env("WAYLAND_DISPLAY") !== "";
  let use = false;
  const require = env("SSH_ASKPASS_REQUIRE").toLowerCase();
  if (require === "force") use = allow = true;
  else if (require === "prefer") use = allow;
  else if (require === "never") allow = false;
  return { use, allow };
}

/** Runs $SSH_ASKPASS (default /usr/bin/ssh-askpass) with the prompt; its first line is the answer. */
export async function runAskpass(prompt: string, getEnv: EnvLookup): Promise<string | null> {
  const program = getEnv("SSH_ASKPASS") || "/usr/bin/ssh-askpass";
  try {
    const r = await new Deno.Command(program, {
      args: [prompt],
      stdin: "null",
      stdout: "piped",
      stderr: "inherit",
    }).output();
    if (!r.success) return null;
    const text = dec.decode(r.stdout.subarray(0, MAX_ANSWER * 4));
    return text.split(/[\r\n]/)[0].slice(0, MAX_ANSWER);
  } catch {
    return null; // no such program
  }
}
