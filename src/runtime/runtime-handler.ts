/**
 * A runtime handler: what a pod's `runtime_handler` (its RuntimeClass)
 * selects. Each handler brings its own {@link ContainerRuntime}, and may
 * bring its own {@link SandboxController} and {@link LifecycleHooks}. A pod's
 * containers all run under its handler: a pod never mixes handlers.
 *
 * @packageDocumentation
 */
import type { ContainerRuntime } from "./container-runtime.js";
import type { LifecycleHooks } from "./lifecycle-hooks.js";
import type { SandboxController } from "./sandbox-controller.js";

/**
 * One runtime handler, as given in `CriServiceOptions.handlers`.
 *
 * @public
 */
export interface RuntimeHandler {
  /** Runs the handler's containers. */
  runtime: ContainerRuntime;
  /**
   * Sets up the handler's pod sandboxes.
   * @defaultValue the sandbox module's controller over `runtime` (catatonit infra container or pinned namespaces)
   */
  sandboxes?: SandboxController;
  /** Hooks for this handler's pods and containers, after the service-wide ones. */
  hooks?: LifecycleHooks;
  /** The type reported in verbose statuses (`runtimeType`). @defaultValue the configured handler's `type`, else `"io.crikit.custom"` */
  type?: string;
  /** Options reported in verbose statuses (`runtimeOptions`). @defaultValue the configured handler's, else none */
  options?: Record<string, unknown>;
  /** The cgroup driver of the handler's runtime. @defaultValue the configured handler's, else the config's `cgroup_driver` */
  cgroupDriver?: "cgroupfs" | "systemd";
  /** Pod annotations passed to the spec (glob patterns). @defaultValue the configured handler's, else none */
  podAnnotations?: string[];
  /** Container annotations passed to the spec (glob patterns). @defaultValue the configured handler's, else none */
  containerAnnotations?: string[];
}
