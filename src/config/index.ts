export { daemonConfigSchema, defaultDaemonConfig, parseDaemonConfig, parseHostPort, resolveDaemonConfig } from "./daemon-config.js";
export type { DaemonConfig, RegistryAuthConfig, RegistryMirrorConfig, RuntimeHandlerConfig } from "./daemon-config.js";
