// ControlMaster ask/autoask: every request that opens something asks the user through
// ssh-askpass (readpass.c ask_permission): an empty answer or "yes" allows it, anything else,
// or no askpass program at all, refuses.

import { log } from "../log.ts";

const DEFAULT_ASKPASS = "/usr/bin/ssh-askpass";

export async function askPermission(prompt: string): Promise<boolean> {
  const program = Deno.env.get("SSH_ASKPASS") || DEFAULT_ASKPASS;
  try {
    const out = await new Deno.Command(program, {
      args: [prompt],
      env: { SSH_ASKPASS_PROMPT: "confirm" },
      stdin: "null",
      stdout: "piped",
      stderr: "inherit",
    }).output();
    if (!out.success) return false;
    const answer = new TextDecoder().decode(out.stdout).replace(/\r?\n$/, "");
    return answer === "" || answer.toLowerCase() === "yes";
  } catch (e) {
    log.debug(`ask_permission: ${program}: ${e instanceof Error ? e.message : e}`);
    return false;
  }
}
