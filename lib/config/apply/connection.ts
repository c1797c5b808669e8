// Keywords for where and how to connect: the host, port, proxy, addresses, timeouts.
import { a2port } from "../ports.ts";
import { ADDRESS_FAMILY, parseJump } from "../values.ts";
import type { KeywordHandler } from "./line.ts";

export const connectionKeywords: Record<string, KeywordHandler> = {
  hostname: (l) => l.str("hostName"),
  user: (l) => l.str("user"),
  bindaddress: (l) => l.str("bindAddress"),
  bindinterface: (l) => l.str("bindInterface"),
  port: (l) => {
    const a = l.next();
    if (a === undefined || a === "") return l.missing;
    const p = a2port(a);
    if (p <= 0) return `${l.where}: Bad port '${a}'.`;
    l.set("port", p);
    return undefined;
  },
  proxycommand: (l) => l.command("proxyCommand"),
  proxyjump: (l) => {
    const value = l.restOfLine();
    const j = parseJump(value, l.ctx.cmdline);
    if (j === undefined) return `${l.where}: Invalid ProxyJump "${value}"`;
    // A ProxyCommand set earlier wins over a later ProxyJump, and vice versa.
    const st = l.st;
    if (l.on && st.jump === undefined && (j === "none" || st.proxyCommand === undefined)) {
      st.jump = j;
      if (j !== "none") st.proxyCommand = "none";
    }
    return undefined;
  },
  addressfamily: (l) => l.flag("addressFamily", ADDRESS_FAMILY),
  connecttimeout: (l) => l.time("connectTimeout"),
  connectionattempts: (l) => l.int("connectionAttempts"),
  serveraliveinterval: (l) => l.time("serverAliveInterval"),
  serveralivecountmax: (l) => l.int("serverAliveCountMax"),
};
