// A private HOME, system config path and environment for resolveOptions tests.
import type { ResolveEnv } from "../../lib/config/resolve.ts";

export function sandbox(): { dir: string; env: ResolveEnv; cleanup: () => void } {
  const dir = Deno.makeTempDirSync({ prefix: "sshmux-cfgu-" });
  Deno.mkdirSync(`${dir}/home/.ssh`, { recursive: true });
  const env: ResolveEnv = {
    home: `${dir}/home`,
    user: "me",
    uid: 1234,
    hostname: "box.local",
    environ: { SSH_AUTH_SOCK: "/agent.sock", XDIR: "/x" },
    systemConfig: `${dir}/system_config`,
  };
  return { dir, env, cleanup: () => Deno.removeSync(dir, { recursive: true }) };
}

export function write(path: string, text: string, mode = 0o600) {
  Deno.writeTextFileSync(path, text);
  Deno.chmodSync(path, mode);
}
