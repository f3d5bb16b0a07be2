/**
 * Request validation at the edge (pure): every field of every CRI request
 * checked against what the kernel, runc and the CNI plugins accept, before
 * anything is created. Each failure is an `InvalidArgument` naming the
 * field and what is accepted.
 *
 * @packageDocumentation
 */
export { validateMessageFields } from "./fields.js";
export {
  MIN_MEMORY_LIMIT_BYTES,
  RESOURCE_RANGES,
  parseCpuset,
  validateContainerConfig,
  validateExecTimeout,
  validateLinuxResources,
  validateLogDirectory,
  validateLogPath,
  validatePodSandboxConfig,
} from "./rules.js";
export type { ValidationHost } from "./rules.js";
export { validateCriMessage, validateCriRequest } from "./requests.js";
