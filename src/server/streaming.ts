/**
 * The runtime side of Exec, Attach and PortForward for a streaming server:
 * sessions run through the container's runtime handler (its `exec` and
 * `attach`) and in the pod's network namespace (see `streaming-runtime.ts`).
 *
 * @packageDocumentation
 */
import { failedPrecondition, unimplemented } from "../errors.js";
import type { StreamingRuntime } from "../streaming/runtime.js";
import { containerState, sandboxState } from "../stores/index.js";
import { findContainer, findSandbox, handlerOf, type ServiceContext } from "./service-context.js";
import { createOciStreamingRuntime } from "./streaming-runtime.js";

/**
 * The service's {@link StreamingRuntime}: unknown containers and pods are
 * `NotFound`; a container not running or a pod not ready is
 * `FailedPrecondition`; a handler without exec and attach is `Unimplemented`.
 */
export function streamingRuntime(c: ServiceContext): StreamingRuntime {
  return createOciStreamingRuntime({
    lookupContainer: (id) => {
      const r = findContainer(c, id);
      if (containerState(r.status) !== "RUNNING") throw failedPrecondition(`container ${JSON.stringify(r.id)} is not running`);
      const handler = r.metadata.runtime?.handler ?? "";
      const { exec, attach } = handlerOf(c, handler).runtime;
      if (exec === undefined || attach === undefined) throw unimplemented(`runtime handler ${JSON.stringify(handler)} runs no exec or attach sessions`);
      const rt = handlerOf(c, handler).runtime;
      return { runtime: { exec: exec.bind(rt), attach: attach.bind(rt) }, id: r.id };
    },
    lookupSandbox: (id) => {
      const s = findSandbox(c, id);
      if (sandboxState(s.status) !== "READY") throw failedPrecondition(`pod sandbox ${JSON.stringify(s.id)} is not ready`);
      const x = s.metadata.runtime;
      return { netnsPath: x === undefined || x.hostNetwork ? undefined : x.netnsPath };
    },
  });
}
