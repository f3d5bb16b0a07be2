/**
 * StopPodSandbox and RemovePodSandbox. Both are idempotent: an unknown ID
 * succeeds, as containerd and CRI-O answer (the kubelet stops and removes
 * repeatedly and after garbage collection). Stopping stops the pod's
 * containers (no grace period), tears its network down, stops its sandbox
 * and releases its shm; removing stops it first and removes its containers.
 *
 * @packageDocumentation
 */
import { rm } from "node:fs/promises";
import type { MessageInitShape } from "@bufbuild/protobuf";
import { ContainerEventType, type RemovePodSandboxRequest, type RemovePodSandboxResponseSchema, type StopPodSandboxRequest, type StopPodSandboxResponseSchema } from "../cri.js";
import { invalidArgument } from "../errors.js";
import { unmountPodShm } from "../sandbox/index.js";
import { removeContainerNow } from "./container-remove.js";
import { stopContainerNow } from "./container-stop.js";
import { releaseExited } from "./exit-handling.js";
import { observed } from "./hooks.js";
import { publish } from "./object-status.js";
import { saveSandbox } from "./record-codec.js";
import { crashPoint } from "../crash-points.js";
import { withIntent } from "./intents.js";
import { checkReady, handlerOf, sig, visible, type CallContext, type ServiceContext } from "./service-context.js";
import { allOrFirstFailure, mapLimit } from "./undo.js";

/** Containers of one pod stopped or removed at the same time. */
const POD_PARALLELISM = 8;

/** The visible sandbox an ID names, or undefined; InvalidArgument for an empty one. */
function lookup(c: ServiceContext, idOrPrefix: string) {
  checkReady(c);
  if (idOrPrefix === "") throw invalidArgument("pod_sandbox_id is empty", "pod_sandbox_id");
  const r = c.sandboxes.find(idOrPrefix);
  return r !== undefined && visible(r) ? r : undefined;
}

/** StopPodSandbox: idempotent; an unknown ID succeeds. */
export async function stopPodSandbox(c: ServiceContext, req: StopPodSandboxRequest, call: CallContext = {}): Promise<MessageInitShape<typeof StopPodSandboxResponseSchema>> {
  const r = lookup(c, req.podSandboxId);
  if (r === undefined) {
    c.log.debug({ id: req.podSandboxId }, "StopPodSandbox of an unknown sandbox: nothing to do");
    return {};
  }
  await observed(c, { step: "StopPodSandbox", sandboxId: r.id, handler: r.metadata.runtime?.handler ?? "" }, () =>
    withIntent(c, { op: "StopPodSandbox", id: r.id }, () => {
      crashPoint("StopPodSandbox.after-intent");
      return stopSandboxNow(c, r.id, call.signal);
    }),
  );
  return {};
}

/** RemovePodSandbox: removes its containers; an unknown ID succeeds. */
export async function removePodSandbox(c: ServiceContext, req: RemovePodSandboxRequest, call: CallContext = {}): Promise<MessageInitShape<typeof RemovePodSandboxResponseSchema>> {
  const r = lookup(c, req.podSandboxId);
  if (r === undefined) return {};
  await observed(c, { step: "RemovePodSandbox", sandboxId: r.id, handler: r.metadata.runtime?.handler ?? "" }, () =>
    withIntent(c, { op: "RemovePodSandbox", id: r.id }, () => {
      crashPoint("RemovePodSandbox.after-intent");
      return removeSandboxNow(c, r.id, call.signal);
    }),
  );
  return {};
}

/**
 * Stops a sandbox and its containers (see the file header). `record: false`
 * skips writing the stopped sandbox's record, for a removal that deletes the
 * record next (its intent covers a crash in between).
 */
export async function stopSandboxNow(c: ServiceContext, id: string, signal: AbortSignal | undefined, options: { record?: boolean } = {}): Promise<void> {
  await mapLimit(c.containers.listBySandbox(id), POD_PARALLELISM, (ctr) => c.containers.locks.run(ctr.id, () => stopContainerNow(c, ctr.id, 0, signal)));
  crashPoint("StopPodSandbox.after-containers-stopped");
  await c.sandboxes.locks.run(id, async () => {
    const r = c.sandboxes.find(id);
    const x = r?.metadata.runtime;
    if (r === undefined || x === undefined) return;
    const h = handlerOf(c, x.handler);
    // The network namespace is pinned by its own file, not by the infra
    // process, so the CNI teardown and the sandbox's stop do not depend on
    // each other: run them at the same time (both must succeed).
    const network =
      r.status.networkDown === true
        ? Promise.resolve()
        : (async () => {
            await c.network.tearDownPod({ id, netnsPath: x.netnsPath }, sig(signal));
            crashPoint("StopPodSandbox.after-cni-del");
            if (x.netnsPath !== "") await c.network.removeNetns(x.netnsPath, sig(signal));
            crashPoint("StopPodSandbox.after-netns-remove");
            c.sandboxes.update(id, (s) => ({ ...s, networkDown: true }));
          })();
    // The pod's shm goes with the pod's processes, as containerd releases it at stop.
    const shm = x.files.shmPath !== undefined ? unmountPodShm(x.files.shmPath, sig(signal)) : Promise.resolve();
    await allOrFirstFailure([network, h.sandboxes.stop(x.handle, sig(signal)), shm]);
    // The infra process is gone: its cgroups go now too, as containerd deletes the pause task at stop.
    if (x.mode === "infra") await releaseExited(c, x.handler, id, "the infra container's");
    const wasStopped = r.status.stoppedAt !== 0n;
    if (!wasStopped) c.sandboxes.update(id, (s) => ({ ...s, stoppedAt: c.clock.nowNs(), pid: 0 }));
    if (options.record !== false) await saveSandbox(c, id);
    crashPoint("StopPodSandbox.after-record");
    if (!wasStopped) {
      c.log.info({ id }, "pod sandbox stopped");
      publish(c, id, ContainerEventType.CONTAINER_STOPPED_EVENT, id);
    }
  });
}

/** Stops and removes a sandbox and its containers. */
export async function removeSandboxNow(c: ServiceContext, id: string, signal: AbortSignal | undefined): Promise<void> {
  await stopSandboxNow(c, id, signal, { record: false });
  await mapLimit(c.containers.listBySandbox(id), POD_PARALLELISM, (ctr) => removeContainerNow(c, ctr.id, signal));
  crashPoint("RemovePodSandbox.after-containers-removed");
  await c.sandboxes.locks.run(id, async () => {
    const r = c.sandboxes.find(id);
    const x = r?.metadata.runtime;
    if (r === undefined || x === undefined) return;
    if (x.files.shmPath !== undefined) await unmountPodShm(x.files.shmPath, sig(signal));
    await handlerOf(c, x.handler).sandboxes.remove(x.handle, sig(signal));
    crashPoint("RemovePodSandbox.after-sandbox-remove");
    await rm(x.handle.dir, { recursive: true, force: true });
    crashPoint("RemovePodSandbox.after-dir-remove");
    await c.records.sandboxes.delete(id);
    publish(c, id, ContainerEventType.CONTAINER_DELETED_EVENT, id);
    c.sandboxes.delete(id);
    c.stats.forget(id);
    c.sandboxNames.releaseByKey(id);
    c.log.info({ id }, "pod sandbox removed");
  });
}
