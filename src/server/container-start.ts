/**
 * StartContainer: a created container of a ready pod is created in its
 * pod's runtime (the first time: `runtime-create.ts`) and started there;
 * the bundle's rootfs copy is unmounted in the background where the
 * runtime's container holds its own. A failed create or start records the container
 * as exited with reason StartError.
 *
 * @packageDocumentation
 */
import type { MessageInitShape } from "@bufbuild/protobuf";
import { ContainerEventType, type StartContainerRequest, type StartContainerResponseSchema } from "../cri.js";
import { failedPrecondition } from "../errors.js";
import { ExitReason, SpecialExitCode } from "../status/index.js";
import { containerState, sandboxState } from "../stores/index.js";
import { refreshExit } from "./exit-handling.js";
import { observed } from "./hooks.js";
import { publish } from "./object-status.js";
import { saveContainer } from "./record-codec.js";
import { crashPoint } from "../crash-points.js";
import { clearIntent, recordIntent } from "./intents.js";
import { detachRootfs, runtimeCreateInput } from "./runtime-create.js";
import { findContainer, handlerOf, sig, workSignal, type CallContext, type ServiceContext } from "./service-context.js";
import { errMessage } from "./undo.js";
import { sandboxNotReady } from "./user-errors.js";

/** StartContainer (see the file header). */
export async function startContainer(c: ServiceContext, req: StartContainerRequest, call: CallContext = {}): Promise<MessageInitShape<typeof StartContainerResponseSchema>> {
  const found = findContainer(c, req.containerId);
  const id = found.id;
  await c.containers.locks.run(id, async () => {
    const cur = c.containers.get(id);
    const state = containerState(cur.status);
    // The retry of a start that a crash left unanswered (see intents.ts): it did start.
    if (state !== "CREATED" && c.unansweredStarts.delete(id)) return;
    if (state !== "CREATED") throw failedPrecondition(`container ${JSON.stringify(id)} is ${state.toLowerCase()}, not created`);
    if (cur.status.removing) throw failedPrecondition(`container ${JSON.stringify(id)} is being removed`);
    const sb = c.sandboxes.find(cur.metadata.sandboxId);
    if (sb === undefined || sandboxState(sb.status) !== "READY") throw sandboxNotReady(cur.metadata.sandboxId);
    const handler = cur.metadata.runtime?.handler ?? "";
    const h = handlerOf(c, handler);
    const intent = { op: "StartContainer", id } as const;
    await observed(c, { step: "StartContainer", sandboxId: sb.id, containerId: id, handler }, async () => {
      await recordIntent(c, intent);
      crashPoint("StartContainer.after-intent");
      c.containers.update(id, (s) => ({ ...s, starting: true }));
      try {
        if (cur.status.awaitingRuntime === true) {
          // A failed create leaves nothing in the runtime (its contract), so the container stays awaiting it.
          const created = await h.runtime.create(await runtimeCreateInput(cur), sig(call.signal));
          c.containers.update(id, (s) => ({ ...s, awaitingRuntime: false, pid: created.pid }));
          crashPoint("StartContainer.after-runtime-create");
          detachRootfs(c, h, cur, workSignal(c));
        }
        await h.runtime.start(id, sig(call.signal));
        crashPoint("StartContainer.after-runtime-start");
      } catch (err) {
        c.containers.update(id, (s) => ({ ...s, starting: false, finishedAt: c.clock.nowNs(), exitCode: SpecialExitCode.StartError ?? 128, reason: ExitReason.StartError, message: errMessage(err) }));
        await saveContainer(c, id);
        await clearIntent(c, intent);
        publish(c, id, ContainerEventType.CONTAINER_STOPPED_EVENT, cur.metadata.sandboxId);
        throw err;
      }
      c.containers.update(id, (s) => ({ ...s, starting: false, startedAt: c.clock.nowNs() }));
      await saveContainer(c, id);
      crashPoint("StartContainer.after-record");
      await clearIntent(c, intent);
      c.log.info({ id }, "container started");
      publish(c, id, ContainerEventType.CONTAINER_STARTED_EVENT, cur.metadata.sandboxId);
    });
    // An exit that happened during start was ignored by the monitor: look now.
    await refreshExit(c, id);
  });
  return {};
}
