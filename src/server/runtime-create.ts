/**
 * The runtime's create of a container, deferred from CreateContainer to
 * StartContainer (as containerd creates its task at start): CreateContainer
 * leaves the bundle (`config.json`, the mounted rootfs) and a record that
 * says the container is awaiting its runtime; the first StartContainer asks
 * the pod's runtime to create it from that bundle, then starts it.
 *
 * A runtime that can refuse a container up front (a module that cannot run,
 * a tty it cannot give) says so through its optional `check`, which
 * CreateContainer calls with the same input. So a CreateContainer runs no
 * process of the runtime's (no conmon, no `runc create`), and a container that is created and never started (a
 * pod's containers created in a burst, a create the kubelet gives up on)
 * costs no process and no runtime state at all.
 *
 * @packageDocumentation
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { ContainerCreateInput } from "../runtime/index.js";
import { parseExactJson, type OciSpec } from "../spec/index.js";
import type { ContainerConfig } from "../cri.js";
import type { ContainerRecord, ContainerRuntimeFacts } from "../stores/index.js";
import type { ResolvedHandler, ServiceContext } from "./service-context.js";
import { errMessage } from "./undo.js";

/** What the runtime's create (and its check at CreateContainer) gets for a container: everything comes from its config, runtime facts and spec. */
export function createInput(id: string, sandboxId: string, cfg: ContainerConfig, x: ContainerRuntimeFacts, spec: OciSpec): ContainerCreateInput {
  return {
    id,
    bundle: x.bundle,
    spec,
    logPath: x.logFile,
    name: cfg.metadata?.name || id,
    terminal: cfg.tty,
    stdin: cfg.stdin,
    leaveStdinOpen: cfg.stdin && !cfg.stdinOnce,
    labels: { "crikit.sandbox": sandboxId },
  };
}

/** What the runtime's create gets for a recorded container, its spec read back from the bundle. */
export async function runtimeCreateInput(r: ContainerRecord): Promise<ContainerCreateInput> {
  const x = r.metadata.runtime;
  if (x === undefined) throw new Error(`container ${r.id} has no runtime facts`);
  const spec = parseExactJson(await readFile(join(x.bundle, "config.json"), "utf8")) as OciSpec;
  return createInput(r.id, r.metadata.sandboxId, r.metadata.config, x, spec);
}

/**
 * Unmounts, in the background, the bundle's copy of a rootfs the runtime's
 * container now holds in its own mount namespace (runc and crun pivot into
 * it at create): the daemon's mount table then does not grow with the
 * running containers, and every later mount-table read or copy (each `runc
 * create` reads /proc/self/mountinfo three times and copies the table into
 * the new namespace) stays as cheap at the thousandth container as at the
 * first. The overlay lives on in the container's namespace until it exits.
 * StartContainer does not wait for the `umount`; RemoveContainer and the
 * service's close do (`c.detaching`). A failure only leaves the copy
 * mounted (RemoveContainer unmounts it).
 */
export function detachRootfs(c: ServiceContext, h: ResolvedHandler, r: ContainerRecord, signal: AbortSignal): void {
  const x = r.metadata.runtime;
  if (!h.rootfsHeldByRuntime || x === undefined) return;
  const done = c.images
    .unmountRootfs(join(x.bundle, "rootfs"), { signal })
    .catch((err: unknown) => c.log.warn({ id: r.id, err: errMessage(err) }, "could not unmount the bundle's copy of the rootfs after create; it stays mounted until RemoveContainer"))
    .finally(() => c.detaching.delete(r.id));
  c.detaching.set(r.id, done);
}

/** Waits for a background unmount of the container's rootfs copy, if one runs. */
export async function detached(c: ServiceContext, id: string): Promise<void> {
  await c.detaching.get(id);
}
