// What the escape commands of a tty session do (ssh's process_escapes), apart from `~.`, which
// ends the session and is handled by its caller. Each command echoes itself on stderr the way
// ssh does ("~B", "~v [LogLevel VERBOSE]", "~^Z [suspend ssh]").

import { getLogLevel, logIsOnStderr, LogLevel, logLevelName, setLogLevel } from "../../log.ts";
import type { Channel } from "../connection/channel.ts";
import type { SshConnection } from "../connection/connection.ts";
import type { EscapeAction } from "./escape.ts";
import { escapeHelp } from "./escape.ts";

const enc = new TextEncoder();

export interface EscapeContext {
  esc: string;
  conn: SshConnection;
  channel: Channel;
  /** Writes to the user's stderr. */
  say(text: string): Promise<void>;
  /** Stops this process (SIGTSTP) with the terminal restored; resolves once it runs again. */
  suspend(): Promise<void>;
}

export async function runEscape(action: EscapeAction, x: EscapeContext): Promise<void> {
  switch (action) {
    case "help":
      return x.say(escapeHelp(x.esc));
    case "break":
      await x.say(`${x.esc}B\r\n`);
      // RFC 4335: break-length in ms; ssh sends 1000.
      await x.channel.request("break", Uint8Array.of(0, 0, 0x03, 0xe8), false).catch(() => {});
      return;
    case "rekey":
      x.conn.requestRekey();
      return;
    case "quieter":
    case "louder": {
      const key = action === "quieter" ? "V" : "v";
      if (!logIsOnStderr()) return x.say(`${x.esc}${key} [Logging to syslog]\r\n`);
      const now = getLogLevel();
      if (action === "quieter" && now > LogLevel.QUIET) setLogLevel((now - 1) as LogLevel);
      if (action === "louder" && now < LogLevel.DEBUG3) setLogLevel((now + 1) as LogLevel);
      return x.say(`${x.esc}${key} [LogLevel ${logLevelName(getLogLevel())}]\r\n`);
    }
    case "suspend":
      await x.say(`${x.esc}^Z [suspend ssh]\r\n`);
      return x.suspend();
    case "cmdline":
      // OpenSSH 9.2 turned the command line off by default (EnableEscapeCommandline); sshmux
      // has none to turn on.
      return x.say("commandline disabled\r\n");
    case "list": {
      const lines = x.conn.listChannels().map((c) =>
        `  #${c.localId} ${c.type} (remote ${c.remoteId}, ${c.state})\r\n`
      );
      return x.say(`${x.esc}#\r\nThe following connections are open:\r\n${lines.join("")}`);
    }
    case "disconnect":
    case "background":
      return; // the caller's
  }
}

/** Writes `text` to an endpoint, ignoring a closed stderr. */
export function sayTo(endpoint: { write(d: Uint8Array): Promise<void> }) {
  return (text: string) => endpoint.write(enc.encode(text)).catch(() => {});
}
