// Compares our resolved configuration with the real `ssh -G` (no server needed) for a set of
// configs and command lines. Fails (never skips) when ssh is not installed.
import { assertEquals } from "@std/assert";
import { parseArgs } from "../../lib/config/argv.ts";
import { resolveOptions } from "../../lib/config/resolve.ts";
import { localEnv } from "../../lib/config/resolve.ts";
import { formatConfig } from "../../lib/config/dump.ts";

const KEYS = [
  "user",
  "hostname",
  "port",
  "controlpath",
  "controlpersist",
  "controlmaster",
  "sendenv",
  "setenv",
  "requesttty",
  "sessiontype",
  "escapechar",
  "localforward",
  "remoteforward",
  "dynamicforward",
  "userknownhostsfile",
  "globalknownhostsfile",
  "stricthostkeychecking",
  "batchmode",
  "clearallforwardings",
  "exitonforwardfailure",
  "forwardagent",
  "forwardx11",
  "gatewayports",
  "serveraliveinterval",
  "serveralivecountmax",
  "connecttimeout",
  "connectionattempts",
  "hostkeyalias",
  "proxycommand",
  "proxyjump",
  "remotecommand",
  "compression",
  "numberofpasswordprompts",
  "addressfamily",
  "identitiesonly",
  "passwordauthentication",
  "kbdinteractiveauthentication",
  "stdinnull",
  "forkafterauthentication",
  "bindaddress",
  "bindinterface",
  "preferredauthentications",
  "rekeylimit",
];

function pick(text: string): string[] {
  // Debian's ssh sets ServerAliveInterval 300 by default under BatchMode (a Debian patch,
  // not upstream behaviour), so that key is not compared when BatchMode is on.
  const batch = text.includes("\nbatchmode yes\n");
  return text.split("\n").filter((l) => {
    const k = l.split(" ")[0];
    return KEYS.includes(k) && !(batch && k === "serveraliveinterval");
  }).sort();
}

async function sshG(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const r = await new Deno.Command("ssh", { args: ["-G", ...args], stdin: "null" }).output();
  const dec = new TextDecoder();
  return { code: r.code, out: dec.decode(r.stdout), err: dec.decode(r.stderr) };
}

const CONFIG = `
# a comment
Host alias1
  HostName real.example.com
  Port 2201
  User alice
  ControlPath ~/.ssh/cm-%C
  ControlMaster auto
  ControlPersist 10m

Host *.corp !bad.corp
  User "corp user"
  SendEnv LANG LC_*
  SendEnv -LC_ALL
  ControlPath /tmp/%r@%h:%p

Host pct
  HostName %h.inner
  ControlPath /tmp/x-%n-%h-%p-%r-%u-%L-%l-%i-%d-%k-%%
  HostKeyAlias KeyAlias
  SetEnv FOO=bar BAZ="two words"

Match originalhost m1
  Port 2202
  LocalForward 8080 localhost:80
  RemoteForward 9090 /tmp/remote.sock
  DynamicForward 1080
  ControlPersist yes

Match host real.example.com user alice
  ServerAliveInterval 1m
  ServerAliveCountMax 5

Host fw
  LocalForward [::1]:8081 [::1]:81
  LocalForward /tmp/l.sock host:22
  RemoteForward 0 localhost:22
  ExitOnForwardFailure yes
  ClearAllForwardings no
  GatewayPorts yes
  EscapeChar ^B
  RequestTTY force
  StrictHostKeyChecking accept-new
  UserKnownHostsFile ~/kh1 /tmp/kh-%h
  GlobalKnownHostsFile /etc/g1 /etc/g2
  ConnectTimeout 7
  ConnectionAttempts 4
  RekeyLimit 1G 1h

Host jump
  ProxyJump me@bastion:2222
  # not %C: 9.2 hashes without %j, 9.6+ (and sshmux) include it
  ControlPath /tmp/%h-%r-%p

Host *
  ControlPath /tmp/default-%C
  ForwardAgent yes
  BatchMode yes
  Compression yes
  AddressFamily inet
`;

const CASES: string[][] = [
  ["alias1"],
  ["-p", "99", "alias1"],
  ["-l", "bob", "alias1"],
  ["x.corp"],
  ["bad.corp"],
  ["pct"],
  ["-l", "u2", "PCT"],
  ["m1"],
  ["-o", "ControlPersist=no", "m1"],
  ["fw"],
  ["-o", "ClearAllForwardings=yes", "fw"],
  ["-W", "h:22", "fw"],
  ["jump"],
  ["-S", "none", "alias1"],
  ["-S", "~/%h.sock", "bob@Other"],
  ["-tt", "-e", "none", "-o", "SendEnv=A*", "plain"],
  ["-T", "-N", "-M", "-M", "plain"],
  ["-o", "ControlPersist=1h30m", "-o", "ControlMaster=AUTOASK", "plain"],
  ["-o", "ControlPersist=0", "plain"],
  ["-L", "*:2000:h:22", "-L", ":2001:h:22", "-R", "[::1]:0", "-D", "127.0.0.1:3000", "plain"],
  ["-o", "RemoteCommand=echo %h %p", "alias1"],
  ["-b", "127.0.0.2", "-B", "lo", "plain"],
  ["-o", "BindInterface=eth9", "-o", "BindAddress=::1", "plain"],
  ["-o", "ProxyCommand=nc %h %p", "plain"],
  ["-o", "ConnectionAttempts=3", "fw"],
  ["-A", "-a", "-X", "-g", "-n", "plain"],
  ["-f", "-N", "plain"],
  ["ssh://carol@alias1:2300"],
  // (User=%u-x is not compared: 9.2 does not expand User tokens, 9.4+ and sshmux do.)
  ["-o", "User=literal", "-o", "Port=2022", "plain"],
  [
    "-i",
    "/nonexistent/key",
    "-o",
    "IdentitiesOnly=yes",
    "-o",
    "PasswordAuthentication=no",
    "plain",
  ],
];

Deno.test("config oracle: resolved keys equal `ssh -G -F cfg`", async () => {
  const dir = Deno.makeTempDirSync({ prefix: "sshmux-cfg-" });
  try {
    const cfg = `${dir}/config`;
    Deno.writeTextFileSync(cfg, CONFIG);
    for (const c of CASES) {
      const args = ["-F", cfg, ...c];
      const real = await sshG(args);
      assertEquals(real.code, 0, `ssh -G ${args.join(" ")}: ${real.err}`);
      const ours = formatConfig(resolveOptions(parseArgs(args), localEnv()));
      assertEquals(pick(ours), pick(real.out), `case: ${c.join(" ")}`);
    }
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("config oracle: %C equals ssh's hash (-S %C)", async () => {
  for (const dest of ["h", "u@h", "u@H.Example.COM", "ssh://u@h:2222", "127.0.0.1"]) {
    const args = ["-F", "none", "-S", "%C", dest];
    const real = (await sshG(args)).out.split("\n").find((l) => l.startsWith("controlpath "));
    const ours = resolveOptions(parseArgs(args), localEnv()).controlPath;
    assertEquals(`controlpath ${ours}`, real, dest);
  }
});

Deno.test("config oracle: errors ssh rejects are rejected with the same first line", async () => {
  const bad: string[][] = [
    ["-o", "Foo=bar", "h"],
    ["-o", "Port=abc", "h"],
    ["-O", "nope", "h"],
    ["-L", "bad", "h"],
    ["-p", "0", "h"],
    ["-e", "xx", "h"],
    ["-o", "ControlPersist=soon", "h"],
    ["-o", "SendEnv=A=B", "h"],
    ["-o", "SetEnv=NOEQUALS", "h"],
    ["-o", "EscapeChar=^^x", "h"],
    ["-o", "LocalForward=1234", "h"],
    ["-o", "StrictHostKeyChecking=perhaps", "h"],
    ["-o", "LogLevel=LOUD", "h"],
    ["-o", "ConnectTimeout=5x", "h"],
    ["-o", "ConnectionAttempts=0", "h"],
    ["-o", "ConnectionAttempts=-2", "h"],
    ["-o", "ConnectionAttempts=two", "h"],
  ];
  for (const args of bad) {
    const real = await sshG(["-F", "none", ...args]);
    assertEquals(real.code, 255, args.join(" "));
    let ours = "";
    try {
      resolveOptions(parseArgs(["-F", "none", ...args]), localEnv());
    } catch (e) {
      ours = (e as Error).message;
    }
    // ssh ends log lines with \r\n; compare the text.
    assertEquals(ours.split("\n")[0], real.err.split("\n")[0].replace(/\r$/, ""), args.join(" "));
  }
});

Deno.test("config oracle: Include (glob, nested), Match exec/final/localuser vs `ssh -G`", async () => {
  const dir = Deno.makeTempDirSync({ prefix: "sshmux-cfgi-" });
  try {
    Deno.mkdirSync(`${dir}/d`);
    Deno.writeTextFileSync(`${dir}/d/20-b.conf`, "Host inc\n  Port 2020\n  User from-b\n");
    Deno.writeTextFileSync(
      `${dir}/d/10-a.conf`,
      `Host inc\n  User from-a\nMatch all\n  ControlPersist 77\nInclude ${dir}/nested\n`,
    );
    Deno.writeTextFileSync(`${dir}/nested`, "Host *\n  SendEnv NESTED\n");
    for (const f of ["d/20-b.conf", "d/10-a.conf", "nested"]) Deno.chmodSync(`${dir}/${f}`, 0o600);
    Deno.writeTextFileSync(
      `${dir}/config`,
      [
        `Include ${dir}/d/*.conf ${dir}/missing-*.conf`,
        "Host other",
        `  Include ${dir}/d/20-b.conf`,
        "Host inc",
        "  HostName Inc.Example.ORG",
        'Match exec "test %h = inc.example.org" host inc.example.org',
        "  ServerAliveCountMax 11",
        "Match exec false",
        "  ServerAliveCountMax 12",
        "Match final host inc.example.org",
        "  ConnectTimeout 13",
        "Match canonical",
        "  NumberOfPasswordPrompts 4",
        "Match localuser root,nobody !user nope",
        "  ForwardX11 yes",
        "Match originalhost INC",
        "  GatewayPorts yes",
      ].join("\n") + "\n",
    );
    for (const dest of ["inc", "other", "INC", "x"]) {
      const args = ["-F", `${dir}/config`, dest];
      const real = await sshG(args);
      assertEquals(real.code, 0, real.err);
      const ours = formatConfig(resolveOptions(parseArgs(args), localEnv()));
      assertEquals(pick(ours), pick(real.out), dest);
    }
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("config oracle: default files (~/.ssh/config, /etc/ssh/ssh_config) like `ssh -G`", async () => {
  for (const args of [["x"], ["-S", "~/.ssh/%C", "u@y", "ls"], ["-o", "SendEnv=-LC_*", "z"]]) {
    const real = await sshG(args);
    assertEquals(real.code, 0, real.err);
    const ours = formatConfig(resolveOptions(parseArgs(args), localEnv()));
    assertEquals(pick(ours), pick(real.out), args.join(" "));
  }
});

Deno.test("config oracle: numeric addresses take ssh's canonical form (%h, %C)", async () => {
  const dests = [
    "::1",
    "127.1",
    "FE80::1",
    "0:0:0:0:0:0:0:1",
    "::FFFF:1.2.3.4",
    "0x7f.1",
    "ABC.def",
    "1.2.3.4.5",
    "010.1",
    "fe80::1%eth0",
    "1:0:0:1:0:0:0:1",
    "999.1.1.1",
    "12345",
    "u@[::1]",
  ];
  for (const dest of dests) {
    const args = ["-F", "none", "-S", "%h-%C", dest];
    const line = (out: string) => out.split("\n").filter((l) => /^(hostname|controlpath) /.test(l));
    const real = await sshG(args);
    const ours = formatConfig(resolveOptions(parseArgs(args), localEnv()));
    assertEquals(line(ours), line(real.out), dest);
  }
});

Deno.test("config oracle: CanonicalizeHostname triggers the final pass like ssh", async () => {
  const dir = Deno.makeTempDirSync({ prefix: "sshmux-cfgc-" });
  try {
    for (const mode of ["yes", "no", "always"]) {
      Deno.writeTextFileSync(
        `${dir}/c`,
        `CanonicalizeHostname ${mode}\nMatch canonical\n  Port 4444\nMatch final\n  User fin\n`,
      );
      const args = ["-F", `${dir}/c`, "-o", "ProxyCommand=none", "name"];
      const real = await sshG(args);
      const ours = formatConfig(resolveOptions(parseArgs(args), localEnv()));
      assertEquals(pick(ours), pick(real.out), mode);
    }
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
