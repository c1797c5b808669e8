// One config line being applied: its words, a cursor over them, and the setters every keyword
// handler shares (first value wins, ssh's messages for missing or bad values).
import type { ConfigState } from "../state.ts";
import { convtime } from "../control_persist.ts";
import { atoiErr, FLAG, multistate } from "../values.ts";

export interface LineContext {
  /** "/path/to/config" or "command-line". */
  file: string;
  line: number;
  /** Whether the current Host/Match block applies. */
  active: boolean;
  /** A -o option (stricter ProxyJump checks). */
  cmdline: boolean;
}

/** An error() ssh would print for this line (the line then counts as bad). */
export type LineResult = string | undefined;

/** Applies one keyword; returns ssh's error for a bad line, throws ConfigError for a fatal(). */
export type KeywordHandler = (line: OptionLine) => LineResult;

export class OptionLine {
  /** "file line N", the prefix of every message about this line. */
  readonly where: string;
  /** The next argument `next()` returns. */
  i = 0;

  constructor(
    readonly st: ConfigState,
    /** Canonical, lowercase. */
    readonly keyword: string,
    readonly args: string[],
    /** The raw remainder of the line after the keyword. */
    readonly rest: string,
    readonly ctx: LineContext,
  ) {
    this.where = `${ctx.file} line ${ctx.line}`;
  }

  /** Whether the current Host/Match block applies. */
  get on(): boolean {
    return this.ctx.active;
  }

  get missing(): string {
    return `${this.where}: Missing argument.`;
  }

  next(): string | undefined {
    return this.args[this.i++];
  }

  /** Marks every argument as used (the keyword took the whole line). */
  consumeAll(): void {
    this.i = this.args.length;
  }

  /** The rest of the line as one value, spaces and quotes included (and consumed). */
  restOfLine(): string {
    this.consumeAll();
    return this.rest.replace(/^[ \t\r\n=]+/, "");
  }

  /** First-wins setter: ssh only assigns when the block applies and nothing set it before. */
  set<K extends keyof ConfigState>(key: K, value: ConfigState[K]): void {
    if (this.on && this.st[key] === undefined) this.st[key] = value;
  }

  str<K extends keyof ConfigState>(key: K): LineResult {
    const a = this.next();
    if (a === undefined || a === "") return this.missing;
    this.set(key, a as ConfigState[K]);
    return undefined;
  }

  flag<K extends keyof ConfigState>(key: K, table: Record<string, unknown> = FLAG): LineResult {
    const a = this.next();
    const v = multistate(table, a);
    if (v === undefined) {
      if (a === undefined || a === "") return `${this.where}: missing argument.`;
      return `${this.where}: unsupported option "${a}".`;
    }
    this.set(key, v as ConfigState[K]);
    return undefined;
  }

  time<K extends keyof ConfigState>(key: K): LineResult {
    const a = this.next();
    if (a === undefined || a === "") return `${this.where}: missing time value.`;
    if (a === "none") return undefined; // ssh stores -1, its "unset": a later value still wins
    const v = convtime(a);
    if (v === undefined) return `${this.where}: invalid time value.`;
    this.set(key, v as ConfigState[K]);
    return undefined;
  }

  int<K extends keyof ConfigState>(key: K): LineResult {
    const v = atoiErr(this.next());
    if (typeof v === "string") return `${this.where}: integer value ${v}.`;
    this.set(key, v as ConfigState[K]);
    return undefined;
  }

  /** The whole rest of the line, spaces and quotes included, is the command. */
  command<K extends keyof ConfigState>(key: K): LineResult {
    this.set(key, this.restOfLine() as ConfigState[K]);
    return undefined;
  }
}
