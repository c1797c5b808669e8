// Every ssh_config keyword OpenSSH 9.x/10.x knows (readconf.c keywords[] of 9.0 … 10.5 plus
// Debian's GSSAPI patch), mapped to its canonical name. Keywords sshmux does not act on are
// still recognised, so a config written for ssh never fails here on a valid keyword.

/** How a keyword is treated: "deprecated"/"unsupported" mirror ssh's own categories. */
export type KeywordKind = "option" | "ignored" | "deprecated" | "unsupported" | "silent";

/** Deprecated: ssh logs at debug level and ignores them. */
const DEPRECATED = [
  "cipher",
  "fallbacktorsh",
  "globalknownhostsfile2",
  "rhostsauthentication",
  "userknownhostsfile2",
  "useroaming",
  "usersh",
  "useprivilegedport",
];

/** Unsupported: ssh prints `Unsupported option "x"` and carries on. */
const UNSUPPORTED = [
  "afstokenpassing",
  "kerberosauthentication",
  "kerberostgtpassing",
  "rsaauthentication",
  "rhostsrsaauthentication",
  "compressionlevel",
];

/** Aliases ssh accepts for another keyword. */
const ALIASES: Record<string, string> = {
  challengeresponseauthentication: "kbdinteractiveauthentication",
  skeyauthentication: "kbdinteractiveauthentication",
  tisauthentication: "kbdinteractiveauthentication",
  dsaauthentication: "pubkeyauthentication",
  identityfile2: "identityfile",
  keepalive: "tcpkeepalive",
  hostbasedkeytypes: "hostbasedacceptedalgorithms",
  pubkeyacceptedkeytypes: "pubkeyacceptedalgorithms",
  smartcarddevice: "pkcs11provider",
};

/** Keywords sshmux reads (resolve.ts / apply.ts act on each of these). */
export const USED_KEYWORDS = [
  "host",
  "match",
  "include",
  "hostname",
  "port",
  "user",
  "controlpath",
  "controlmaster",
  "controlpersist",
  "sendenv",
  "setenv",
  "localforward",
  "remoteforward",
  "dynamicforward",
  "clearallforwardings",
  "exitonforwardfailure",
  "gatewayports",
  "escapechar",
  "requesttty",
  "sessiontype",
  "stdinnull",
  "forkafterauthentication",
  "remotecommand",
  "identityfile",
  "certificatefile",
  "identitiesonly",
  "identityagent",
  "batchmode",
  "stricthostkeychecking",
  "userknownhostsfile",
  "globalknownhostsfile",
  "hostkeyalias",
  "ciphers",
  "kexalgorithms",
  "hostkeyalgorithms",
  "macs",
  "pubkeyacceptedalgorithms",
  "passwordauthentication",
  "kbdinteractiveauthentication",
  "pubkeyauthentication",
  "preferredauthentications",
  "numberofpasswordprompts",
  "connecttimeout",
  "connectionattempts",
  "serveraliveinterval",
  "serveralivecountmax",
  "rekeylimit",
  "proxycommand",
  "proxyjump",
  "addressfamily",
  "bindaddress",
  "bindinterface",
  "compression",
  "loglevel",
  "forwardagent",
  "forwardx11",
  "ignoreunknown",
];

/**
 * sshmux's own keywords. Stock ssh calls them bad options, so a shared ssh_config lists them
 * in `IgnoreUnknown` (README).
 */
export const SSHMUX_KEYWORDS = ["sessionname", "controlheal"];

/** Valid ssh keywords that sshmux accepts and ignores. */
const IGNORED = [
  "addkeystoagent",
  "canonicaldomains",
  "canonicalizefallbacklocal",
  "canonicalizehostname",
  "canonicalizemaxdots",
  "canonicalizepermittedcnames",
  "casignaturealgorithms",
  "channeltimeout",
  "checkhostip",
  "enableescapecommandline",
  "enablesshkeysign",
  "fingerprinthash",
  "forwardx11timeout",
  "forwardx11trusted",
  "gssapiauthentication",
  "gssapidelegatecredentials",
  "gssapikeyexchange",
  "gssapiclientidentity",
  "gssapiserveridentity",
  "gssapirenewalforcesrekey",
  "gssapitrustdns",
  "gssapikexalgorithms",
  "hashknownhosts",
  "hostbasedacceptedalgorithms",
  "hostbasedauthentication",
  "ipqos",
  "kbdinteractivedevices",
  "knownhostscommand",
  "localcommand",
  "logverbose",
  "nohostauthenticationforlocalhost",
  "obscurekeystroketiming",
  "permitlocalcommand",
  "permitremoteopen",
  "pkcs11provider",
  "proxyusefdpass",
  "refuseconnection",
  "requiredrsasize",
  "revokedhostkeys",
  "securitykeyprovider",
  "streamlocalbindmask",
  "streamlocalbindunlink",
  "syslogfacility",
  "tag",
  "tcpkeepalive",
  "tunnel",
  "tunneldevice",
  "updatehostkeys",
  "verifyhostkeydns",
  "versionaddendum",
  "visualhostkey",
  "warnweakcrypto",
  "xauthlocation",
];

const table = new Map<string, { name: string; kind: KeywordKind }>();
for (const k of USED_KEYWORDS) table.set(k, { name: k, kind: "option" });
for (const k of SSHMUX_KEYWORDS) table.set(k, { name: k, kind: "option" });
for (const k of IGNORED) table.set(k, { name: k, kind: "ignored" });
for (const k of DEPRECATED) table.set(k, { name: k, kind: "deprecated" });
for (const k of UNSUPPORTED) table.set(k, { name: k, kind: "unsupported" });
for (const [alias, target] of Object.entries(ALIASES)) {
  table.set(alias, { name: target, kind: table.get(target)!.kind });
}
// "Protocol" is silently ignored by ssh (it only ever meant SSH-1 vs 2).
table.set("protocol", { name: "protocol", kind: "silent" });

/** Looks up a lowercased keyword; undefined for a word ssh would call a bad option. */
export function lookupKeyword(lower: string): { name: string; kind: KeywordKind } | undefined {
  return table.get(lower);
}

/** Every keyword and alias known (for tests and `-G`). */
export function allKeywords(): string[] {
  return [...table.keys()];
}
