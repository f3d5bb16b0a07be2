/**
 * The `wasi` runtime handler: the service keeps all a CRI runtime owes the kubelet (names, stores, records,
 * late results, images, the pod network, statuses, events); the handler brings how a container runs
 * ({@link WasiRuntime}). crikitd registers it: `crictl runp --runtime wasi` runs WebAssembly pods.
 */
import { invalidArgument } from "crikit/errors";
import type { LifecycleHooks, RuntimeHandler } from "crikit/runtime";
import { createDirSandboxController } from "crikit/sandbox";
import { findEntrypoint, isWasmFile, rootfsOf } from "./bundle-plan.js";
import { WasiRuntime, type WasiRuntimeOptions } from "./wasi-runtime.js";

export { WasiRuntime, type WasiRuntimeOptions } from "./wasi-runtime.js";

/** The `wasi` runtime handler (see the file header). */
export function createWasiHandler(options: WasiRuntimeOptions): RuntimeHandler & { runtime: WasiRuntime } {
  const runtime = new WasiRuntime(options);
  // A module joins no namespace: its pod is a directory (no pause process, no pinned namespaces).
  const sandboxes = createDirSandboxController();
  return { runtime, sandboxes, type: "io.crikit.wasi.v1" };
}

/** Service-wide hooks refusing, with what to do, a container whose image is for another handler than its pod's. */
export function oneHandlerPerPod(wasi: string): LifecycleHooks {
  return {
    async adjustContainerSpec(spec, { handler, config, sandboxId }) {
      const asked = config.image?.runtimeHandler ?? "";
      if (asked !== "" && asked !== handler) {
        throw invalidArgument(`pod ${sandboxId} runs under runtime handler "${handler}", not "${asked}": a pod's containers all run under its handler; create this container in a pod run with runtime_handler "${asked}"`, "config.image.runtime_handler");
      }
      const { path } = handler === wasi ? {} : await findEntrypoint(spec, rootfsOf(spec, ""));
      if (path !== undefined && (await isWasmFile(path))) {
        throw invalidArgument(`the image's entrypoint is a WebAssembly module, which runtime handler "${handler}" cannot run: run its pod with runtime_handler "${wasi}" (crictl runp --runtime ${wasi})`, "config.image");
      }
    },
  };
}
