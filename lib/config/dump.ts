// `ssh -G`: the resolved options printed as "keyword value" lines, in ssh's spelling, for
// the keywords sshmux implements. Tests diff this against the real `ssh -G`.
import type { Options } from "./options.ts";
import { PORT_STREAMLOCAL } from "../mux/constants.ts";
import { formatForward } from "./forward_spec.ts";

// log_level_name(): the first name in ssh's table for a level, so DEBUG1 prints as "DEBUG".
const LEVEL_NAMES = ["QUIET", "FATAL", "ERROR", "INFO", "VERBOSE", "DEBUG", "DEBUG2", "DEBUG3"];

const yn = (b: boolean) => (b ? "yes" : "no");

/** vis(3) with VIS_WHITE for one character, as ssh prints the escape character. */
function visChar(c: string): string {
  const code = c.charCodeAt(0);
  if (c === " ") return "\\040";
  if (c === "\t") return "\\t";
  if (c === "\n") return "\\n";
  if (code < 32) return `\\^${String.fromCharCode(code + 64)}`;
  if (code === 127) return "\\^?";
  return c;
}

/** Formats the options like `ssh -G` (a subset of its keys, same order and spelling). */
export function formatConfig(o: Options): string {
  const lines: string[] = [];
  const add = (k: string, v: string | number | undefined) => {
    if (v !== undefined) lines.push(`${k} ${v}`);
  };
  add("host", o.hostArg);
  add("user", o.user);
  add("hostname", o.hostName);
  add("port", o.port);
  add("addressfamily", o.addressFamily);
  add("batchmode", yn(o.batchMode));
  add("compression", yn(o.compression));
  add(
    "controlmaster",
    o.controlMaster === "yes" ? "true" : o.controlMaster === "no" ? "false" : o.controlMaster,
  );
  add("clearallforwardings", yn(o.clearAllForwardings));
  add("exitonforwardfailure", yn(o.exitOnForwardFailure));
  add("forwardx11", yn(o.forwardX11));
  add("gatewayports", yn(o.gatewayPorts));
  add("identitiesonly", yn(o.identitiesOnly));
  add("kbdinteractiveauthentication", yn(o.kbdInteractiveAuthentication));
  add("passwordauthentication", yn(o.passwordAuthentication));
  add("pubkeyauthentication", o.pubkeyAuthentication ? "true" : "false");
  add(
    "requesttty",
    {
      auto: "auto",
      no: "false",
      yes: "true",
      force: "force",
    }[o.requestTTY],
  );
  add("sessiontype", o.sessionType);
  add("stdinnull", yn(o.stdinNull));
  add("forkafterauthentication", yn(o.forkAfterAuthentication));
  add(
    "stricthostkeychecking",
    {
      yes: "true",
      no: "false",
      ask: "ask",
      "accept-new": "accept-new",
    }[o.strictHostKeyChecking],
  );
  add("connectionattempts", o.connectionAttempts);
  add("numberofpasswordprompts", o.numberOfPasswordPrompts);
  add("serveralivecountmax", o.serverAliveCountMax);
  add("serveraliveinterval", o.serverAliveInterval);
  add("ciphers", o.ciphers);
  add("hostkeyalgorithms", o.hostKeyAlgorithms);
  add("hostkeyalias", o.hostKeyAlias);
  add("kexalgorithms", o.kexAlgorithms);
  add("loglevel", LEVEL_NAMES[o.logLevel] ?? String(o.logLevel));
  add("macs", o.macs);
  add("pubkeyacceptedalgorithms", o.pubkeyAcceptedAlgorithms);
  add("bindaddress", o.bindAddress);
  add("bindinterface", o.bindInterface);
  add("controlpath", o.controlPath);
  add("identityagent", o.identityAgent);
  add("preferredauthentications", o.preferredAuthentications);
  add("remotecommand", o.remoteCommand);
  for (const f of o.identityFiles) add("identityfile", f);
  for (const f of o.certificateFiles) add("certificatefile", f);
  add("globalknownhostsfile", o.globalKnownHostsFiles.join(" ") || "none");
  add("userknownhostsfile", o.userKnownHostsFiles.join(" ") || "none");
  // ssh -G lists a forward under DynamicForward unless it has a connect host other than
  // "socks", so a forward to a unix socket shows up under both keys; mirrored here.
  for (const f of o.localForwards) {
    if (f.connectHost === undefined || f.connectHost === "socks") {
      add("dynamicforward", formatForward(f, false));
    }
  }
  for (const f of o.localForwards) {
    if (f.connectHost !== "socks") add("localforward", formatForward(f, true));
  }
  for (const f of o.remoteForwards) add("remoteforward", formatForward(f, true));
  for (const e of o.sendEnv) add("sendenv", e);
  for (const e of o.setEnv) add("setenv", e);
  add("forwardagent", yn(o.forwardAgent));
  add("connecttimeout", o.connectTimeout ?? "none");
  add(
    "controlpersist",
    o.controlPersist === undefined ? "no" : o.controlPersist === 0 ? "yes" : o.controlPersist,
  );
  add("escapechar", o.escapeChar === "none" ? "none" : visChar(o.escapeChar));
  add("rekeylimit", `${o.rekeyLimitBytes ?? 0} ${o.rekeyLimitSeconds ?? 0}`);
  if (o.proxyJump !== undefined) add("proxyjump", o.proxyJump);
  else add("proxycommand", o.proxyCommand);
  if (o.stdioForward) {
    const { host, port } = o.stdioForward;
    add("stdioforward", port === PORT_STREAMLOCAL ? host : `${host}:${port}`);
  }
  return lines.join("\n") + "\n";
}
