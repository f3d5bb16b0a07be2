export { daemonConfigSchema, defaultDaemonConfig, parseDaemonConfig, resolveDaemonConfig } from "./daemon-config.js";
export { parseHostPort, parseUlimit } from "./config-values.js";
export type { DaemonConfig, RegistryAuthConfig, RegistryMirrorConfig, RuntimeHandlerConfig } from "./daemon-config.js";
export { createDaemonConfig, daemonConfigTable } from "./config-input.js";
export type { CamelCase, CamelCaseInput, DaemonConfigInput } from "./config-input.js";
export { runtimeHandlerSettings } from "./runtime-handler.js";
export type { RuntimeHandlerSettings } from "./runtime-handler.js";
