/**
 * crikit: building blocks for Kubernetes CRI runtimes.
 *
 * Everything public is listed here by name. The optional CRI server lives in
 * `crikit/transport`.
 *
 * @packageDocumentation
 */

// --- CRI types (generated from runtime.v1) ----------------------------------
export * as cri from "./cri.js";

// --- errors -----------------------------------------------------------------
export { CrikitError, ErrorCode, isCrikitError, hasErrorCode, errorCodeOf, notFound, alreadyExists, invalidArgument, failedPrecondition, unimplemented } from "./errors.js";
export type { ErrorCodeName } from "./errors.js";

// --- status, references, runtime options ---
export { ExitReason, SandboxState, SpecialExitCode, containerStateName, exitReason, parseContainerState, parsePodSandboxState, podSandboxStateName, resourcesFromSpec, toCriSandboxState, unknownContainerStatus, unknownSandboxState } from "./status/index.js";
export type { ContainerStateName, ExitFacts, PodSandboxStateName, SpecInteger, SpecLinuxResourcesInput, SpecResourcesInput, SpecWindowsResourcesInput, UnknownContainerStatus } from "./status/index.js";
export { DEFAULT_DOMAIN, DEFAULT_TAG, MAX_NAME_LENGTH, familiarName, formatReference, isImageIdReference, normalizeReference, parseDigest, parseImageUser, parseReference, repoDigest, repoTag, repositoryName, splitRepoTagsAndDigests } from "./reference/index.js";
export type { ImageGroupPart, ImageUser, ImageUserPart, ParsedReference, RepoTagsAndDigests } from "./reference/index.js";
// --- end status, references, runtime options ---
