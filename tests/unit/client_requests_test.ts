// The option → request-field mappings of the mux client: forwards (OPEN_FWD/CLOSE_FWD fields as
// OpenSSH's client fills them, checked against captured bytes), env/TERM/escape for NEW_SESSION.
import { assertEquals } from "@std/assert";
import type { ForwardSpec } from "../../lib/ssh/forward/spec.ts";
import { describeMuxForward, forwardRequestFields } from "../../lib/client/forward_request.ts";
import {
  envPermitted,
  escapeCharCode,
  muxNewSessionEnv,
  sessionTerm,
} from "../../lib/client/session_request.ts";
import { encodeMux } from "../../lib/mux/encode.ts";
import {
  ESCAPE_NONE,
  MUX_FWD_DYNAMIC,
  MUX_FWD_LOCAL,
  MUX_FWD_REMOTE,
  PORT_STREAMLOCAL,
} from "../../lib/mux/constants.ts";

const hex = (b: Uint8Array) => [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
const str = (s: string) => hex(Uint8Array.of(0, 0, 0, s.length)) + hex(new TextEncoder().encode(s));

Deno.test("-D 1080 encodes exactly like the captured stock client request", () => {
  const spec: ForwardSpec = { listenPort: 1080, connectHost: "socks", connectPort: 0 };
  const f = forwardRequestFields(spec, false);
  assertEquals(f, {
    fwdType: MUX_FWD_DYNAMIC,
    listenHost: "",
    listenPort: 1080,
    connectHost: "socks",
    connectPort: 0,
  });
  const frame = encodeMux({ kind: "OpenFwd", rid: 7, ...f });
  assertEquals(
    hex(frame),
    "00000021" + "10000006" + "00000007" + "00000003" + "00000000" + "00000438" + str("socks") +
      "00000000",
  );
});

Deno.test("-R 0:127.0.0.1:22 encodes exactly like the captured stock client request", () => {
  const f = forwardRequestFields(
    { listenPort: 0, connectHost: "127.0.0.1", connectPort: 22 },
    true,
  );
  const frame = encodeMux({ kind: "OpenFwd", rid: 1, ...f });
  assertEquals(
    hex(frame),
    "00000025" + "10000006" + "00000001" + "00000002" + "00000000" + "00000000" +
      str("127.0.0.1") + "00000016",
  );
});

Deno.test('listen host: unset → "", given empty (:port) → "*", else as given', () => {
  const base = { listenPort: 80, connectHost: "h", connectPort: 81 };
  assertEquals(forwardRequestFields(base, false).listenHost, "");
  assertEquals(forwardRequestFields({ ...base, listenHost: "" }, false).listenHost, "*");
  assertEquals(
    forwardRequestFields({ ...base, listenHost: "0.0.0.0" }, false).listenHost,
    "0.0.0.0",
  );
  assertEquals(forwardRequestFields({ ...base, listenHost: "*" }, true).listenHost, "*");
});

Deno.test("unix socket paths use PORT_STREAMLOCAL on their side, and stay local/remote", () => {
  const l = forwardRequestFields(
    { listenPath: "/tmp/a.sock", listenPort: 0, connectPath: "/tmp/b.sock", connectPort: 0 },
    false,
  );
  // connectPort 0 with a connect path is not dynamic: the path wins.
  assertEquals(l, {
    fwdType: MUX_FWD_LOCAL,
    listenHost: "/tmp/a.sock",
    listenPort: PORT_STREAMLOCAL,
    connectHost: "/tmp/b.sock",
    connectPort: PORT_STREAMLOCAL,
  });
  const r = forwardRequestFields(
    { listenPath: "/tmp/r.sock", listenPort: PORT_STREAMLOCAL, connectHost: "h", connectPort: 22 },
    true,
  );
  assertEquals(r.fwdType, MUX_FWD_REMOTE);
  assertEquals([r.listenHost, r.listenPort, r.connectHost, r.connectPort], [
    "/tmp/r.sock",
    PORT_STREAMLOCAL,
    "h",
    22,
  ]);
  // Remote dynamic (-R 1080) is still a REMOTE request, with socks/0 as the connect side.
  const rd = forwardRequestFields({ listenPort: 1080, connectHost: "socks", connectPort: 0 }, true);
  assertEquals([rd.fwdType, rd.connectHost, rd.connectPort], [MUX_FWD_REMOTE, "socks", 0]);
});

Deno.test("describeMuxForward reads like ssh's format_forward", () => {
  assertEquals(
    describeMuxForward(
      forwardRequestFields({ listenPort: 1, connectHost: "h", connectPort: 2 }, false),
    ),
    "local forward LOCALHOST:1 -> h:2",
  );
  assertEquals(
    describeMuxForward(
      forwardRequestFields({ listenPort: 9, connectHost: "socks", connectPort: 0 }, false),
    ),
    "dynamic forward LOCALHOST:9 -> *",
  );
  assertEquals(
    describeMuxForward(
      forwardRequestFields(
        { listenPath: "/s", listenPort: 0, connectHost: "h", connectPort: 2 },
        true,
      ),
    ),
    "remote forward /s -> h:2",
  );
});

Deno.test("SendEnv matching: name before '=', globs, no name → never", () => {
  assertEquals(envPermitted("_XXX_TEST=blah", ["_XXX_TEST"]), true);
  assertEquals(envPermitted("LC_ALL=C", ["LANG", "LC_*"]), true);
  assertEquals(envPermitted("LANG=C", ["LC_*"]), false);
  assertEquals(envPermitted("A=1", ["?"]), true);
  assertEquals(envPermitted("AB=1", ["?"]), false);
  assertEquals(envPermitted("=x", ["*"]), false);
  assertEquals(envPermitted("NOEQUALS", ["*"]), false);
  // The value does not take part in the match.
  assertEquals(envPermitted("X=_XXX_TEST", ["_XXX_TEST"]), false);
});

Deno.test("session env: matching environ entries first, then every SetEnv entry", () => {
  const environ = { HOME: "/root", _XXX_TEST: "blah", LC_CTYPE: "C", LANG: "en" };
  assertEquals(
    muxNewSessionEnv(
      { sendEnv: ["_XXX_TEST", "LC_*"], setEnv: ["FOO=bar", "_XXX_TEST=set"] },
      environ,
    ),
    ["_XXX_TEST=blah", "LC_CTYPE=C", "FOO=bar", "_XXX_TEST=set"],
  );
  assertEquals(muxNewSessionEnv({ sendEnv: [], setEnv: [] }, environ), []);
});

Deno.test("TERM: non-empty SetEnv TERM wins, then $TERM, then empty", () => {
  assertEquals(sessionTerm({ setEnv: ["TERM=vt100"] }, { TERM: "xterm" }), "vt100");
  assertEquals(sessionTerm({ setEnv: ["TERM="] }, { TERM: "xterm" }), "xterm");
  assertEquals(sessionTerm({ setEnv: [] }, { TERM: "xterm" }), "xterm");
  assertEquals(sessionTerm({ setEnv: [] }, {}), "");
});

Deno.test("escape char: a character, ^X control form, none", () => {
  assertEquals(escapeCharCode("~"), 0x7e);
  assertEquals(escapeCharCode("%"), 0x25);
  assertEquals(escapeCharCode("^]"), 0x1d);
  assertEquals(escapeCharCode("none"), ESCAPE_NONE);
  assertEquals(ESCAPE_NONE, 0xffffffff);
});
