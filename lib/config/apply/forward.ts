// Keywords for port forwarding: -L/-R/-D as config lines and the flags around them.
import { addForward, parseForward } from "../forward_spec.ts";
import type { KeywordHandler, LineResult, OptionLine } from "./line.ts";

/** LocalForward / RemoteForward / DynamicForward. */
function forward(l: OptionLine): LineResult {
  const a = l.next();
  if (a === undefined || a === "") return l.missing;
  const remote = l.keyword === "remoteforward";
  let dynamic = l.keyword === "dynamicforward";
  let spec = a;
  if (!dynamic) {
    const b = l.next();
    if (b === undefined || b === "") {
      if (remote) dynamic = true;
      else return `${l.where}: Missing target argument.`;
    } else spec = `${a}:${b}`;
  }
  // ssh builds the combined spec in a 256-byte buffer; longer specs are cut there.
  const fwd = parseForward(spec.slice(0, 255), dynamic, remote);
  if (!fwd) return `${l.where}: Bad forwarding specification.`;
  if (l.on) addForward(remote ? l.st.remoteForwards : l.st.localForwards, fwd);
  return undefined;
}

export const forwardKeywords: Record<string, KeywordHandler> = {
  localforward: forward,
  remoteforward: forward,
  dynamicforward: forward,
  clearallforwardings: (l) => l.flag("clearAllForwardings"),
  exitonforwardfailure: (l) => l.flag("exitOnForwardFailure"),
  gatewayports: (l) => l.flag("gatewayPorts"),
};
