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
export { GenericRuntimeOptionsSchema, LegacyRuncOptionsSchema, RuncOptionsSchema, RuntimeOptionsTypeUrl, RuntimeType, createRuntimeOptionsRegistry, decodeRuntimeOptions, runtimeOptionsFromAny, runtimeOptionsToAny } from "./runtime-options/index.js";
export type { DecodedRuntimeOptions, GenericRuntimeOptions, LegacyRuncOptions, RuncOptions, RuntimeOptionsRegistry, RuntimeOptionsSection } from "./runtime-options/index.js";
// --- end status, references, runtime options ---

// --- image ---
export { MediaType, layerCompression, manifestAccept, isSha256Digest, digestHex, sha256Digest, chainIds, parseImageReference, formatImageReference, referenceName, ContentStore, applyLayer, Snapshotter, hostPlatform, platformMatches, selectPlatform, RegistryClient, parseChallenge, ImageService, imageSpecConfig } from "./image/index.js";
export type { LayerCompression, Platform, Descriptor, ImageManifest, ImageIndex, ImageRuntimeConfig, ImageConfigFile, ImageReference, ContentStoreOptions, IngestOptions, BlobSource, ApplyLayerOptions, ApplyLayerResult, OverlayMountOptions, RegistryAuth, RegistryHostConfig, RegistryClientOptions, RegistryCallOptions, FetchedManifest, PullProgress, ImageLogger, ImageServiceOptions, PullOptions, PullResult, ImageSpecConfig, ImageFsUsage, ImageRecord } from "./image/index.js";
// --- end image ---
