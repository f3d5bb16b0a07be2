/**
 * The default {@link SandboxController}: a pod's namespaces held by a
 * catatonit infra container run by the handler's container runtime, or
 * pinned by bind mounts (see `sandbox.ts`).
 *
 * @packageDocumentation
 */
import { stat } from "node:fs/promises";
import type { ContainerRuntime, SandboxController } from "../runtime/index.js";
import { loadSandbox, removeSandbox, startSandbox, stopSandbox } from "./sandbox.js";

async function exists(p: string): Promise<boolean> {
  try {
    await stat(p);
    return true;
  } catch {
    return false;
  }
}

/**
 * The sandbox module's {@link SandboxController} over `runtime`: `infra`
 * sandboxes run their catatonit container there; `pinned` ones need no
 * runtime.
 *
 * @public
 */
export function createSandboxController(runtime: ContainerRuntime): SandboxController {
  return {
    start: (input, options = {}) => startSandbox(runtime, input, options),
    stop: (handle, options = {}) => stopSandbox(runtime, handle, options),
    remove: (handle, options = {}) => removeSandbox(runtime, handle, options),
    async check(handle, infra) {
      if (handle.mode === "infra") {
        if (infra === undefined) return "its infra container is gone";
        if (infra.state === "exited") return "its infra process exited";
        return undefined;
      }
      if ((await loadSandbox(handle.dir)) === undefined) return "its pinned namespaces are gone";
      for (const p of [handle.namespaces.ipc, handle.namespaces.uts]) {
        if (p !== "" && !(await exists(p))) return `pinned namespace ${p} is gone`;
      }
      return undefined;
    },
  };
}
