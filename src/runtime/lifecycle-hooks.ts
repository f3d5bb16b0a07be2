/**
 * In-process lifecycle hooks, what NRI gives containerd and CRI-O: adjust a
 * container's OCI spec before it is created, and observe the outcome of
 * each lifecycle step. Given through `CriServiceOptions.hooks` (every
 * handler) or `RuntimeHandler.hooks` (one handler); they run in that order.
 *
 * A hook that adjusts runs inside the step: when it throws, the step fails
 * and is rolled back. An observer runs after the step and cannot fail it:
 * what it throws is logged.
 *
 * @packageDocumentation
 */
import type { ContainerConfig, PodSandboxConfig } from "../cri.js";
import type { OciSpec } from "../spec/index.js";

/**
 * What a spec adjustment knows of the container being created.
 *
 * @public
 */
export interface ContainerSpecContext {
  /** The container's ID. */
  id: string;
  /** Its pod's ID. */
  sandboxId: string;
  /** The runtime handler that will run it. */
  handler: string;
  /** The CreateContainer config. */
  config: ContainerConfig;
  /** The pod's RunPodSandbox config. */
  sandboxConfig: PodSandboxConfig;
}

/**
 * A lifecycle step, as {@link LifecycleHooks.observe} sees it.
 *
 * @public
 */
export type LifecycleStep =
  | "RunPodSandbox"
  | "StopPodSandbox"
  | "RemovePodSandbox"
  | "CreateContainer"
  | "StartContainer"
  | "StopContainer"
  | "RemoveContainer"
  | "UpdateContainerResources"
  | "ContainerExited";

/**
 * The outcome of one lifecycle step.
 *
 * @public
 */
export interface LifecycleEvent {
  /** The step. */
  step: LifecycleStep;
  /** The pod. */
  sandboxId: string;
  /** The container, for container steps. */
  containerId?: string;
  /** The pod's runtime handler. */
  handler: string;
  /** Whether the step succeeded. */
  ok: boolean;
  /** Why it failed. */
  error?: unknown;
}

/**
 * Hooks a runtime author plugs into the service (see the file header).
 *
 * @public
 */
export interface LifecycleHooks {
  /** Adjust a container's spec (in place) before it is written to the bundle and created. */
  adjustContainerSpec?(spec: OciSpec, context: ContainerSpecContext): void | Promise<void>;
  /** Observe the outcome of a step. */
  observe?(event: LifecycleEvent): void | Promise<void>;
}
