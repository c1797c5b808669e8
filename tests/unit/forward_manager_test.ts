// ForwardManager bookkeeping: OpenSSH-mux duplicate rules, exact-match cancel, validation,
// bind failures with ssh's messages, and ExitOnForwardFailure via setupConfiguredForwards.
import { assert, assertEquals, assertRejects } from "@std/assert";
import { FatalError } from "../../lib/errors.ts";
import { captureLog } from "../../lib/log.ts";
import {
  ForwardError,
  ForwardManager,
  sameForward,
  setupConfiguredForwards,
} from "../../lib/ssh/forward/mod.ts";
import { FakeForwardServer } from "../helpers/forward/fake_server.ts";
import { formatForwardLikeOpenssh, type ForwardSpec } from "../../lib/ssh/forward/spec.ts";
import { freePort } from "../helpers/sshd.ts";

async function withFake(
  fn: (fake: FakeForwardServer, mgr: ForwardManager, logs: string[]) => Promise<void>,
) {
  const logs: string[] = [];
  const restore = captureLog(logs);
  const fake = new FakeForwardServer();
  const mgr = new ForwardManager({ conn: fake.client });
  try {
    await fn(fake, mgr, logs);
  } finally {
    await mgr.closeAll();
    await fake.close();
    restore();
  }
}

const base: ForwardSpec = { listenPort: 0, connectHost: "127.0.0.1", connectPort: 22 };

Deno.test("sameForward compares every field; undefined only equals undefined", () => {
  assert(sameForward(base, { ...base }));
  assert(!sameForward(base, { ...base, listenHost: "" }));
  assert(!sameForward(base, { ...base, listenHost: "127.0.0.1" }));
  assert(!sameForward(base, { ...base, connectPort: 23 }));
  assert(!sameForward(base, { ...base, connectHost: "localhost" }));
  assert(!sameForward({ ...base, listenPath: "/a" }, { ...base, listenPath: "/b" }));
});

Deno.test("formatForwardLikeOpenssh: OpenSSH's names (LOCALHOST or *, paths with port -2)", () => {
  const l: ForwardSpec = { listenPort: 80, connectHost: "h", connectPort: 8 };
  assertEquals(formatForwardLikeOpenssh("local", l, false), "local forward LOCALHOST:80 -> h:8");
  assertEquals(formatForwardLikeOpenssh("local", l, true), "local forward *:80 -> h:8");
  assertEquals(formatForwardLikeOpenssh("remote", l, true), "remote forward LOCALHOST:80 -> h:8");
  assertEquals(
    formatForwardLikeOpenssh("dynamic", { listenHost: "::1", listenPort: 9, connectPort: 0 }, true),
    "dynamic forward ::1:9 -> *",
  );
  assertEquals(
    formatForwardLikeOpenssh(
      "local",
      { listenPath: "/s", listenPort: 0, connectPath: "/t", connectPort: 0 },
      false,
    ),
    "local forward /s:-2 -> /t:-2",
  );
});

Deno.test("local duplicates succeed without a new listener; concurrent duplicates share one", async () => {
  await withFake(async (_fake, mgr) => {
    const port = freePort();
    const spec = { ...base, listenHost: "127.0.0.1", listenPort: port };
    const [a, b] = await Promise.all([mgr.add(spec, "local"), mgr.add({ ...spec }, "local")]);
    assertEquals([a.duplicate, b.duplicate].sort(), [false, true]);
    assertEquals(a.boundPort, port);
    assertEquals(b.boundPort, port);
    assertEquals(mgr.list().length, 1);
    assertEquals(mgr.list()[0].description, `local forward 127.0.0.1:${port} -> 127.0.0.1:22`);
    // A dynamic forward on another port is a different entry.
    await mgr.add(
      { listenHost: "127.0.0.1", listenPort: 0, connectHost: "socks", connectPort: 0 },
      "dynamic",
    );
    assertEquals(mgr.list().map((f) => f.kind), ["local", "dynamic"]);
  });
});

Deno.test("cancel needs an exact match and reports 'port not forwarded' otherwise", async () => {
  await withFake(async (_fake, mgr) => {
    const spec = { ...base, listenHost: "127.0.0.1" };
    await mgr.add(spec, "local");
    for (const other of [{ ...spec, listenHost: undefined }, { ...spec, connectPort: 23 }]) {
      const e = await assertRejects(() => mgr.cancel(other, "local"), ForwardError);
      assertEquals([e.kind, e.message], ["not-found", "port not forwarded"]);
    }
    // Same tuple under the remote table is not the local forward either.
    await assertRejects(() => mgr.cancel(spec, "remote"), ForwardError, "port not forwarded");
    await mgr.cancel(spec, "local");
    await assertRejects(() => mgr.cancel(spec, "local"), ForwardError, "port not forwarded");
  });
});

Deno.test("invalid specs are refused before anything is opened", async () => {
  await withFake(async (fake, mgr) => {
    const cases: [ForwardSpec, "local" | "remote" | "dynamic"][] = [
      [{ listenPort: 0, connectHost: "h", connectPort: 0 }, "local"],
      [{ listenPort: 70000, connectHost: "h", connectPort: 1 }, "local"],
      [
        { listenPath: "/x", listenPort: 0xfffffffe, connectHost: "socks", connectPort: 0 },
        "dynamic",
      ],
      [{ listenPort: 1, connectPort: 5 }, "remote"],
    ];
    for (const [spec, kind] of cases) {
      const e = await assertRejects(() => mgr.add(spec, kind), ForwardError);
      assertEquals(e.kind, "invalid");
    }
    assertEquals(fake.seen.length, 0);
    assertEquals(mgr.list().length, 0);
  });
});

Deno.test("a port in use fails with ssh's bind and listener messages", async () => {
  await withFake(async (_fake, mgr, logs) => {
    const busy = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const port = (busy.addr as Deno.NetAddr).port;
    try {
      const e = await assertRejects(
        () => mgr.add({ ...base, listenHost: "127.0.0.1", listenPort: port }, "local"),
        ForwardError,
      );
      assertEquals(e.kind, "listen-failed");
      assertEquals(e.message, `channel_setup_fwd_listener_tcpip: cannot listen to port: ${port}`);
      assertEquals(e.details[0], `bind [127.0.0.1]:${port}: Address already in use`);
      assert(logs.some((l) => l.startsWith(`bind [127.0.0.1]:${port}: Address already in use`)));
      assertEquals(mgr.list().length, 0);
    } finally {
      busy.close();
    }
  });
});

Deno.test("setupConfiguredForwards: ExitOnForwardFailure makes failures fatal with ssh's text", async () => {
  const busy = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (busy.addr as Deno.NetAddr).port;
  try {
    const opts = {
      localForwards: [{ ...base, listenHost: "127.0.0.1", listenPort: port }],
      remoteForwards: [],
      exitOnForwardFailure: true,
      clearAllForwardings: false,
    };
    await withFake(async (_fake, mgr) => {
      const e = await assertRejects(() => setupConfiguredForwards(mgr, opts), FatalError);
      assertEquals([e.message, e.exitCode], ["Could not request local forwarding.", 255]);
    });
    await withFake(async (_fake, mgr, logs) => {
      await setupConfiguredForwards(mgr, { ...opts, exitOnForwardFailure: false });
      assert(logs.some((l) => l.startsWith("Could not request local forwarding.")));
    });
    await withFake(async (fake, mgr, logs) => {
      fake.refuse.add("tcpip-forward");
      const ropts = { ...opts, localForwards: [], remoteForwards: [{ ...base, listenPort: 8022 }] };
      const e = await assertRejects(() => setupConfiguredForwards(mgr, ropts), FatalError);
      assertEquals(e.message, "Error: remote port forwarding failed for listen port 8022");
      await setupConfiguredForwards(mgr, { ...ropts, exitOnForwardFailure: false });
      assert(
        logs.some((l) =>
          l.startsWith("Warning: remote port forwarding failed for listen port 8022")
        ),
      );
    });
    await withFake(async (_fake, mgr, logs) => {
      await setupConfiguredForwards(mgr, {
        ...opts,
        localForwards: [],
        remoteForwards: [{ ...base, connectPort: 80 }],
      });
      const port0 = mgr.list()[0].allocatedPort!;
      assert(
        logs.some((l) =>
          l.startsWith(`Allocated port ${port0} for remote forward to 127.0.0.1:80`)
        ),
      );
    });
  } finally {
    busy.close();
  }
});
