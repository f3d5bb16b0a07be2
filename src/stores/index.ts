/**
 * In-memory state of a CRI runtime: the name registrar, the ID prefix
 * index, and the sandbox, container and image stores. Pure: no file system,
 * no processes.
 *
 * @packageDocumentation
 */
export { Registrar } from "./registrar.js";
export { TruncIndex, isAmbiguousPrefixError } from "./trunc-index.js";
export type { TruncIndexOptions } from "./trunc-index.js";
export { Store } from "./store.js";
export type { StoreRecord, StoreOptions, StatusUpdate, AsyncStatusUpdate, UpdateAsyncOptions } from "./store.js";
export { ContainerStore, containerState, newContainerStatus } from "./container-store.js";
export type { ContainerMetadata, ContainerStatus, DerivedContainerState, ContainerRecord, ContainerRuntimeFacts } from "./container-store.js";
export { SandboxStore, sandboxState, newSandboxStatus } from "./sandbox-store.js";
export type { SandboxMetadata, SandboxStatus, DerivedSandboxState, SandboxRecord, SandboxRuntimeFacts, ParkedResult } from "./sandbox-store.js";
export { ObjectLocks } from "./object-locks.js";
export { ImageStore } from "./image-store.js";
export { deepFreeze } from "./deep-freeze.js";
export type { ImageStoreRecord, NewImage, ImageReferences } from "./image-store.js";
