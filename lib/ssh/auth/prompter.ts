// Asking the user things (passphrases, passwords, keyboard-interactive answers, host key
// confirmation) on the controlling terminal, like ssh's read_passphrase(): prompts go to and
// answers come from /dev/tty, never stdin/stdout, so pipes through ssh stay clean. Without a tty
// (or with SSH_ASKPASS_REQUIRE=force/prefer) the SSH_ASKPASS program is asked instead, by ssh's rules.
// Kept in this one file so the terminal handling can switch to ffi/ termios later.

import { FatalError } from "../../errors.ts";

export interface Prompter {
  /** Shows `prompt` and reads one line; `echo` false hides the typing. null = no tty / EOF. */
  ask(prompt: string, echo: boolean): Promise<string | null>;
  /** Shows text with no answer expected (a server's instruction). Defaults to stderr. */
  show?(text: string): void;
}

/** Longest answer we accept from the keyboard; ssh's buffer is 1024 bytes too. */
const MAX_ANSWER = 1024;
const enc = new TextEncoder();
const dec = new TextDecoder();

/** Prompts on /dev/tty. Without echo, the tty goes raw while reading and is restored after. */
export class TtyPrompter implements Prompter {
  constructor(private readonly path = "/dev/tty") {}

  show(text: string): void {
    try {
      Deno.stderr.writeSync(enc.encode(text));
    } catch { /* stderr closed */ }
  }

  async ask(prompt: string, echo: boolean): Promise<string | null> {
    const mode = askpassMode();
    let tty: Deno.FsFile | undefined;
    if (!mode.use) {
      try {
        tty = await Deno.open(this.path, { read: true, write: true });
      } catch {
        mode.use = true; // no controlling terminal
      }
    }
    if (!tty) return mode.allow ? await runAskpass(prompt) : null;
    try {
      if (echo) {
        await writeAll(tty, enc.encode(prompt));
        return await readCookedLine(tty);
      }
      return await readHiddenLine(tty, prompt);
    } finally {
      tty.close();
    }
  }
}

/** ssh's askpass rules: allowed with a display; SSH_ASKPASS_REQUIRE force/prefer/never. */
function askpassMode(): { use: boolean; allow: boolean } {
  const env = (k: string) => Deno.env.get(k) ?? "";
  let allow = env("DISPLAY") !== "" || env("WAYLAND_DISPLAY") !== "";
  let use = false;
  const require = env("SSH_ASKPASS_REQUIRE").toLowerCase();
  if (require === "force") use = allow = true;
  else if (require === "prefer") use = allow;
  else if (require === "never") allow = false;
  return { use, allow };
}

/** Runs $SSH_ASKPASS (default /usr/bin/ssh-askpass) with the prompt; its first line is the answer. */
async function runAskpass(prompt: string): Promise<string | null> {
  const program = Deno.env.get("SSH_ASKPASS") || "/usr/bin/ssh-askpass";
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

async function writeAll(f: Deno.FsFile, data: Uint8Array): Promise<void> {
  let off = 0;
  while (off < data.length) off += await f.write(data.subarray(off));
}

/** Echoing prompt: the tty's own line editing does the work; read up to the newline. */
async function readCookedLine(tty: Deno.FsFile): Promise<string | null> {
  const bytes: number[] = [];
  const buf = new Uint8Array(256);
  while (bytes.length <= MAX_ANSWER * 4) {
    const n = await tty.read(buf);
    if (n === null || n === 0) return bytes.length ? dec.decode(Uint8Array.from(bytes)) : null;
    for (let i = 0; i < n; i++) {
      if (buf[i] === 0x0a) return dec.decode(Uint8Array.from(bytes)).slice(0, MAX_ANSWER);
      bytes.push(buf[i]);
    }
  }
  return dec.decode(Uint8Array.from(bytes)).slice(0, MAX_ANSWER);
}

/**
 * Hidden prompt: raw mode turns echo off (and line editing with it), so erase keys are handled
 * here. ^C aborts like ssh (which dies on SIGINT at a passphrase prompt); ^D on an empty line = EOF.
 */
async function readHiddenLine(tty: Deno.FsFile, prompt: string): Promise<string | null> {
  try {
    tty.setRaw(true);
  } catch {
    return null; // not a terminal after all
  }
  // Echo goes off before the prompt shows, so nothing typed early is ever displayed. Raw mode
  // may also stop output processing: spell out the carriage returns.
  const chars: string[] = [];
  const buf = new Uint8Array(64);
  let pending: number[] = [];
  try {
    await writeAll(tty, enc.encode(prompt.replace(/\r?\n/g, "\r\n")));
    for (;;) {
      const n = await tty.read(buf);
      if (n === null || n === 0) return chars.length ? chars.join("") : null;
      for (let i = 0; i < n; i++) {
        const b = buf[i];
        if (b === 0x0d || b === 0x0a) return chars.join("");
        if (b === 0x03) throw new FatalError("", 130);
        if (b === 0x04 && chars.length === 0) return null;
        if (b === 0x7f || b === 0x08) chars.pop();
        else if (b === 0x15) chars.length = 0;
        else if (b >= 0x20 || b === 0x09) {
          // Collect UTF-8 sequences byte by byte and decode when complete.
          pending.push(b);
          const s = dec.decode(Uint8Array.from(pending), { stream: false });
          if (!s.includes("\ufffd") || pending.length >= 4) {
            chars.push(s);
            pending = [];
          }
          if (chars.length > MAX_ANSWER) return chars.slice(0, MAX_ANSWER).join("");
        }
      }
    }
  } finally {
    try {
      tty.setRaw(false);
    } catch { /* tty gone */ }
    try {
      await writeAll(tty, enc.encode("\n"));
    } catch { /* tty gone */ }
  }
}

/** A prompter that answers from a script, for tests and non-interactive callers. */
export class ScriptedPrompter implements Prompter {
  readonly asked: { prompt: string; echo: boolean }[] = [];
  readonly shown: string[] = [];
  constructor(private readonly answers: (string | null)[]) {}
  ask(prompt: string, echo: boolean): Promise<string | null> {
    this.asked.push({ prompt, echo });
    return Promise.resolve(this.answers.length ? this.answers.shift()! : null);
  }
  show(text: string): void {
    this.shown.push(text);
  }
}
