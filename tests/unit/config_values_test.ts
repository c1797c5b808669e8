// Forward specs, time specs, ControlPersist/ControlMaster, tokens, tty rules.
import { assert, assertEquals, assertThrows } from "@std/assert";
import { formatForward, parseForward, parseForwardArg } from "../../lib/config/forward_spec.ts";
import { PORT_STREAMLOCAL } from "../../lib/mux/constants.ts";
import {
  convtime,
  parseControlMaster,
  parseControlPersist,
} from "../../lib/config/control_persist.ts";
import {
  clientTokens,
  connectionHash,
  expandPath,
  expandTokens,
  tildeExpand,
} from "../../lib/config/tokens.ts";
import { ConfigError, TokenError } from "../../lib/config/errors.ts";
import { wantTty, wantTtyDecision } from "../../lib/config/tty.ts";
import { matchHostname, matchPattern, matchPatternList } from "../../lib/match.ts";
import { a2port } from "../../lib/config/ports.ts";
import { globPaths } from "../../lib/config/glob.ts";
import { canonicalAddress, looksLikeAddress } from "../../lib/config/address.ts";
import { localNetworkMatches, matchCidrList, parseAddress } from "../../lib/config/cidr.ts";

const noEnv = () => undefined;

Deno.test("forward: TCP forms", () => {
  assertEquals(parseForward("8080:localhost:80", false, false, noEnv), {
    listenPort: 8080,
    connectHost: "localhost",
    connectPort: 80,
  });
  assertEquals(parseForward("127.0.0.1:8080:h:80", false, false, noEnv), {
    listenHost: "127.0.0.1",
    listenPort: 8080,
    connectHost: "h",
    connectPort: 80,
  });
  assertEquals(parseForward("*:1:h:2", false, false, noEnv)?.listenHost, "*");
  assertEquals(parseForward(":1:h:2", false, false, noEnv)?.listenHost, "");
  assertEquals(parseForward("[::1]:1:[fe80::1]:2", false, false, noEnv), {
    listenHost: "::1",
    listenPort: 1,
    connectHost: "fe80::1",
    connectPort: 2,
  });
  // a backslash makes the next character literal: an escaped colon stays in the field
  assertEquals(parseForward("1:a\\:b:2", false, false, noEnv)?.connectHost, "a:b");
});

Deno.test("forward: unix socket forms", () => {
  assertEquals(parseForward("1:/remote/sock", false, false, noEnv), {
    listenPort: 1,
    connectPath: "/remote/sock",
    connectPort: PORT_STREAMLOCAL,
  });
  assertEquals(parseForward("/l.sock:h:22", false, false, noEnv), {
    listenPath: "/l.sock",
    listenPort: PORT_STREAMLOCAL,
    connectHost: "h",
    connectPort: 22,
  });
  assertEquals(parseForward("/l:/r", false, false, noEnv), {
    listenPath: "/l",
    listenPort: PORT_STREAMLOCAL,
    connectPath: "/r",
    connectPort: PORT_STREAMLOCAL,
  });
  assertEquals(parseForward("a:1:/r", false, false, noEnv)?.connectPath, "/r");
  assertEquals(
    parseForward("${D}/s:h:1", false, false, (n) => (n === "D" ? "/run" : undefined))
      ?.listenPath,
    "/run/s",
  );
  assertEquals(parseForward("${NOPE}:h:1", false, false, noEnv), undefined);
});

Deno.test("forward: dynamic and remote-dynamic", () => {
  assertEquals(parseForwardArg("dynamic", "1080"), {
    listenPort: 1080,
    connectHost: "socks",
    connectPort: 0,
  });
  assertEquals(parseForwardArg("dynamic", "127.0.0.1:1080").listenHost, "127.0.0.1");
  assertEquals(parseForwardArg("remote", "9000"), {
    listenPort: 9000,
    connectHost: "socks",
    connectPort: 0,
  });
  assertEquals(parseForwardArg("remote", "0:h:22").listenPort, 0); // server picks
  assertEquals(parseForwardArg("remote", "[::1]:0").listenHost, "::1");
});

Deno.test("forward: bad specs give ssh's messages", () => {
  const bad: [string, "local" | "remote" | "dynamic"][] = [
    ["bad", "local"],
    ["0:h:1", "local"],
    ["1:h:0", "local"],
    ["1:h", "local"],
    ["70000:h:1", "local"],
    ["1:h:2:3:4", "local"],
    ["[::1:1:h:2", "local"],
    ["x:y", "dynamic"],
    ["0", "dynamic"],
    ["1:2:3", "dynamic"],
    ["", "remote"],
    ["a:b:c:d:e", "remote"],
    ["1:h:2\\", "local"],
    [`1:${"h".repeat(1025)}:2`, "local"],
    [`/${"s".repeat(120)}:h:1`, "local"],
  ];
  for (const [spec, kind] of bad) {
    const e = assertThrows(() => parseForwardArg(kind, spec), ConfigError);
    assertEquals(e.message, `Bad ${kind} forwarding specification '${spec}'`);
  }
});

Deno.test("forward: -G formatting", () => {
  assertEquals(formatForward(parseForwardArg("local", "1:h:2"), true), "1 [h]:2");
  assertEquals(formatForward(parseForwardArg("remote", "/a:/b"), true), "/a /b");
  assertEquals(formatForward(parseForwardArg("dynamic", "1080"), false), "1080");
});

Deno.test("convtime and ControlPersist values", () => {
  const ok: [string, number][] = [
    ["90", 90],
    ["90s", 90],
    ["10m", 600],
    ["1h30m", 5400],
    ["1h30", 3630],
    ["2d", 172800],
    ["1w", 604800],
    ["1M", 60],
    ["1.5s", 1],
    ["1.5", 1],
    ["0.5", 0],
    [".5", 0],
    ["0", 0],
  ];
  for (const [s, n] of ok) assertEquals(convtime(s), n, s);
  for (const s of ["", "x", "-1", "1x", "1.5m", "1.", "1s2s", "5 s", "1.2.3", "99999999999"]) {
    assertEquals(convtime(s), undefined, s);
  }
  assertEquals(parseControlPersist("no"), { ok: true, persist: undefined });
  assertEquals(parseControlPersist("false"), { ok: true, persist: undefined });
  assertEquals(parseControlPersist("yes"), { ok: true, persist: 0 });
  assertEquals(parseControlPersist("true"), { ok: true, persist: 0 });
  assertEquals(parseControlPersist("10m"), { ok: true, persist: 600 });
  assertEquals(parseControlPersist("0"), { ok: true, persist: 0 });
  assertEquals(parseControlPersist("YES"), { ok: false }); // case-sensitive in ssh
  for (const [w, m] of [["yes", "yes"], ["TRUE", "yes"], ["No", "no"], ["auto", "auto"]]) {
    assertEquals(parseControlMaster(w), m);
  }
  assertEquals(parseControlMaster("AutoAsk"), "autoask");
  assertEquals(parseControlMaster("ASK"), "ask");
  assertEquals(parseControlMaster("maybe"), undefined);
  assertEquals(parseControlMaster("constructor"), undefined);
});

Deno.test("tokens: expansion, %%, unknown keys, trailing %", () => {
  const t = { h: "host", p: "22" };
  assertEquals(expandTokens("%h:%p %%h", t), "host:22 %h");
  assertEquals(expandTokens("${A}-%h", t, (n) => (n === "A" ? "a" : undefined)), "a-host");
  assertEquals(expandTokens("${A}", t), "${A}"); // no env lookup = no ${} expansion
  const cases: [string, string][] = [
    ["%x", "unknown key %x"],
    ["abc%", "invalid format"],
    ["%T", "unknown key %T"],
    ["${NOPE}", "env var ${NOPE} has no value"],
    ["${", "environment variable '' missing closing '}'"],
    ["${}", "zero-length environment variable"],
  ];
  for (const [input, msg] of cases) {
    const e = assertThrows(() => expandTokens(input, t, noEnv), TokenError);
    assertEquals(e.message, msg);
  }
});

Deno.test("tokens: %C is sha1(%l%h%p%r%j), the full client set", () => {
  // Verified against OpenSSH 9.2 (reference/openssh-mux.md §5.1)
  assertEquals(
    connectionHash("vm", "127.0.0.1", "22222", "root", ""),
    "0a4d14411107f7a7231a68273496f1d40e8e528e",
  );
  const info = {
    localHost: "box.example.org",
    hostArg: "Alias",
    remoteHost: "real.host",
    port: 2222,
    remoteUser: "ru",
    localUser: "lu",
    uid: 1000,
    home: "/home/lu",
    jumpHost: "bastion",
  };
  const t = clientTokens(info);
  assertEquals(t.C, connectionHash("box.example.org", "real.host", "2222", "ru", "bastion"));
  assertEquals(
    expandTokens("%L %l %n %h %p %r %u %i %d %k %j", t),
    "box box.example.org Alias real.host 2222 ru lu 1000 /home/lu Alias bastion",
  );
  assertEquals(clientTokens({ ...info, hostKeyAlias: "ka" }).k, "ka");
  assert(!("C" in clientTokens(info, false)) && !("r" in clientTokens(info, false)));
  assertEquals(expandPath("none", t, "/h", noEnv), "none");
  assertEquals(expandPath("~/.ssh/cm-%r@%h", t, "/h", noEnv), "/h/.ssh/cm-ru@real.host");
});

Deno.test("tokens: tilde expansion", () => {
  assertEquals(tildeExpand("~", "/home/x"), "/home/x/");
  assertEquals(tildeExpand("~/a", "/home/x"), "/home/x/a");
  assertEquals(tildeExpand("~//a", "/home/x/"), "/home/x/a");
  assertEquals(tildeExpand("/abs/~", "/home/x"), "/abs/~");
  assertEquals(tildeExpand("~root/a", "/home/x"), "/root/a");
  assertThrows(() => tildeExpand("~no-such-user-xyz/a", "/h"), TokenError);
});

Deno.test("match: globs, lists, negation", () => {
  assert(matchPattern("host.corp", "*.corp"));
  assert(matchPattern("ab", "a?"));
  assert(!matchPattern("abc", "a?"));
  assert(matchPattern("", "*"));
  assert(matchPattern("a*b", "a*b"));
  assert(!matchPattern("Host", "host"));
  assert(matchPattern("aaaaaaaaaaaaaaaaaaaaaaaaaaaaab", "*a*a*a*a*a*a*a*b"));
  assertEquals(matchPatternList("x.corp", "*.corp,!bad.corp", false), 1);
  assertEquals(matchPatternList("bad.corp", "*.corp,!bad.corp", false), -1);
  assertEquals(matchPatternList("other", "*.corp", false), 0);
  assertEquals(matchHostname("HOST.Corp", "*.corp"), 1);
});

Deno.test("ports: a2port", () => {
  assertEquals(a2port("22"), 22);
  assertEquals(a2port("0"), 0);
  assertEquals(a2port("65535"), 65535);
  assertEquals(a2port("65536"), -1);
  assertEquals(a2port("-1"), -1);
  assertEquals(a2port("0x10"), -1);
  assertEquals(a2port(""), -1);
  assertEquals(a2port("no-such-service"), -1);
});

Deno.test("wantTty: ssh.c tty_flag rules", () => {
  const base = {
    requestTTY: "auto" as const,
    command: "",
    remoteCommand: undefined,
    muxCommand: undefined,
    sessionType: "default" as const,
    stdinNull: false,
  };
  assertEquals(wantTty(base, true), true); // shell on a tty
  assertEquals(wantTtyDecision(base, false), { tty: false, warn: true });
  assertEquals(wantTty({ ...base, command: "ls" }, true), false);
  assertEquals(wantTty({ ...base, command: "ls", requestTTY: "yes" }, true), true);
  assertEquals(wantTtyDecision({ ...base, command: "ls", requestTTY: "yes" }, false), {
    tty: false,
    warn: true,
  });
  assertEquals(wantTty({ ...base, command: "ls", requestTTY: "force" }, false), true);
  assertEquals(wantTty({ ...base, requestTTY: "no" }, true), false);
  assertEquals(wantTty({ ...base, sessionType: "none", requestTTY: "force" }, true), false);
  assertEquals(wantTty({ ...base, muxCommand: "check" }, true), false);
  assertEquals(wantTty({ ...base, muxCommand: "proxy" }, true), true);
  assertEquals(wantTty({ ...base, stdinNull: true }, true), false);
  assertEquals(wantTty({ ...base, remoteCommand: "top", command: "top" }, true), false);
  assertEquals(wantTtyDecision({ ...base, command: "ls" }, false), { tty: false, warn: false });
});

Deno.test("cidr: addresses, prefixes, malformed lists", () => {
  assertEquals(matchCidrList("192.168.1.7", "192.168.0.0/16"), 1);
  assertEquals(matchCidrList("192.169.1.7", "192.168.0.0/16"), 0);
  assertEquals(matchCidrList("10.1.2.3", "0.0.0.0/0"), 1);
  assertEquals(matchCidrList("10.1.2.3", "10.1.2.3"), 1);
  assertEquals(matchCidrList("10.1.2.3", "10.1.2.2/31"), 1);
  assertEquals(matchCidrList("10.1.2.4", "10.1.2.2/31"), 0);
  assertEquals(matchCidrList("::1", "::1/128"), 1);
  assertEquals(matchCidrList("fe80::1%eth0", "fe80::/10"), 1);
  assertEquals(matchCidrList("2001:db8::1", "2001:db8::/32,10.0.0.0/8"), 1);
  assertEquals(matchCidrList("::ffff:1.2.3.4", "::ffff:0:0/96"), 1);
  assertEquals(matchCidrList("10.0.0.1", "::/0"), 0); // families never mix
  for (
    const bad of ["10.0.0.0/33", "x/8", "10.0.0/8", "1::2::3/64", "10.0.0.0/8/1", "", "::/129"]
  ) {
    assertEquals(matchCidrList("10.0.0.1", bad), -1, bad);
  }
  assertEquals(parseAddress("1:2:3:4:5:6:7:8")?.length, 16);
  assertEquals(parseAddress("1:2:3:4:5:6:7:8:9"), undefined);
  assertEquals(parseAddress("256.0.0.1"), undefined);
  assert(localNetworkMatches("127.0.0.0/8")); // loopback is up on any test machine
  const local = Deno.networkInterfaces().map((i) => i.address);
  const probe = "203.0.113.254";
  assertEquals(localNetworkMatches(`${probe}/32`), local.includes(probe));
  const exact = (a: string) => `${a}/${a.includes(":") ? 128 : 32}`;
  assert(local.every((a) => localNetworkMatches(exact(a))));
});

Deno.test("address: canonical numeric forms (inet_aton, inet_ntop)", () => {
  const cases: [string, string | undefined][] = [
    ["127.1", "127.0.0.1"],
    ["0x7f.1", "127.0.0.1"],
    ["010.1", "8.0.0.1"],
    ["12345", "0.0.48.57"],
    ["1.2.3.4", "1.2.3.4"],
    ["1.2.3.4.5", undefined],
    ["999.1.1.1", undefined],
    ["09.1", undefined],
    ["host", undefined],
    ["0:0:0:0:0:0:0:1", "::1"],
    ["FE80::1", "fe80::1"],
    ["1:0:0:1:0:0:0:1", "1:0:0:1::1"],
    ["::ffff:1.2.3.4", "::ffff:1.2.3.4"],
    ["1::", "1::"],
    ["fe80::1%eth0", "fe80::1%eth0"],
    ["1:2:3", undefined],
  ];
  for (const [input, want] of cases) assertEquals(canonicalAddress(input), want, input);
  assert(looksLikeAddress("1.2.3.4.5") && looksLikeAddress("a:b") && !looksLikeAddress("h1"));
});

Deno.test("glob: Include patterns like glob(3)", () => {
  const dir = Deno.makeTempDirSync({ prefix: "sshmux-glob-" });
  try {
    for (const f of ["a.conf", "b.conf", "c.txt", ".hidden.conf", "x1", "x2", "y3"]) {
      Deno.writeTextFileSync(`${dir}/${f}`, "");
    }
    Deno.mkdirSync(`${dir}/sub`);
    Deno.writeTextFileSync(`${dir}/sub/z.conf`, "");
    assertEquals(globPaths(`${dir}/*.conf`), [`${dir}/a.conf`, `${dir}/b.conf`]);
    assertEquals(globPaths(`${dir}/.*.conf`), [`${dir}/.hidden.conf`]);
    assertEquals(globPaths(`${dir}/[xy]?`), [`${dir}/x1`, `${dir}/x2`, `${dir}/y3`]);
    assertEquals(globPaths(`${dir}/[!x]?`), [`${dir}/y3`]);
    assertEquals(globPaths(`${dir}/*/z.conf`), [`${dir}/sub/z.conf`]);
    assertEquals(globPaths(`${dir}/c.txt`), [`${dir}/c.txt`]);
    assertEquals(globPaths(`${dir}/nope*`), []);
    assertEquals(globPaths(`${dir}/missing`), []);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
