// ssh_config reading through resolveOptions, with a private HOME and config files.
import { assert, assertEquals, assertThrows } from "@std/assert";
import { parseArgs } from "../../lib/config/argv.ts";
import {
  type ResolveEnv,
  resolveOptions,
  resolveOptionsWithWarnings,
} from "../../lib/config/resolve.ts";
import { ConfigError } from "../../lib/config/errors.ts";
import { allKeywords } from "../../lib/config/keywords.ts";
import { splitConfigLine } from "../../lib/config/config_line.ts";
import { formatConfig } from "../../lib/config/dump.ts";
import { selfCommand } from "../../lib/config/jump.ts";
import { captureLog, LogLevel } from "../../lib/log.ts";

import { sandbox, write } from "../helpers/config_sandbox.ts";

Deno.test("ssh_config: user file then system file, first value wins, defaults", () => {
  const { dir, env, cleanup } = sandbox();
  try {
    write(`${env.home}/.ssh/config`, "Host h\n  Port 2000\n  User=first\n");
    write(`${dir}/system_config`, "Host *\n  Port 3000\n  User second\n  ControlMaster auto\n");
    const o = resolveOptions(parseArgs(["h"]), env);
    assertEquals([o.port, o.user, o.controlMaster], [2000, "first", "auto"]);
    const d = resolveOptions(parseArgs(["other"]), env);
    assertEquals([d.port, d.user], [3000, "second"]);
    const n = resolveOptions(parseArgs(["-F", "none", "h"]), env);
    assertEquals([n.port, n.user, n.controlMaster], [22, "me", "no"]);
    assertEquals(n.escapeChar, "~");
    assertEquals(n.serverAliveCountMax, 3);
    assertEquals(n.numberOfPasswordPrompts, 3);
    assertEquals(n.userKnownHostsFiles, [
      `${env.home}/.ssh/known_hosts`,
      `${env.home}/.ssh/known_hosts2`,
    ]);
    assertEquals(n.globalKnownHostsFiles, [
      "/etc/ssh/ssh_known_hosts",
      "/etc/ssh/ssh_known_hosts2",
    ]);
    assertEquals(n.identityFiles[0], `${env.home}/.ssh/id_rsa`);
    assert(n.identityFiles.includes(`${env.home}/.ssh/id_ed25519`));
    assertEquals(n.identityAgent, "/agent.sock");
    assertEquals(n.logLevel, LogLevel.INFO);
    assertEquals(n.controlPath, undefined);
    // the command line beats every file
    assertEquals(resolveOptions(parseArgs(["-p", "1", "h"]), env).port, 1);
  } finally {
    cleanup();
  }
});

Deno.test("ssh_config: Host patterns, negation, multiple patterns, comments, quotes", () => {
  const { dir, env, cleanup } = sandbox();
  try {
    write(
      `${dir}/cfg`,
      [
        "# comment",
        "   ",
        "Host *.corp !bad.corp web?",
        '  User "corp user"   # trailing comment',
        "  ControlPath=/tmp/cp-%r@%h:%p",
        'Host "quoted"',
        "  SendEnv A B*",
        "  SendEnv -B1",
        '  SetEnv X=1 Y="2 3"',
        "Host *",
        "  SendEnv C",
        "  ControlPath /tmp/fallback",
      ].join("\n"),
    );
    const r = (h: string) => resolveOptions(parseArgs(["-F", `${dir}/cfg`, h]), env);
    assertEquals(r("a.corp").user, "corp user");
    assertEquals(r("a.corp").controlPath, "/tmp/cp-corp user@a.corp:22");
    assertEquals(r("bad.corp").user, "me");
    assertEquals(r("web1").user, "corp user");
    assertEquals(r("web12").user, "me");
    // "-B1" removes entries matching the glob "B1": "B*" itself is not one of them
    assertEquals(r("quoted").sendEnv, ["A", "B*", "C"]);
    assertEquals(r("quoted").setEnv, ["X=1", "Y=2 3"]);
    assertEquals(r("zzz").controlPath, "/tmp/fallback");
  } finally {
    cleanup();
  }
});

Deno.test("ssh_config: SendEnv -pattern removes matching earlier entries", () => {
  const { dir, env, cleanup } = sandbox();
  try {
    write(`${dir}/cfg`, "Host *\n SendEnv LANG LC_* XY\n SendEnv -LC_*\n SendEnv -X?\n");
    const o = resolveOptions(parseArgs(["-F", `${dir}/cfg`, "-o", "SendEnv=LC_ALL", "h"]), env);
    assertEquals(o.sendEnv, ["LANG"]);
  } finally {
    cleanup();
  }
});

Deno.test("ssh_config: Match all/host/originalhost/user/exec/final", () => {
  const { dir, env, cleanup } = sandbox();
  try {
    write(
      `${dir}/cfg`,
      [
        "Host alias",
        "  HostName Real.Example.com",
        "Match host real.example.com",
        "  Port 1001",
        "Match originalhost alias user me",
        "  ControlPath /tmp/matched-%h",
        "Match !user me",
        "  ServerAliveInterval 99",
        'Match exec "test -n x"',
        "  ConnectTimeout 5",
        'Match exec "false"',
        "  ConnectTimeout 6",
        "Match final host real.example.com",
        "  ServerAliveCountMax 7",
        "Match all",
        "  BatchMode yes",
      ].join("\n"),
    );
    const o = resolveOptions(parseArgs(["-F", `${dir}/cfg`, "alias"]), env);
    assertEquals(o.hostName, "real.example.com");
    assertEquals(o.port, 1001);
    assertEquals(o.controlPath, "/tmp/matched-real.example.com");
    assertEquals(o.serverAliveInterval, 0);
    assertEquals(o.connectTimeout, 5);
    assertEquals(o.serverAliveCountMax, 7);
    assertEquals(o.batchMode, true);
    const b = resolveOptions(parseArgs(["-F", `${dir}/cfg`, "-l", "bob", "alias"]), env);
    assertEquals(b.controlPath, undefined);
    assertEquals(b.serverAliveInterval, 99);
  } finally {
    cleanup();
  }
});

Deno.test("ssh_config: Include with globs, relative to ~/.ssh, parse-only when inactive", () => {
  const { env, cleanup } = sandbox();
  try {
    Deno.mkdirSync(`${env.home}/.ssh/conf.d`);
    write(`${env.home}/.ssh/conf.d/b.conf`, "Host inc\n  Port 4000\n");
    write(`${env.home}/.ssh/conf.d/a.conf`, "Host inc\n  User from-a\nMatch all\n  Port 4001\n");
    write(`${env.home}/.ssh/conf.d/ignored.txt`, "Host inc\n  User nope\n");
    write(
      `${env.home}/.ssh/config`,
      "Include conf.d/*.conf\nHost other\n  Include ~/.ssh/conf.d/b.conf\nHost inc\n  Compression yes\n",
    );
    const o = resolveOptions(parseArgs(["inc"]), env);
    assertEquals(o.user, "from-a");
    assertEquals(o.port, 4001); // a.conf's "Match all" comes before b.conf (sorted glob)
    assertEquals(o.compression, true); // the Match inside the include did not leak out
    assertEquals(resolveOptions(parseArgs(["zzz"]), env).port, 4001);
  } finally {
    cleanup();
  }
});

Deno.test("ssh_config: bad lines give ssh's messages and a terminating count", () => {
  const { dir, env, cleanup } = sandbox();
  try {
    write(`${dir}/cfg`, "Host *\n  Port x\n  Bogus 1\n  ControlPersist sometimes\n  User\n");
    const e = assertThrows(
      () => resolveOptions(parseArgs(["-F", `${dir}/cfg`, "h"]), env),
      ConfigError,
    );
    assertEquals(
      e.message,
      [
        `${dir}/cfg line 2: Bad port 'x'.`,
        `${dir}/cfg: line 3: Bad configuration option: bogus`,
        `${dir}/cfg line 4: Bad ControlPersist argument.`,
        `${dir}/cfg line 5: no argument after keyword "user"`,
        `${dir}/cfg: terminating, 4 bad configuration options`,
      ].join("\n"),
    );
    assertEquals(e.exitCode, 255);
    const missing = assertThrows(
      () => resolveOptions(parseArgs(["-F", `${dir}/nope`, "h"]), env),
      ConfigError,
    );
    assertEquals(
      missing.message,
      `Can't open user config file ${dir}/nope: No such file or directory`,
    );
    write(`${dir}/m`, "Match nosuch x\n");
    const m = assertThrows(
      () => resolveOptions(parseArgs(["-F", `${dir}/m`, "h"]), env),
      ConfigError,
    );
    assert(m.message.includes("Unsupported Match attribute nosuch"));
    assert(m.message.includes(`${dir}/m line 1: Bad Match condition`));
  } finally {
    cleanup();
  }
});

Deno.test("ssh_config: IgnoreUnknown, deprecated and unsupported keywords do not fail", () => {
  const { dir, env, cleanup } = sandbox();
  try {
    write(
      `${dir}/cfg`,
      "IgnoreUnknown UseKeychain,Add*\nUseKeychain yes\nAddWhatever 1\nProtocol 2\n" +
        "UseRoaming no\nCompressionLevel 9\nGSSAPIAuthentication yes\nUpdateHostKeys ask\n",
    );
    const logged: string[] = [];
    const restore = captureLog(logged);
    let o;
    try {
      o = resolveOptions(parseArgs(["-F", `${dir}/cfg`, "h"]), env);
    } finally {
      restore();
    }
    assertEquals(logged, [`${dir}/cfg line 6: Unsupported option "compressionlevel"\r\n`]);
    assertEquals(o.raw.get("updatehostkeys"), "ask");
    assertEquals(o.raw.get("gssapiauthentication"), "yes");
  } finally {
    cleanup();
  }
});

Deno.test("ssh_config: every OpenSSH 9.x/10.x keyword is accepted", () => {
  // The union of readconf.c keywords[] in 9.0 … 10.5 (aliases included).
  const openssh = ("addkeystoagent addressfamily afstokenpassing batchmode bindaddress " +
    "bindinterface canonicaldomains canonicalizefallbacklocal canonicalizehostname " +
    "canonicalizemaxdots canonicalizepermittedcnames casignaturealgorithms certificatefile " +
    "challengeresponseauthentication channeltimeout checkhostip cipher ciphers " +
    "clearallforwardings compression compressionlevel connectionattempts connecttimeout " +
    "controlmaster controlpath controlpersist dsaauthentication dynamicforward " +
    "enableescapecommandline enablesshkeysign escapechar exitonforwardfailure fallbacktorsh " +
    "fingerprinthash forkafterauthentication forwardagent forwardx11 forwardx11timeout " +
    "forwardx11trusted gatewayports globalknownhostsfile globalknownhostsfile2 " +
    "gssapiauthentication gssapidelegatecredentials hashknownhosts host " +
    "hostbasedacceptedalgorithms hostbasedauthentication hostbasedkeytypes " +
    "hostkeyalgorithms hostkeyalias hostname identitiesonly identityagent identityfile " +
    "identityfile2 ignoreunknown include ipqos kbdinteractiveauthentication " +
    "kbdinteractivedevices keepalive kerberosauthentication kerberostgtpassing kexalgorithms " +
    "knownhostscommand localcommand localforward loglevel logverbose macs match " +
    "nohostauthenticationforlocalhost numberofpasswordprompts obscurekeystroketiming " +
    "passwordauthentication permitlocalcommand permitremoteopen pkcs11provider port " +
    "preferredauthentications protocol proxycommand proxyjump proxyusefdpass " +
    "pubkeyacceptedalgorithms pubkeyacceptedkeytypes pubkeyauthentication refuseconnection " +
    "rekeylimit remotecommand remoteforward requesttty requiredrsasize revokedhostkeys " +
    "rhostsauthentication rhostsrsaauthentication rsaauthentication securitykeyprovider " +
    "sendenv serveralivecountmax serveraliveinterval sessiontype setenv skeyauthentication " +
    "smartcarddevice stdinnull streamlocalbindmask streamlocalbindunlink " +
    "stricthostkeychecking syslogfacility tag tcpkeepalive tisauthentication tunnel " +
    "tunneldevice updatehostkeys user userknownhostsfile userknownhostsfile2 useroaming " +
    "usersh useprivilegedport verifyhostkeydns versionaddendum visualhostkey warnweakcrypto " +
    "xauthlocation").split(" ");
  const ours = new Set(allKeywords());
  assertEquals(openssh.filter((k) => !ours.has(k)), []);
});

Deno.test("ssh_config: line splitting like readconf.c", () => {
  const s = (l: string) => splitConfigLine(l, "f line 1");
  assertEquals(s("Port=22"), { kind: "line", keyword: "port", rest: "22", args: ["22"] });
  assertEquals(s("  Port   =  22  ").kind, "line");
  assertEquals(s("Port==22"), { kind: "line", keyword: "port", rest: "=22", args: ["=22"] });
  assertEquals(s("# Port 22"), { kind: "empty" });
  assertEquals(s(""), { kind: "empty" });
  assertEquals(s("User a\\ b"), { kind: "line", keyword: "user", rest: "a\\ b", args: ["a b"] });
  assertEquals(s("User 'a b' # c"), {
    kind: "line",
    keyword: "user",
    rest: "'a b' # c",
    args: ["a b"],
  });
  assertEquals(s("User"), { kind: "error", message: 'f line 1: no argument after keyword "user"' });
  assertEquals(s('User "a'), { kind: "error", message: "f line 1: invalid quotes" });
});

Deno.test("ssh_config: resolve details (%h in HostName, -W, RemoteCommand, warnings, -G)", () => {
  const { dir, env, cleanup } = sandbox();
  try {
    write(
      `${dir}/cfg`,
      "Host w\n LocalForward 1 h:2\nHost rc\n RemoteCommand echo %h\n" +
        "Host u\n User ${XDIR}-%u\nHost pj\n ProxyJump a@j1,b@j2:2222\n ControlPath /c/%C\n" +
        "Host ia\n IdentityAgent ~/agent-%r\n UserKnownHostsFile none\n",
    );
    const F = ["-F", `${dir}/cfg`];
    const w = resolveOptions(parseArgs([...F, "-W", "x:1", "w"]), env);
    assertEquals([w.clearAllForwardings, w.exitOnForwardFailure, w.localForwards], [
      true,
      true,
      [],
    ]);
    const rc = resolveOptions(parseArgs([...F, "rc"]), env);
    assertEquals([rc.command, rc.remoteCommand], ["echo rc", "echo rc"]);
    assertThrows(
      () => resolveOptions(parseArgs([...F, "rc", "ls"]), env),
      ConfigError,
      "Cannot execute command-line and remote command.",
    );
    assertThrows(
      () => resolveOptions(parseArgs([...F, "-f", "h"]), env),
      ConfigError,
      "Cannot fork into background without a command to execute.",
    );
    assertEquals(resolveOptions(parseArgs([...F, "u"]), env).user, "/x-me");
    const pj = resolveOptions(parseArgs([...F, "pj"]), env);
    assertEquals(pj.proxyJump, "a@j1,b@j2:2222");
    assertEquals(
      pj.proxyCommand,
      `${selfCommand()} -l b -p 2222 -J a@j1 -F ${dir}/cfg -W '[%h]:%p' j2`,
    );
    assertEquals(
      resolveOptions(parseArgs([...F, "pj"]), { ...env, selfCommand: "mux" }).proxyCommand,
      `mux -l b -p 2222 -J a@j1 -F ${dir}/cfg -W '[%h]:%p' j2`,
    );
    assert(formatConfig(pj).includes("proxyjump a@j1,b@j2:2222\n"));
    const ia = resolveOptions(parseArgs([...F, "ia"]), env);
    assertEquals(ia.identityAgent, `${env.home}/agent-me`);
    assertEquals(ia.userKnownHostsFiles, []);
    const r = resolveOptionsWithWarnings(parseArgs([...F, "-i", "~/missing", "h"]), env);
    assertEquals(r.warnings, [
      `Warning: Identity file ${env.home}/missing not accessible: No such file or directory.`,
    ]);
    assertEquals(r.options.identityFiles[0], `${env.home}/.ssh/id_rsa`);
    assertEquals(
      resolveOptions(parseArgs([...F, "-S", "~/s-%C", "Mixed.CASE"]), env).hostName,
      "mixed.case",
    );
    assertThrows(
      () => resolveOptions(parseArgs([...F, "-S", "/x/%T", "h"]), env),
      ConfigError,
      "unknown key %T",
    );
    const q = resolveOptions(parseArgs([...F, "-q", "h"]), env);
    assertEquals([q.quiet, q.logLevel], [true, LogLevel.QUIET]);
  } finally {
    cleanup();
  }
});

Deno.test("ssh_config: ~/.ssh/config with bad permissions is refused", () => {
  const { env, cleanup } = sandbox();
  try {
    write(`${env.home}/.ssh/config`, "Port 2\n", 0o666);
    assertThrows(
      () => resolveOptions(parseArgs(["h"]), env),
      ConfigError,
      `Bad owner or permissions on ${env.home}/.ssh/config`,
    );
  } finally {
    cleanup();
  }
});

Deno.test("ssh_config: an endless or huge file is refused, not read forever", () => {
  const { env, cleanup } = sandbox();
  try {
    const e = assertThrows(
      () => resolveOptions(parseArgs(["-F", "/dev/zero", "h"]), env),
      ConfigError,
    );
    assert(e.message.startsWith("/dev/zero: config file larger than"));
  } finally {
    cleanup();
  }
});

Deno.test("ssh_config: recursive Include stops at ssh's depth limit", () => {
  const { dir, env, cleanup } = sandbox();
  try {
    write(`${dir}/loop`, `Include ${dir}/loop\n`);
    assertThrows(
      () => resolveOptions(parseArgs(["-F", `${dir}/loop`, "h"]), env),
      ConfigError,
      "Too many recursive configuration includes",
    );
  } finally {
    cleanup();
  }
});

Deno.test("ssh_config: Match exec gets %tokens and is skipped after a failed criterion", () => {
  const { dir, env, cleanup } = sandbox();
  try {
    const ran: string[] = [];
    const e: ResolveEnv = { ...env, exec: (cmd) => (ran.push(cmd), cmd.endsWith("ok") ? 0 : 1) };
    write(
      `${dir}/cfg`,
      'Host h\n HostName real\nMatch exec "check %h %n %p %r ok"\n Port 1111\n' +
        'Match host nomatch exec "never ok"\n Port 2222\nMatch exec "fails"\n User x\n',
    );
    const o = resolveOptions(parseArgs(["-F", `${dir}/cfg`, "h"]), e);
    assertEquals(o.port, 1111);
    assertEquals(o.user, "me");
    assertEquals(ran, ["check real h 22 me ok", "fails"]);
  } finally {
    cleanup();
  }
});
