/**
 * Seccomp: crikit's RuntimeDefault profile.
 *
 * @packageDocumentation
 */
export { DEFAULT_SECCOMP_TEMPLATE } from "./default-profile.js";
export type { SeccompTemplate, SeccompTemplateRule } from "./default-profile.js";
export { createDefaultSeccompProfile } from "./profile.js";
export type { DefaultSeccompOptions } from "./profile.js";
