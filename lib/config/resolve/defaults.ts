// The options taken from the config state as they are, with ssh's defaults, grouped by concern.
import { LogLevel } from "../../log.ts";
import type { Options } from "../options.ts";
import type { ConfigState } from "../state.ts";

export function sessionDefaults(st: ConfigState) {
  return {
    requestTTY: st.requestTTY ?? "auto",
    stdinNull: st.stdinNull ?? false,
    sessionType: st.sessionType ?? "default",
    forkAfterAuthentication: st.forkAfterAuthentication ?? false,
    escapeChar: st.escapeChar ?? "~",
    sendEnv: [...st.sendEnv],
    forwardAgent: st.forwardAgent ?? false,
    forwardX11: st.forwardX11 ?? false,
  } satisfies Partial<Options>;
}

export function controlDefaults(st: ConfigState) {
  return {
    controlMaster: st.controlMaster ?? "no",
    controlPersist: st.controlPersist === undefined || st.controlPersist === "no"
      ? undefined
      : st.controlPersist,
    controlHeal: st.controlHeal ?? false,
  } satisfies Partial<Options>;
}

export function authDefaults(st: ConfigState) {
  return {
    identitiesOnly: st.identitiesOnly ?? false,
    batchMode: st.batchMode ?? false,
    passwordAuthentication: st.passwordAuthentication ?? true,
    kbdInteractiveAuthentication: st.kbdInteractiveAuthentication ?? true,
    pubkeyAuthentication: st.pubkeyAuthentication ?? true,
    preferredAuthentications: st.preferredAuthentications,
    numberOfPasswordPrompts: st.numberOfPasswordPrompts ?? 3,
  } satisfies Partial<Options>;
}

export function hostKeyDefaults(st: ConfigState) {
  return {
    strictHostKeyChecking: st.strictHostKeyChecking ?? "ask",
    hostKeyAlias: st.hostKeyAlias?.toLowerCase(),
  } satisfies Partial<Options>;
}

export function transportDefaults(st: ConfigState) {
  return {
    ciphers: st.ciphers,
    kexAlgorithms: st.kexAlgorithms,
    hostKeyAlgorithms: st.hostKeyAlgorithms,
    macs: st.macs,
    pubkeyAcceptedAlgorithms: st.pubkeyAcceptedAlgorithms,
    connectTimeout: st.connectTimeout === undefined || st.connectTimeout < 0
      ? undefined
      : st.connectTimeout,
    connectionAttempts: st.connectionAttempts ?? 1,
    serverAliveInterval: Math.max(0, st.serverAliveInterval ?? 0),
    serverAliveCountMax: st.serverAliveCountMax ?? 3,
    rekeyLimitBytes: st.rekeyLimit ? st.rekeyLimit : undefined,
    rekeyLimitSeconds: st.rekeyInterval && st.rekeyInterval > 0 ? st.rekeyInterval : undefined,
    addressFamily: st.addressFamily ?? "any",
    bindAddress: st.bindAddress,
    bindInterface: st.bindInterface,
    compression: st.compression ?? false,
  } satisfies Partial<Options>;
}

export function forwardDefaults(st: ConfigState) {
  return { gatewayPorts: st.gatewayPorts ?? false } satisfies Partial<Options>;
}

export function logDefaults(st: ConfigState) {
  const logLevel = st.logLevel ?? LogLevel.INFO;
  return { logLevel, quiet: logLevel === LogLevel.QUIET } satisfies Partial<Options>;
}
