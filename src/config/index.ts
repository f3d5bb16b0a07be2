export { daemonConfigSchema, defaultDaemonConfig, parseDaemonConfig, parseHostPort, resolveDaemonConfig, parseUlimit } from "./daemon-config.js";
export type { DaemonConfig, RegistryAuthConfig, RegistryMirrorConfig, RuntimeHandlerConfig } from "./daemon-config.js";
export { createDaemonConfig, daemonConfigTable } from "./config-input.js";
export type { CamelCase, CamelCaseInput, DaemonConfigInput } from "./config-input.js";
export { runtimeHandlerSettings } from "./runtime-handler.js";
export type { RuntimeHandlerSettings } from "./runtime-handler.js";
