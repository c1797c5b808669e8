// Asking the user things (passphrases, passwords, keyboard-interactive answers, host key
// confirmation) like ssh's read_passphrase(): on the terminal, never through the session's
// stdin/stdout data. ssh opens /dev/tty; Deno.open allows that only under --allow-all, so we use
// it when permitted, else stdin when it is a terminal (prompt on stderr), else /dev/tty opened
// through ffi (stdin is a pipe or file, as in `sshmux host < data`), else SSH_ASKPASS (askpass.ts).

import { enterRawMode, FdIo, openTty } from "../../../ffi/mod.ts";
import { FatalError } from "../../errors.ts";
import { askpassMode, type EnvLookup, runAskpass } from "./askpass.ts";

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

/** The terminal a prompt talks to: where the prompt goes and where answers come from. */
interface Terminal {
  write(data: Uint8Array): Promise<void>;
  read(buf: Uint8Array): Promise<number | null>;
  setRaw(raw: boolean): void;
  close(): void;
}

async function writeAllTo(w: { write(b: Uint8Array): Promise<number> }, data: Uint8Array) {
  let off = 0;
  while (off < data.length) off += await w.write(data.subarray(off));
}

/** /dev/tty itself (needs --allow-all under Deno's permission model). */
async function openDevTty(path: string): Promise<Terminal | undefined> {
  let f: Deno.FsFile;
  try {
    f = await Deno.open(path, { read: true, write: true });
  } catch {
    return undefined;
  }
  return {
    write: (d) => writeAllTo(f, d),
    read: (b) => f.read(b),
    setRaw: (raw) => f.setRaw(raw),
    close: () => f.close(),
  };
}

/** stdin when it is a terminal; the prompt goes to stderr (or stdout) if that is one too. */
function stdinTerminal(): Terminal | undefined {
  if (!Deno.stdin.isTerminal()) return undefined;
  const out = Deno.stderr.isTerminal() || !Deno.stdout.isTerminal() ? Deno.stderr : Deno.stdout;
  return {
    write: (d) => writeAllTo(out, d),
    read: (b) => Deno.stdin.read(b),
    setRaw: (raw) => Deno.stdin.setRaw(raw),
    close: () => {}, // not ours to close
  };
}

/** The controlling terminal through ffi: the path when stdin is redirected. */
function ffiTerminal(path: string): Terminal | undefined {
  let fd;
  try {
    fd = openTty(path);
  } catch {
    return undefined;
  }
  if (!fd) return undefined;
  const io = new FdIo(fd);
  let restore: (() => void) | undefined;
  return {
    write: (d) => io.write(d),
    read: (b) => io.read(b),
    setRaw: (raw) => {
      if (raw) restore ??= enterRawMode(fd);
      else {
        restore?.();
        restore = undefined;
      }
    },
    close: () => {
      restore?.();
      io.close();
    },
  };
}

export interface TtyPrompterOptions {
  /** The terminal device (default /dev/tty). */
  path?: string;
  /** Fall back to stdin when it is a terminal (default true; tests turn it off). */
  useStdin?: boolean;
  /** Environment lookup for DISPLAY / SSH_ASKPASS* (default the process environment). */
  env?: EnvLookup;
}

export class TtyPrompter implements Prompter {
  private readonly path: string;
  private readonly useStdin: boolean;
  private readonly env: EnvLookup;

  constructor(o: TtyPrompterOptions = {}) {
    this.path = o.path ?? "/dev/tty";
    this.useStdin = o.useStdin ?? true;
    this.env = o.env ?? ((k) => Deno.env.get(k));
  }

  show(text: string): void {
    try {
      Deno.stderr.writeSync(enc.encode(text));
    } catch { /* stderr closed */ }
  }

  async ask(prompt: string, echo: boolean): Promise<string | null> {
    const mode = askpassMode(this.env);
    let tty: Terminal | undefined;
    if (!mode.use) {
      tty = await openDevTty(this.path) ?? (this.useStdin ? stdinTerminal() : undefined) ??
        ffiTerminal(this.path);
    }
    if (!tty) return mode.allow ? await runAskpass(prompt, this.env) : null;
    try {
      // Like ssh: start at column 0, over anything typed before the prompt appeared.
      await tty.write(enc.encode("\r"));
      if (echo) {
        await tty.write(enc.encode(prompt));
        return await readCookedLine(tty);
      }
      return await readHiddenLine(tty, prompt);
    } finally {
      tty.close();
    }
  }
}

/**
 * Echoing prompt: the tty's own line editing does the work. Byte by byte, so nothing typed
 * after the newline is taken from whoever reads the terminal next.
 */
async function readCookedLine(tty: Terminal): Promise<string | null> {
  const bytes: number[] = [];
  const one = new Uint8Array(1);
  while (bytes.length < MAX_ANSWER * 4) {
    const n = await tty.read(one);
    if (n === null || n === 0) return bytes.length ? dec.decode(Uint8Array.from(bytes)) : null;
    if (one[0] === 0x0a) break;
    bytes.push(one[0]);
  }
  return dec.decode(Uint8Array.from(bytes)).slice(0, MAX_ANSWER);
}

/**
 * Hidden prompt: raw mode turns echo off (and line editing with it), so erase keys are handled
 * here. ^C aborts like ssh (which dies on SIGINT at a passphrase prompt); ^D on an empty line = EOF.
 */
async function readHiddenLine(tty: Terminal, prompt: string): Promise<string | null> {
  try {
    tty.setRaw(true);
  } catch {
    return null; // not a terminal after all
  }
  const chars: string[] = [];
  const one = new Uint8Array(1);
  let pending: number[] = [];
  try {
    // Echo goes off before the prompt shows, so nothing typed early is ever displayed. Raw mode
    // may also stop output processing: spell out the carriage returns.
    await tty.write(enc.encode(prompt.replace(/\r?\n/g, "\r\n")));
    for (;;) {
      const n = await tty.read(one);
      if (n === null || n === 0) return chars.length ? chars.join("") : null;
      const b = one[0];
      if (b === 0x0d || b === 0x0a) return chars.join("");
      if (b === 0x03) throw new FatalError("", 130);
      if (b === 0x04 && chars.length === 0) return null;
      if (b === 0x7f || b === 0x08) chars.pop();
      else if (b === 0x15) chars.length = 0;
      else if (b >= 0x20 || b === 0x09) {
        // Collect a UTF-8 sequence byte by byte; decode it once complete.
        pending.push(b);
        const s = dec.decode(Uint8Array.from(pending));
        if (!s.includes("\ufffd") || pending.length >= 4) {
          chars.push(s);
          pending = [];
        }
        if (chars.length >= MAX_ANSWER) return chars.join("");
      }
    }
  } finally {
    try {
      tty.setRaw(false);
    } catch { /* tty gone */ }
    try {
      await tty.write(enc.encode("\n"));
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
