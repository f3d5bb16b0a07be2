export { daemonConfigSchema, defaultDaemonConfig, parseDaemonConfig, parseHostPort, resolveDaemonConfig, parseUlimit } from "./daemon-config.js";
export type { DaemonConfig, RegistryAuthConfig, RegistryMirrorConfig, RuntimeHandlerConfig } from "./daemon-config.js";
export { runtimeHandlerSettings } from "./runtime-handler.js";
export type { RuntimeHandlerSettings } from "./runtime-handler.js";
