/**
 * A {@link StreamingRuntime} over crikit's OCI adapter and pod network
 * namespaces: exec and attach through the container's `ContainerRuntime`
 * (`OciRuntime`: runc or crun through conmon), port-forward into the pod's pinned network
 * namespace (see `port-forward.ts` of the network module).
 *
 * The service supplies two lookups, so this module holds no state of its
 * own: which adapter runs a container (and its full id), and which network
 * namespace a pod has. Lookups throw the service's errors (`NotFound`,
 * `FailedPrecondition`), which the sessions pass on unchanged.
 *
 * @packageDocumentation
 */
import type { Duplex } from "node:stream";
import type { ContainerRuntime } from "../runtime/index.js";
import { forwardPort } from "../network/index.js";
import { warmNamespace } from "../network/port-forward-netns.js";
import type { StreamingIO, StreamingRuntime } from "../streaming/runtime.js";

/**
 * The adapter that runs a container, as {@link OciStreamingRuntimeOptions.lookupContainer} returns it.
 *
 * @public
 */
export interface StreamingContainerTarget {
  /** The adapter running the container (its `exec` and `attach` are used). */
  runtime: Pick<Required<ContainerRuntime>, "exec" | "attach">;
  /** The container's full id. */
  id: string;
}

/**
 * A pod's network, as {@link OciStreamingRuntimeOptions.lookupSandbox} returns it.
 *
 * @public
 */
export interface StreamingSandboxTarget {
  /** The pinned network namespace; absent or empty for a host-network pod. */
  netnsPath?: string | undefined;
}

/**
 * Options of {@link createOciStreamingRuntime}.
 *
 * @public
 */
export interface OciStreamingRuntimeOptions {
  /** Resolve a container id (or unique prefix); throw `NotFound` for an unknown one and `FailedPrecondition` for one not running. */
  lookupContainer(containerId: string): StreamingContainerTarget | Promise<StreamingContainerTarget>;
  /** Resolve a pod sandbox id (or unique prefix); throw `NotFound` for an unknown one and `FailedPrecondition` for one not ready. */
  lookupSandbox(podSandboxId: string): StreamingSandboxTarget | Promise<StreamingSandboxTarget>;
  /** The nsenter binary for port-forward. @defaultValue `"nsenter"` */
  nsenter?: string;
  /** The socat binary for port-forward. @defaultValue `"socat"` */
  socat?: string;
  /** How long one direction of a forwarded connection may go on after the other ended, in ms. @defaultValue 1000 */
  portForwardGraceMs?: number;
}

/**
 * Build the {@link StreamingRuntime} a streaming server calls, over OCI
 * adapters and pod network namespaces (see the file header).
 *
 * @example
 * ```ts
 * const runtime = createOciStreamingRuntime({
 *   lookupContainer: (id) => ({ runtime: oci, id }),
 *   lookupSandbox: () => ({ netnsPath: "/var/run/netns/pod1" }),
 * });
 * const code = await runtime.exec(id, ["sh", "-c", "exit 3"], { tty: false }, AbortSignal.timeout(10_000));
 * ```
 *
 * @public
 */
export function createOciStreamingRuntime(options: OciStreamingRuntimeOptions): StreamingRuntime {
  return {
    async exec(containerId: string, cmd: readonly string[], io: StreamingIO, signal: AbortSignal): Promise<number> {
      signal.throwIfAborted();
      const t = await options.lookupContainer(containerId);
      return t.runtime.exec(t.id, cmd, io, { signal });
    },
    async attach(containerId: string, io: StreamingIO, signal: AbortSignal): Promise<void> {
      signal.throwIfAborted();
      const t = await options.lookupContainer(containerId);
      await t.runtime.attach(t.id, io, { signal });
    },
    async portForward(podSandboxId: string, port: number, stream: Duplex, signal: AbortSignal): Promise<void> {
      signal.throwIfAborted();
      const s = await options.lookupSandbox(podSandboxId);
      await forwardPort({
        netnsPath: s.netnsPath,
        port,
        stream,
        signal,
        ...(options.nsenter !== undefined ? { nsenter: options.nsenter } : {}),
        ...(options.socat !== undefined ? { socat: options.socat } : {}),
        ...(options.portForwardGraceMs !== undefined ? { graceMs: options.portForwardGraceMs } : {}),
      });
    },
    // Start the pod namespace's connection helper now, so the first forwarded connection finds it running.
    async preparePortForward(podSandboxId: string): Promise<void> {
      const s = await options.lookupSandbox(podSandboxId);
      if (s.netnsPath !== undefined && s.netnsPath !== "") await warmNamespace(s.netnsPath, options.nsenter !== undefined ? { nsenter: options.nsenter } : {});
    },
  };
}
