/**
 * Pod sandboxes: an infra process (catatonit) or namespaces pinned by bind
 * mounts.
 *
 * @packageDocumentation
 */
export { startSandbox, stopSandbox, removeSandbox, loadSandbox } from "./sandbox.js";
export { createSandboxController } from "./sandbox-controller.js";
export { createDirSandboxController } from "./dir-sandbox-controller.js";
export type { SandboxMode, SandboxInput, SandboxHandle } from "./sandbox.js";
export { generateInfraSpec } from "./infra-spec.js";
export type { InfraSpecInit } from "./infra-spec.js";
export { pinNamespaces, unpinNamespaces } from "./pinned-namespaces.js";
export { mountPodShm, unmountPodShm } from "./pod-shm.js";
export type { PinNamespacesInput, PinnedNamespaces, PinnableNamespace } from "./pinned-namespaces.js";
