/**
 * The extension points of a runtime handler: the container runtime, the
 * sandbox controller and the lifecycle hooks.
 *
 * @packageDocumentation
 */
export type {
  ContainerRuntime,
  ContainerCallOptions,
  ContainerCreateInput,
  RuntimeContainerStatus,
  RuntimeRecovery,
  ExitWatch,
  ExitWatchOptions,
  RuntimeExecResult,
} from "./container-runtime.js";
export type { SandboxController } from "./sandbox-controller.js";
export type { LifecycleHooks, LifecycleEvent, LifecycleStep, ContainerSpecContext } from "./lifecycle-hooks.js";
export type { RuntimeHandler } from "./runtime-handler.js";
