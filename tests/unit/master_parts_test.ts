// Unit tests of the master's small parts: the env filter (master's SendEnv, then SetEnv), the
// lifetime rules, MUX forward fields → specs, the -O conninfo/channels texts, mux escapes.
import { assertEquals } from "@std/assert";
import { passengerEnv } from "../../lib/master/env_filter.ts";
import { Lifetime } from "../../lib/master/lifetime.ts";
import { forwardKind, forwardSpec } from "../../lib/master/forward_fields.ts";
import { channelsText, connectionInfoText } from "../../lib/master/info_text.ts";
import { muxEscapeHelp } from "../../lib/master/escapes.ts";
import { forwardRequestFields } from "../../lib/client/forward_request.ts";
import { MUX_MAX_ENV_VARS, PORT_STREAMLOCAL } from "../../lib/mux/constants.ts";
import type { ForwardSpec } from "../../lib/ssh/forward/spec.ts";

Deno.test("master env: only names the master's SendEnv matches, then the master's SetEnv", () => {
  const env = passengerEnv(
    ["_XXX_TEST=blah", "NOTSENT=1", "LANG=C.UTF-8", "=novalue", "NOEQUALS", "LC_ALL=x=y"],
    ["_XXX_*", "LANG", "LC_*"],
    ["FIXED=1", "bad"],
  );
  assertEquals(env, [["_XXX_TEST", "blah"], ["LANG", "C.UTF-8"], ["LC_ALL", "x=y"], [
    "FIXED",
    "1",
  ]]);
  // No SendEnv in the master: a client's variables never pass (OpenSSH's rule).
  assertEquals(passengerEnv(["LANG=C"], [], []), []);
  // A flood is capped like mux.c's MUX_MAX_ENV_VARS.
  const many = Array.from({ length: MUX_MAX_ENV_VARS + 50 }, (_, i) => `V${i}=1`);
  assertEquals(passengerEnv(many, ["*"], []).length, MUX_MAX_ENV_VARS);
});

Deno.test("master lifetime: ControlPersist idle timeout, -O stop, own session", () => {
  const idle = { idle: true, stopped: false, hasOwnSession: false };
  const busy = { ...idle, idle: false };
  // ControlPersist 2: ends 2 s after it became idle, and activity restarts the clock.
  const p = new Lifetime(2);
  assertEquals(p.check(idle, 0), undefined);
  assertEquals(p.check(idle, 1500), undefined);
  assertEquals(p.check(busy, 1600), undefined);
  assertEquals(p.check(idle, 1700), undefined);
  assertEquals(p.check(idle, 3600), undefined);
  assertEquals(p.check(idle, 3700), 255);
  // ControlPersist yes (0) and no ControlPersist: idle forever until -O stop.
  for (const forever of [new Lifetime(0), new Lifetime(undefined)]) {
    assertEquals(forever.check(idle, 0), undefined);
    assertEquals(forever.check(idle, 10_000_000), undefined);
    assertEquals(forever.check({ ...idle, stopped: true }, 10_000_001), 255);
    assertEquals(forever.check({ ...busy, stopped: true }, 10_000_002), undefined);
  }
  // A master with its own session ends with that session's code once nothing else runs.
  const own = new Lifetime(undefined);
  const withOwn = { ...idle, hasOwnSession: true };
  assertEquals(own.check({ ...withOwn, ownSessionCode: undefined }), undefined);
  assertEquals(own.check({ ...withOwn, idle: false, ownSessionCode: 3 }), undefined);
  assertEquals(own.check({ ...withOwn, ownSessionCode: 3 }), 3);
});

Deno.test("master forwards: mux fields map back to the spec the client encoded", () => {
  const cases: Array<[ForwardSpec, boolean, string]> = [
    [{ listenPort: 8080, connectHost: "localhost", connectPort: 80 }, false, "local"],
    [{ listenHost: "127.0.0.1", listenPort: 1, connectHost: "h", connectPort: 2 }, false, "local"],
    [{ listenPort: 1080, connectHost: "socks", connectPort: 0 }, false, "dynamic"],
    [{ listenPort: 0, connectHost: "127.0.0.1", connectPort: 22 }, true, "remote"],
    [
      { listenPath: "/tmp/a.sock", listenPort: 0, connectPath: "/tmp/b", connectPort: 0 },
      true,
      "remote",
    ],
    [
      { listenPath: "/tmp/a.sock", listenPort: 0, connectHost: "h", connectPort: 5 },
      false,
      "local",
    ],
  ];
  for (const [spec, remote, kind] of cases) {
    const fields = forwardRequestFields(spec, remote);
    assertEquals(forwardKind(fields.fwdType), kind);
    const back = forwardSpec(fields);
    assertEquals(back, spec);
  }
  assertEquals(forwardKind(0), undefined);
  assertEquals(forwardKind(4), undefined);
  assertEquals(
    forwardSpec({
      fwdType: 1,
      listenHost: "/p",
      listenPort: PORT_STREAMLOCAL,
      connectHost: "",
      connectPort: 9,
    }),
    { listenPath: "/p", listenPort: 0, connectPort: 9 },
  );
});

Deno.test("master info texts: conninfo and channels lines end in CRLF", () => {
  const text = connectionInfoText({
    host: "h",
    pid: 42,
    startedAt: 0,
    local: { host: "127.0.0.1", port: 5000 },
    remote: { host: "127.0.0.1", port: 22 },
    algorithms: {
      kex: "curve25519-sha256",
      hostKey: "ssh-ed25519",
      cipherCS: "aes128-ctr",
      cipherSC: "aes128-ctr",
      macCS: "hmac-sha2-256",
      macSC: "hmac-sha2-256",
    },
  }, 1500);
  assertEquals(
    text,
    "Connection information for h pid 42\r\n  tcp 127.0.0.1:5000 -> 127.0.0.1:22\r\n" +
      "  duration 1.5s\r\n  kexalgorithm curve25519-sha256\r\n  hostkeyalgorithm ssh-ed25519\r\n" +
      "  cipher aes128-ctr\r\n  mac hmac-sha2-256\r\n  compression none\r\n",
  );
  assertEquals(
    channelsText([{
      localId: 2,
      remoteId: 0,
      type: "session",
      state: "open",
      localWindow: 1,
      remoteWindow: 1,
      queuedBytes: 0,
      bytesIn: 0,
      bytesOut: 0,
    }]),
    "The following connections are open:\r\n  #2 session (remote 0, open)\r\n",
  );
});

Deno.test("master escapes: ~? for mux sessions is OpenSSH 9.2's text", () => {
  assertEquals(
    muxEscapeHelp("~"),
    "~?\r\nSupported escape sequences:\r\n ~.   - terminate session\r\n" +
      " ~B   - send a BREAK to the remote system\r\n ~R   - request rekey\r\n" +
      " ~#   - list forwarded connections\r\n ~?   - this message\r\n" +
      " ~~   - send the escape character by typing it twice\r\n" +
      "(Note that escapes are only recognized immediately after newline.)\r\n",
  );
});
