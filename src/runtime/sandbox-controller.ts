/**
 * How a runtime handler sets up a pod's sandbox: the namespaces its
 * containers join. The default (`createSandboxController` of the sandbox
 * module) holds them with a catatonit infra container run by the handler's
 * {@link ContainerRuntime}, or pins them with bind mounts; a runtime whose
 * containers need no Linux namespaces (WebAssembly, a VM holding its own)
 * gives one that records a directory and nothing else.
 *
 * @packageDocumentation
 */
import type { SandboxHandle, SandboxInput } from "../sandbox/index.js";
import type { ContainerCallOptions, RuntimeContainerStatus } from "./container-runtime.js";

/**
 * Sets up, stops and removes pod sandboxes for one runtime handler.
 *
 * @public
 */
export interface SandboxController {
  /** Start a sandbox; the handle is kept in the sandbox's record. */
  start(input: SandboxInput, options?: ContainerCallOptions): Promise<SandboxHandle>;
  /** Stop a sandbox (its process, if any). Stopping a stopped sandbox succeeds. */
  stop(handle: SandboxHandle, options?: ContainerCallOptions): Promise<void>;
  /** Remove a sandbox and its directory. Removing a removed sandbox succeeds. */
  remove(handle: SandboxHandle, options?: ContainerCallOptions): Promise<void>;
  /**
   * After a restart: why a sandbox that was ready is no longer usable, or
   * `undefined` when it still is. `infra` is the runtime's status of the
   * sandbox's own container (ID = sandbox ID), when it has one.
   */
  check(handle: SandboxHandle, infra: RuntimeContainerStatus | undefined): Promise<string | undefined>;
}
