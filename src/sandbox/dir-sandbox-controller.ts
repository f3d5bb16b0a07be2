/**
 * A {@link SandboxController} for runtimes whose containers join no Linux
 * namespaces of the pod (WebAssembly modules, VMs that hold their own): the
 * sandbox is its directory and a `sandbox.json` handle, nothing runs and
 * nothing is mounted, so it needs no privileges.
 *
 * @packageDocumentation
 */
import { mkdir, rename, rm, writeFile } from "node:fs/promises";
import { isAbsolute, join } from "node:path";
import { invalidArgument } from "../errors.js";
import type { SandboxController } from "../runtime/index.js";
import { loadSandbox, type SandboxHandle } from "./sandbox.js";

/**
 * A sandbox controller that records a directory and nothing else (see the
 * file header): its handle names no IPC or UTS namespace, and the network
 * namespace the pod network made, if any.
 *
 * @public
 */
export function createDirSandboxController(): SandboxController {
  return {
    async start(input, options = {}) {
      if (!isAbsolute(input.dir)) throw invalidArgument("sandbox dir must be an absolute path", "dir");
      options.signal?.throwIfAborted();
      await mkdir(input.dir, { recursive: true });
      const handle: SandboxHandle = {
        id: input.id,
        mode: "pinned",
        dir: input.dir,
        namespaces: { ipc: "", uts: "", ...(input.netns !== undefined && input.netns !== "host" ? { network: input.netns } : {}) },
      };
      const file = join(input.dir, "sandbox.json");
      await writeFile(`${file}.tmp`, JSON.stringify(handle));
      await rename(`${file}.tmp`, file);
      return handle;
    },
    async stop() {},
    async remove(handle) {
      await rm(handle.dir, { recursive: true, force: true });
    },
    async check(handle) {
      return (await loadSandbox(handle.dir)) === undefined ? "its sandbox directory is gone" : undefined;
    },
  };
}
