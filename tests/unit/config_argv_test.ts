import { assert, assertEquals, assertThrows } from "@std/assert";
import { OPTSTRING, parseArgs } from "../../lib/config/argv.ts";
import { ConfigError } from "../../lib/config/errors.ts";
import { FatalError } from "../../lib/errors.ts";
import { USAGE } from "../../lib/config/usage.ts";
import { LogLevel } from "../../lib/log.ts";
import { PORT_STREAMLOCAL } from "../../lib/mux/constants.ts";

function fails(argv: string[], message: string) {
  const e = assertThrows(() => parseArgs(argv), ConfigError);
  assertEquals(e.message, message);
  assert(e instanceof FatalError);
  assertEquals(e.exitCode, 255);
}

Deno.test("argv: combined flags and counted -t/-v/-M", () => {
  const p = parseArgs(["-tt", "-Nf", "-vvv", "-MM", "host"]);
  assertEquals(p.host, "host");
  assertEquals(p.state.requestTTY, "no"); // -N after -tt forces no, as ssh
  assertEquals(p.state.sessionType, "none");
  assertEquals(p.state.forkAfterAuthentication, true);
  assertEquals(p.state.stdinNull, true);
  assertEquals(p.verbose, 3);
  assertEquals(p.state.logLevel, LogLevel.DEBUG3);
  assertEquals(p.state.controlMaster, "ask");
  assertEquals(parseArgs(["-t", "h"]).state.requestTTY, "yes");
  assertEquals(parseArgs(["-tt", "h"]).state.requestTTY, "force");
  assertEquals(parseArgs(["-t", "-t", "h"]).state.requestTTY, "force");
  assertEquals(parseArgs(["-M", "h"]).state.controlMaster, "yes");
  assertEquals(parseArgs(["-vvvvv", "h"]).state.logLevel, LogLevel.DEBUG3);
});

Deno.test("argv: joined and separate arguments", () => {
  for (const argv of [["-p22", "h"], ["-p", "22", "h"]]) {
    assertEquals(parseArgs(argv).state.port, 22);
  }
  for (const argv of [["-Sctl", "h"], ["-S", "ctl", "h"]]) {
    assertEquals(parseArgs(argv).state.controlPath, "ctl");
  }
  for (
    const argv of [
      ["-oControlPath=/x", "h"],
      ["-o", "ControlPath=/x", "h"],
      ["-o", "ControlPath /x", "h"],
      ["-o", "ControlPath = /x", "h"],
      ["-o", 'ControlPath "/x"', "h"],
    ]
  ) assertEquals(parseArgs(argv).state.controlPath, "/x", argv.join(" "));
  // -S is last-wins, -p is first-wins (ssh.c)
  assertEquals(parseArgs(["-S", "a", "-S", "b", "h"]).state.controlPath, "b");
  assertEquals(parseArgs(["-p", "1", "-p", "2", "h"]).state.port, 1);
  assertEquals(parseArgs(["-oPort=33", "-p", "22", "h"]).state.port, 33);
  assertEquals(parseArgs(["-p", "22", "-oPort=33", "h"]).state.port, 22);
});

Deno.test("argv: destination forms", () => {
  let p = parseArgs(["user@host"]);
  assertEquals([p.state.user, p.host, p.userOnCommandLine], ["user", "host", true]);
  p = parseArgs(["a@b@c"]);
  assertEquals([p.state.user, p.host], ["a@b", "c"]);
  p = parseArgs(["ssh://me@example.org:2200"]);
  assertEquals([p.state.user, p.host, p.state.port], ["me", "example.org", 2200]);
  p = parseArgs(["ssh://[::1]:22"]);
  assertEquals(p.host, "::1");
  p = parseArgs(["-l", "bob", "alice@h"]);
  assertEquals(p.state.user, "bob"); // -l came first
  p = parseArgs(["-p", "5", "ssh://h:6"]);
  assertEquals(p.state.port, 5);
  assertThrows(() => parseArgs(["@host"]), ConfigError);
  assertThrows(() => parseArgs(["ssh://h:0"]), ConfigError);
  assertThrows(() => parseArgs(["ssh://h/path"]), ConfigError);
  fails(["-p", "1"], USAGE);
  fails([], USAGE);
  fails(["-h;rm"], "unknown option -- h\r\n" + USAGE);
  fails(["host;rm"], "hostname contains invalid characters");
  fails(["-l", "-bob", "host"], "remote username contains invalid characters");
});

Deno.test("argv: options after the destination, command words, --", () => {
  let p = parseArgs(["host", "-p", "2", "ls", "-p", "5"]);
  assertEquals(p.state.port, 2);
  assertEquals(p.command, ["ls", "-p", "5"]);
  p = parseArgs(["host", "ls", "-l"]);
  assertEquals(p.command, ["ls", "-l"]);
  p = parseArgs(["--", "host", "-p", "3"]);
  assertEquals(p.state.port, undefined);
  assertEquals(p.command, ["-p", "3"]);
  p = parseArgs(["host", "--", "-p", "3"]);
  assertEquals(p.command, ["-p", "3"]);
  p = parseArgs(["-l", "bob", "--", "x", "ls"]);
  assertEquals([p.host, p.command], ["x", ["ls"]]);
  p = parseArgs(["host", "-", "x"]); // "-" alone is a word, not an option
  assertEquals(p.command, ["-", "x"]);
});

Deno.test("argv: -O and -W rules and messages", () => {
  assertEquals(parseArgs(["-O", "check", "h"]).muxCommand, "check");
  for (const c of ["check", "conninfo", "channels", "forward", "exit", "stop", "cancel", "proxy"]) {
    assertEquals(parseArgs([`-O${c}`, "h"]).muxCommand, c);
  }
  fails(["-O", "foo", "h"], "Invalid multiplex command.");
  fails(["-O", "check", "-O", "exit", "h"], "Multiplexing command already specified");
  fails(["-W", "a:1", "-O", "check", "h"], "Cannot specify multiplexing command with -W");
  fails(["-O", "check", "-W", "a:1", "h"], "Cannot specify stdio forward with -O");
  fails(["-W", "a:1", "-W", "b:2", "h"], "stdio forward already specified");
  fails(["-W", "bad", "h"], "Bad stdio forwarding specification 'bad'");
  const p = parseArgs(["-W", "[::1]:22", "h"]);
  assertEquals(p.stdioForward, { host: "::1", port: 22 });
  assertEquals(p.state.requestTTY, "no");
  assertEquals(p.state.sessionType, "none");
  assertEquals(parseArgs(["-W", "/run/x.sock", "h"]).stdioForward, {
    host: "/run/x.sock",
    port: PORT_STREAMLOCAL,
  });
});

Deno.test("argv: errors match ssh's text", () => {
  fails(["-Z", "h"], "unknown option -- Z\r\n" + USAGE);
  fails(["-w", "0", "h"], "unknown option -- w\r\n" + USAGE);
  fails(["h", "-p"], "option requires an argument -- p\r\n" + USAGE);
  fails(["-p", "0", "h"], "Bad port '0'");
  fails(["-p", "70000", "h"], "Bad port '70000'");
  fails(["-p", "x1", "h"], "Bad port 'x1'");
  fails(["-e", "ab", "h"], "Bad escape character 'ab'.");
  fails(["-L", "bad", "h"], "Bad local forwarding specification 'bad'");
  fails(["-R", "bad", "h"], "Bad remote forwarding specification 'bad'");
  fails(["-D", "x:y", "h"], "Bad dynamic forwarding specification 'x:y'");
  fails(["-o", "Foo=bar", "h"], "command-line: line 0: Bad configuration option: foo");
  fails(["-oFoo", "h"], 'command-line line 0: no argument after keyword "foo"');
  fails(["-o", "Port=abc", "h"], "command-line line 0: Bad port 'abc'.");
  fails(["-o", "Host x", "h"], "Host directive not supported as a command-line option");
  fails(["-o", "Match all", "h"], "Match directive not supported as a command-line option");
  fails(["-o", "ControlPersist=maybe", "h"], "command-line line 0: Bad ControlPersist argument.");
  fails(["-o", "ControlMaster=perhaps", "h"], 'command-line line 0: unsupported option "perhaps".');
  fails(
    ["-o", "Port 1 2", "h"],
    "command-line line 0: keyword port extra arguments at end of line",
  );
  fails(["-o", 'User "bob', "h"], "command-line line 0: invalid quotes");
  fails(["-1", "h"], "SSH protocol v.1 is no longer supported");
  fails(["-s", "-N", "h"], "Cannot specify -N with -s/SessionType");
  fails(["-N", "-s", "h"], "Cannot specify -s with -N/SessionType");
  fails(["-s", "h"], "You must specify a subsystem to invoke.\n" + USAGE);
  fails(
    ["-J", "a", "-J", "b", "h"],
    "Only a single -J option is permitted (use commas to separate multiple jump hops)",
  );
  fails(["-oProxyCommand=nc %h %p", "-J", "b", "h"], "Cannot specify -J with ProxyCommand");
  fails(["-J", "a;b", "h"], "Invalid -J argument");
});

Deno.test("argv: -V and -Q stop parsing", () => {
  const v = parseArgs(["-V", "-Z"]);
  assertEquals(v.printVersion, true);
  assertThrows(() => parseArgs(["-Z", "-V"]), ConfigError);
  assertEquals(parseArgs(["-Q", "cipher"]).query, "cipher");
  assertEquals(parseArgs(["-G", "h"]).dumpConfig, true);
});

Deno.test("argv: every flag letter in the optstring is accepted", () => {
  for (let i = 0; i < OPTSTRING.length; i++) {
    const c = OPTSTRING[i];
    if (c === ":" || "1VQ".includes(c)) continue;
    const takes = OPTSTRING[i + 1] === ":";
    const arg: Record<string, string> = {
      O: "check",
      W: "h:1",
      L: "1:h:2",
      R: "1:h:2",
      D: "1080",
      J: "jump",
      o: "Port=2",
      p: "22",
      e: "~",
      c: "aes128-ctr",
      m: "hmac-sha2-256",
    };
    const argv = takes ? [`-${c}`, arg[c] ?? "x", "host"] : [`-${c}`, "host", "cmd"];
    const p = parseArgs(argv);
    assertEquals(p.host, "host", argv.join(" "));
  }
});

Deno.test("argv: scp and sftp -S argument vectors parse (captured from OpenSSH 9.2)", () => {
  const scp = [
    "-x",
    "-oPermitLocalCommand=no",
    "-oClearAllForwardings=yes",
    "-oRemoteCommand=none",
    "-oRequestTTY=no",
    "-oControlMaster=no",
    "-o",
    "ControlPath=/c",
    "-F",
    "/cfg",
    "-i",
    "/id",
    "-v",
    "-C",
    "-4",
    "-oForwardAgent=no",
    "-p",
    "2222",
    "-l",
    "u",
    "-s",
    "--",
    "h",
    "sftp",
  ];
  let p = parseArgs(scp);
  assertEquals([p.host, p.command, p.state.port, p.state.user], ["h", ["sftp"], 2222, "u"]);
  assertEquals(p.state.sessionType, "subsystem");
  assertEquals(p.state.requestTTY, "no");
  assertEquals(p.state.clearAllForwardings, true);
  assertEquals(p.state.remoteCommand, "none");
  assertEquals(p.state.controlPath, "/c");
  assertEquals(p.configFile, "/cfg");
  p = parseArgs(["-x", "-oForwardAgent=no", "-l", "u", "--", "h", "scp -t /tmp/x"]);
  assertEquals(p.command, ["scp -t /tmp/x"]);
  const sftp = [
    "-oForwardX11 no",
    "-oPermitLocalCommand no",
    "-oClearAllForwardings yes",
    "-o",
    "ControlPath=/c",
    "-oForwardAgent no",
    "-oPort 22",
    "-l",
    "u",
    "-s",
    "--",
    "h",
    "sftp",
  ];
  p = parseArgs(sftp);
  assertEquals([p.host, p.command, p.state.port, p.state.forwardX11], ["h", ["sftp"], 22, false]);
  p = parseArgs(["-oForwardX11 no", "--", "h", "/usr/lib/sftp-server"]);
  assertEquals(p.command, ["/usr/lib/sftp-server"]);
});
