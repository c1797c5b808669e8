// resolveOptions details beyond reading files: IdentityAgent, identity order, ProxyJump, -G
// dump spellings, Match localnetwork, odd -F targets, RefuseConnection.
import { assert, assertEquals, assertThrows } from "@std/assert";
import { parseArgs } from "../../lib/config/argv.ts";
import { resolveOptions } from "../../lib/config/resolve.ts";
import { ConfigError } from "../../lib/config/errors.ts";
import { formatConfig } from "../../lib/config/dump.ts";
import { impliedProxyCommand } from "../../lib/config/jump.ts";

import { sandbox, write } from "../helpers/config_sandbox.ts";

Deno.test("resolve: IdentityAgent forms, identity file order, ProxyJump helper", () => {
  const { dir, env, cleanup } = sandbox();
  try {
    const agent = (v: string) =>
      resolveOptions(parseArgs(["-F", "none", "-o", `IdentityAgent=${v}`, "h"]), env)
        .identityAgent;
    assertEquals(agent("SSH_AUTH_SOCK"), "/agent.sock");
    assertEquals(agent("none"), "none");
    assertEquals(agent("$XDIR"), "/x");
    assertEquals(agent("$UNSET_VAR"), "none");
    assertEquals(agent("~/a-%h"), `${env.home}/a-h`);
    write(`${dir}/k1`, "");
    write(`${dir}/k2`, "");
    const o = resolveOptions(
      parseArgs(["-F", "none", "-i", `${dir}/k1`, "-o", `IdentityFile=${dir}/k2`, "h"]),
      env,
    );
    assertEquals(o.identityFiles, [`${dir}/k1`, `${dir}/k2`]);
    const j = resolveOptions(parseArgs(["-F", "none", "-J", "a@j1,b@j2:2222", "-vv", "h"]), env);
    assertEquals(
      impliedProxyCommand(j, "sshmux", 2),
      "sshmux -l b -p 2222 -J a@j1 -F none -vv -W '[%h]:%p' j2",
    );
    assertEquals(
      impliedProxyCommand({ proxyJump: undefined, configFile: undefined }, "s"),
      undefined,
    );
    assertEquals(
      impliedProxyCommand({ proxyJump: "j", configFile: "/cfg" }, "ssh"),
      "ssh -F /cfg -W '[%h]:%p' j",
    );
    assertThrows(
      () => resolveOptions(parseArgs(["-F", "none", "-J", "me@h", "-l", "me", "h"]), env),
      ConfigError,
      "jumphost loop via h",
    );
  } finally {
    cleanup();
  }
});

Deno.test("dump: -G spelling of escape characters, persist and tty values", () => {
  const { env, cleanup } = sandbox();
  try {
    const g = (...a: string[]) =>
      formatConfig(resolveOptions(parseArgs(["-F", "none", ...a]), env));
    assert(g("-e", "^A", "h").includes("\nescapechar \\^A\n"));
    assert(g("-e", "none", "h").includes("\nescapechar none\n"));
    assert(g("-o", "ControlPersist=yes", "h").includes("\ncontrolpersist yes\n"));
    assert(g("-o", "ControlPersist=90", "h").includes("\ncontrolpersist 90\n"));
    assert(g("-tt", "h").includes("\nrequesttty force\n"));
    assert(g("-T", "h").includes("\nrequesttty false\n"));
    assert(g("-M", "h").includes("\ncontrolmaster true\n"));
    assert(g("-W", "x:1", "h").includes("\nstdioforward x:1\n"));
  } finally {
    cleanup();
  }
});

Deno.test("ssh_config: Match localnetwork", () => {
  const { dir, env, cleanup } = sandbox();
  try {
    write(`${dir}/cfg`, "Match localnetwork 127.0.0.0/8,::1/128\n Port 1212\n");
    assertEquals(resolveOptions(parseArgs(["-F", `${dir}/cfg`, "h"]), env).port, 1212);
    write(`${dir}/bad`, "Match localnetwork 10.0.0.0/40\n Port 1\n");
    const e = assertThrows(
      () => resolveOptions(parseArgs(["-F", `${dir}/bad`, "h"]), env),
      ConfigError,
    );
    assert(e.message.includes("Bad Match condition"));
  } finally {
    cleanup();
  }
});

Deno.test("ssh_config: -F of a directory reads as an empty file, like ssh", () => {
  const { dir, env, cleanup } = sandbox();
  try {
    assertEquals(resolveOptions(parseArgs(["-F", dir, "h"]), env).port, 22);
  } finally {
    cleanup();
  }
});

Deno.test("ssh_config: RefuseConnection (10.x) in a matching block is fatal", () => {
  const { dir, env, cleanup } = sandbox();
  try {
    write(`${dir}/cfg`, 'Host bad\n  RefuseConnection "not from here"\n');
    assertThrows(
      () => resolveOptions(parseArgs(["-F", `${dir}/cfg`, "bad"]), env),
      ConfigError,
      `${dir}/cfg line 2: RefuseConnection: not from here`,
    );
    assertEquals(resolveOptions(parseArgs(["-F", `${dir}/cfg`, "good"]), env).hostName, "good");
  } finally {
    cleanup();
  }
});
