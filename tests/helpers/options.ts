// A complete Options value for tests that call library code directly (auth, known_hosts, ...):
// ssh's defaults for a host "example.com", overridden per test.
import type { Options } from "../../lib/config/options.ts";
import { LogLevel } from "../../lib/log.ts";

export function testOptions(over: Partial<Options> = {}): Options {
  return {
    hostArg: "example",
    hostName: "example.com",
    port: 22,
    user: "alice",
    command: "",
    controlMaster: "no",
    requestTTY: "auto",
    stdinNull: false,
    sessionType: "default",
    forkAfterAuthentication: false,
    escapeChar: "~",
    sendEnv: [],
    setEnv: [],
    forwardAgent: false,
    forwardX11: false,
    localForwards: [],
    remoteForwards: [],
    clearAllForwardings: false,
    exitOnForwardFailure: false,
    gatewayPorts: false,
    identityFiles: [],
    certificateFiles: [],
    identitiesOnly: false,
    batchMode: false,
    strictHostKeyChecking: "ask",
    userKnownHostsFiles: [],
    globalKnownHostsFiles: [],
    passwordAuthentication: true,
    kbdInteractiveAuthentication: true,
    pubkeyAuthentication: true,
    numberOfPasswordPrompts: 3,
    connectionAttempts: 1,
    serverAliveInterval: 0,
    serverAliveCountMax: 3,
    addressFamily: "any",
    compression: false,
    logLevel: LogLevel.INFO,
    quiet: false,
    raw: new Map(),
    ...over,
  };
}
