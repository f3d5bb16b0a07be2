/**
 * RemoveContainer: stops a running container first, then removes it from
 * its runtime (unless the runtime never created it), unmounts its rootfs and deletes its bundle, writable layer
 * and record; an unknown ID succeeds.
 *
 * @packageDocumentation
 */
import { rm } from "node:fs/promises";
import { join } from "node:path";
import type { MessageInitShape } from "@bufbuild/protobuf";
import { ContainerEventType, type RemoveContainerRequest, type RemoveContainerResponseSchema } from "../cri.js";
import { invalidArgument } from "../errors.js";
import { stopContainerNow } from "./container-stop.js";
import { observed } from "./hooks.js";
import { publish } from "./object-status.js";
import { crashPoint } from "../crash-points.js";
import { withIntent } from "./intents.js";
import { detached } from "./runtime-create.js";
import { checkReady, handlerOf, sig, visible, type CallContext, type ServiceContext } from "./service-context.js";

/** RemoveContainer (see the file header). */
export async function removeContainer(c: ServiceContext, req: RemoveContainerRequest, call: CallContext = {}): Promise<MessageInitShape<typeof RemoveContainerResponseSchema>> {
  checkReady(c);
  if (req.containerId === "") throw invalidArgument("container_id is empty", "container_id");
  const r = c.containers.find(req.containerId);
  if (r === undefined || !visible(r)) return {};
  await observed(c, { step: "RemoveContainer", sandboxId: r.metadata.sandboxId, containerId: r.id, handler: r.metadata.runtime?.handler ?? "" }, () =>
    withIntent(c, { op: "RemoveContainer", id: r.id }, () => {
      crashPoint("RemoveContainer.after-intent");
      return removeContainerNow(c, r.id, call.signal);
    }),
  );
  return {};
}

/** Stops and removes a container (see the file header). */
export async function removeContainerNow(c: ServiceContext, id: string, signal: AbortSignal | undefined): Promise<void> {
  await c.containers.locks.run(id, async () => {
    const r = c.containers.find(id);
    const x = r?.metadata.runtime;
    if (r === undefined || x === undefined) return;
    c.containers.update(id, (s) => ({ ...s, removing: true }));
    await stopContainerNow(c, id, 0, signal);
    if (c.containers.get(id).status.awaitingRuntime !== true) await handlerOf(c, x.handler).runtime.remove(id, { timeoutMs: 0 }, sig(signal));
    crashPoint("RemoveContainer.after-runtime-remove");
    await detached(c, id);
    await c.images.unmountRootfs(join(x.bundle, "rootfs"), sig(signal));
    crashPoint("RemoveContainer.after-rootfs-unmount");
    await rm(x.bundle, { recursive: true, force: true });
    await rm(x.rwDir, { recursive: true, force: true });
    crashPoint("RemoveContainer.after-dir-remove");
    await c.records.containers.delete(id);
    publish(c, id, ContainerEventType.CONTAINER_DELETED_EVENT, r.metadata.sandboxId);
    c.containers.delete(id);
    c.stats.forget(id);
    c.containerNames.releaseByKey(id);
    c.log.info({ id }, "container removed");
  });
}
