// ControlHeal: the backoff schedule, the reconnect loop's bound and stop, and the keyword
// (sshmux's own; ssh_config files shared with stock ssh list it in IgnoreUnknown).

import { assert, assertEquals, assertThrows } from "@std/assert";
import { parseArgs } from "../../lib/config/argv.ts";
import { ConfigError } from "../../lib/config/errors.ts";
import { resolveOptions } from "../../lib/config/resolve.ts";
import {
  HEAL_ATTEMPTS,
  HEAL_FIRST_DELAY_MS,
  healDelays,
  reconnect,
} from "../../lib/master/heal.ts";
import { captureLog } from "../../lib/log.ts";
import type { SshClient } from "../../lib/ssh/client.ts";
import { sandbox, write } from "../helpers/config_sandbox.ts";

Deno.test("heal: waits double from the first; 5 attempts within ~60 s", () => {
  assertEquals(healDelays(100, 4), [100, 200, 400, 800]);
  const all = healDelays(HEAL_FIRST_DELAY_MS);
  assertEquals(all.length, HEAL_ATTEMPTS);
  const waits = all.reduce((a, b) => a + b, 0);
  assert(waits <= 20_000, `waits alone ${waits} ms`);
});

const fakeClient = { close: () => Promise.resolve() } as unknown as SshClient;

Deno.test("heal: reconnect retries failed dials and returns the first that works", async () => {
  const logs: string[] = [];
  const restore = captureLog(logs);
  let dials = 0;
  try {
    const c = await reconnect({
      host: "h",
      delays: healDelays(1, 5),
      stopped: () => false,
      dial: () => ++dials < 3 ? Promise.reject(new Error("refused")) : Promise.resolve(fakeClient),
    });
    assertEquals(c, fakeClient);
    assertEquals(dials, 3);
  } finally {
    restore();
  }
});

Deno.test("heal: reconnect gives up after the last attempt, and stops when told", async () => {
  const logs: string[] = [];
  const restore = captureLog(logs);
  try {
    let dials = 0;
    const none = await reconnect({
      host: "h",
      delays: healDelays(1, 3),
      stopped: () => false,
      dial: () => (dials++, Promise.reject(new Error("refused"))),
    });
    assertEquals([none, dials], [null, 3]);
    assert(logs.some((l) => l.includes("Could not reconnect to h after 3 attempts")), logs.join());

    dials = 0;
    const stopped = await reconnect({
      host: "h",
      delays: healDelays(1, 3),
      stopped: () => true,
      dial: () => (dials++, Promise.resolve(fakeClient)),
    });
    assertEquals([stopped, dials], [null, 0]);
  } finally {
    restore();
  }
});

Deno.test("ControlHeal: a yes/no keyword, off by default, from -o and ssh_config", () => {
  const { dir, env, cleanup } = sandbox();
  try {
    const opts = (...a: string[]) => resolveOptions(parseArgs(["-F", "none", ...a]), env);
    assertEquals(opts("h").controlHeal, false);
    assertEquals(opts("-o", "ControlHeal=yes", "h").controlHeal, true);
    assertEquals(opts("-o", "controlheal no", "h").controlHeal, false);
    assertThrows(() => opts("-o", "ControlHeal=maybe", "h"), ConfigError);
    write(`${dir}/cfg`, "IgnoreUnknown ControlHeal\nHost h\n  ControlHeal yes\n");
    const fromFile = resolveOptions(parseArgs(["-F", `${dir}/cfg`, "h"]), env);
    assertEquals(fromFile.controlHeal, true);
  } finally {
    cleanup();
  }
});
