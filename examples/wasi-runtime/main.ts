/**
 * The `wasi` runtime handler: pods whose containers are WebAssembly (WASI
 * preview 1) modules, assembled from crikit's pieces. The service keeps
 * everything a CRI runtime owes the kubelet (names, stores, records, late
 * results, images, the pod network, statuses, events); this handler brings
 * only how a container runs ({@link WasiRuntime}); its pods are always
 * infra-less.
 *
 * ```ts
 * const wasi = createWasiHandler({ stateDir: join(config.state, "wasi") });
 * const service = new CriService({ config, handlers: { wasi }, hooks: oneHandlerPerPod("wasi") });
 * // ... at shutdown, after service.close():
 * await wasi.runtime.close();
 * ```
 *
 * crikitd registers it so (examples/crikitd/main.ts); then
 * `crictl runp --runtime wasi pod.json` makes a pod whose containers run
 * images with a `.wasm` entrypoint.
 */
import { invalidArgument } from "../../src/errors.js";
import type { LifecycleHooks, RuntimeHandler, SandboxController } from "../../src/runtime/index.js";
import { createSandboxController } from "../../src/sandbox/index.js";
import { findEntrypoint, isWasmFile, rootfsOf } from "./bundle-plan.js";
import { WasiRuntime, type WasiRuntimeOptions } from "./wasi-runtime.js";

export { WasiRuntime, type WasiRuntimeOptions } from "./wasi-runtime.js";

/** The `wasi` runtime handler (see the file header). */
export function createWasiHandler(options: WasiRuntimeOptions): RuntimeHandler & { runtime: WasiRuntime } {
  const runtime = new WasiRuntime(options);
  // Always infra-less: a module needs no pause process to hold its namespaces (it joins none;
  // spec generation still names the pod's pinned IPC and UTS namespaces).
  const pinned = createSandboxController(runtime);
  const sandboxes: SandboxController = { ...pinned, start: (input, opts) => pinned.start({ ...input, mode: "pinned" }, opts) };
  return { runtime, sandboxes, type: "io.crikit.wasi.v1" };
}

/**
 * Service-wide hooks that keep each container under its pod's handler with
 * a clear error: an image pulled for another handler (`image.runtime_handler`)
 * is refused, and so is a `.wasm` entrypoint in a pod of any handler but `wasi`.
 */
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
