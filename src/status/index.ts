/**
 * Pure status converters: resources from an OCI spec, exit reasons, the
 * unknown statuses and CRI state names.
 *
 * @packageDocumentation
 */
export { resourcesFromSpec } from "./resources.js";
export type {
  SpecInteger,
  SpecLinuxResourcesInput,
  SpecResourcesInput,
  SpecWindowsResourcesInput,
} from "./resources.js";
export {
  ExitReason,
  SandboxState,
  SpecialExitCode,
  exitReason,
  toCriSandboxState,
  unknownContainerStatus,
  unknownSandboxState,
} from "./exit-reason.js";
export type { ExitFacts, UnknownContainerStatus } from "./exit-reason.js";
export {
  containerStateName,
  parseContainerState,
  parsePodSandboxState,
  podSandboxStateName,
} from "./state-names.js";
export type { ContainerStateName, PodSandboxStateName } from "./state-names.js";
