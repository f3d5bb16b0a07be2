/**
 * Exits: each handler's runtime reports exits (`ContainerRuntime.watchExits`);
 * an exit marks the container EXITED once (code, reason, finish time),
 * publishes CONTAINER_STOPPED_EVENT and releases what the runtime still
 * holds (cgroups), as containerd deletes a task on exit. An infra
 * container's exit stops its pod.
 *
 * @packageDocumentation
 */
import { ContainerEventType } from "../cri.js";
import { isCrikitError } from "../errors.js";
import type { RuntimeContainerStatus } from "../runtime/index.js";
import { ExitReason, SpecialExitCode } from "../status/index.js";
import { dateNs } from "./clock.js";
import { observe } from "./hooks.js";
import { publish } from "./object-status.js";
import { saveContainer, saveSandbox } from "./record-codec.js";
import { handlerOf, type ServiceContext } from "./service-context.js";
import { errMessage } from "./undo.js";

/** A container's exit time in nanoseconds: the runtime's own nanoseconds when it has them, else its time, else now. */
export function exitTimeNs(c: ServiceContext, st: RuntimeContainerStatus | undefined): bigint {
  if (st?.finishedAtNs !== undefined) return st.finishedAtNs;
  return st?.finishedAt === undefined ? c.clock.nowNs() : dateNs(st.finishedAt);
}

/** What an exit records. */
export interface ExitFacts {
  finishedAt: bigint;
  exitCode: number;
  reason: string;
  message: string;
}

/** The exit facts of a runtime status (none: the container's state is gone). */
export function exitFacts(c: ServiceContext, st: RuntimeContainerStatus | undefined, gone = "container state is gone"): ExitFacts {
  return {
    finishedAt: exitTimeNs(c, st),
    exitCode: st?.exitCode ?? SpecialExitCode.Unknown,
    reason: st?.reason ?? ExitReason.Unknown,
    message: st?.message ?? (st === undefined ? gone : ""),
  };
}

/** Releases what an exited container (or infra) still holds in its runtime; failures are logged. */
export async function releaseExited(c: ServiceContext, handler: string, id: string, what = "the exited container's"): Promise<void> {
  await Promise.resolve(handlerOf(c, handler).runtime.releaseExited?.(id)).catch((err: unknown) => c.log.warn({ id, err: errMessage(err) }, `cannot release ${what} cgroups`));
}

/** An exit the runtime reported (possibly again): record it once. */
export async function onExit(c: ServiceContext, id: string): Promise<void> {
  const ctr = c.containers.find(id);
  if (ctr !== undefined && ctr.id === id) {
    if (ctr.status.finishedAt !== 0n || ctr.status.starting || ctr.status.removing) return;
    await c.containers.locks.run(id, async () => void (await refreshExit(c, id)));
    return;
  }
  const s = c.sandboxes.find(id);
  if (s === undefined || s.id !== id || s.status.stoppedAt !== 0n || s.status.readyAt === 0n || s.metadata.runtime?.mode !== "infra") return;
  await c.sandboxes.locks.run(id, async () => {
    const cur = c.sandboxes.find(id);
    if (cur === undefined || cur.status.stoppedAt !== 0n) return;
    c.sandboxes.update(id, (st) => ({ ...st, stoppedAt: c.clock.nowNs() }));
    await saveSandbox(c, id);
    c.log.info({ id }, "sandbox infra process exited");
    publish(c, id, ContainerEventType.CONTAINER_STOPPED_EVENT, id);
  });
}

/** Reads the runtime's view of an exit and records it once; true when it did. Call under the container's lock. */
export async function refreshExit(c: ServiceContext, id: string): Promise<boolean> {
  const ctr = c.containers.find(id);
  const x = ctr?.metadata.runtime;
  if (ctr === undefined || x === undefined || ctr.status.finishedAt !== 0n || ctr.status.awaitingRuntime === true) return false;
  let st: RuntimeContainerStatus | undefined;
  try {
    st = await handlerOf(c, x.handler).runtime.status(id);
  } catch (err) {
    if (!(isCrikitError(err) && err.code === "NotFound")) throw err;
    st = undefined;
  }
  if (st !== undefined && st.state !== "exited") return false;
  await markExited(c, id, exitFacts(c, st));
  return true;
}

/** Records an exit once: status, record, STOPPED event, the hooks; then releases the runtime's hold. */
export async function markExited(c: ServiceContext, id: string, e: ExitFacts): Promise<void> {
  const ctr = c.containers.find(id);
  if (ctr === undefined || ctr.status.finishedAt !== 0n) return;
  const finishedAt = e.finishedAt < ctr.status.startedAt ? ctr.status.startedAt : e.finishedAt;
  c.containers.update(id, (s) => ({ ...s, finishedAt: finishedAt || c.clock.nowNs(), exitCode: e.exitCode, reason: e.reason, message: e.message, pid: 0 }));
  await saveContainer(c, id);
  c.log.info({ id, exitCode: e.exitCode, reason: e.reason }, "container exited");
  publish(c, id, ContainerEventType.CONTAINER_STOPPED_EVENT, ctr.metadata.sandboxId);
  const handler = ctr.metadata.runtime?.handler;
  if (handler !== undefined) {
    await observe(c, { step: "ContainerExited", sandboxId: ctr.metadata.sandboxId, containerId: id, handler, ok: true });
    if (ctr.status.awaitingRuntime !== true) await releaseExited(c, handler, id);
  }
}
