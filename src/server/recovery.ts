/**
 * Recovery after a (re)start: the runtimes' exit watches start first (so no
 * exit is missed); then sandbox and container records are loaded and their
 * names reserved again; each handler's runtime is reconciled (running,
 * exited while the daemon was down, vanished: exited with reason Unknown;
 * a container still awaiting its runtime's create stays created);
 * each ready sandbox is checked by its controller and its network
 * namespace (one that lost either is NOTREADY); the calls a crash
 * interrupted are finished or undone from their intents (`intents.ts`);
 * runtime containers with no record are removed; the images are loaded; late results parked before the
 * restart stay parked; last, one exit re-check pass.
 *
 * @packageDocumentation
 */
import type { ExitWatch, RuntimeContainerStatus } from "../runtime/index.js";
import { unmountPodShm } from "../sandbox/index.js";
import { ExitReason, SpecialExitCode } from "../status/index.js";
import { containerState, sandboxState, type ContainerStatus, type SandboxRecord } from "../stores/index.js";
import { dateNs } from "./clock.js";
import { exitTimeNs, onExit, releaseExited } from "./exit-handling.js";
import { park } from "./late-create.js";
import { decodeContainer, decodeSandbox, saveContainer, saveSandbox } from "./record-codec.js";
import { handlerOf, type ServiceContext } from "./service-context.js";
import { removeContainerNow } from "./container-remove.js";
import { removeSandboxNow } from "./sandbox-stop-remove.js";
import { resolveIntents } from "./intents.js";
import { errMessage } from "./undo.js";

/** Why a ready sandbox is no longer usable after a restart, or undefined. */
async function sandboxLost(c: ServiceContext, r: SandboxRecord, infra: RuntimeContainerStatus | undefined): Promise<string | undefined> {
  const x = r.metadata.runtime;
  if (x === undefined) return "it has no runtime facts";
  const lost = await handlerOf(c, x.handler).sandboxes.check(x.handle, infra);
  if (lost !== undefined) return lost;
  if (!x.hostNetwork && x.netnsPath !== "" && !(await c.network.netnsExists(x.netnsPath))) return "its network namespace is gone";
  return undefined;
}

/** A recorded container's status reconciled with what its runtime says (see the file header). */
async function reconcile(c: ServiceContext, recorded: ContainerStatus, o: RuntimeContainerStatus | undefined): Promise<ContainerStatus> {
  if (recorded.finishedAt !== 0n) return recorded;
  // Awaiting its runtime and unknown to it: still created. Known to it: a start the crash interrupted got as far as the runtime's create.
  if (recorded.awaitingRuntime === true && o === undefined) return recorded;
  const status = recorded.awaitingRuntime === true ? { ...recorded, awaitingRuntime: false, pid: o?.pid ?? 0 } : recorded;
  if (o === undefined) {
    return { ...status, finishedAt: c.clock.nowNs(), exitCode: SpecialExitCode.Unknown, reason: ExitReason.Unknown, message: "container state was lost while the runtime was down" };
  }
  if (o.state === "exited") {
    const next = {
      ...status,
      startedAt: status.startedAt === 0n && o.startedAt ? dateNs(o.startedAt) : status.startedAt,
      finishedAt: exitTimeNs(c, o),
      exitCode: o.exitCode ?? SpecialExitCode.Unknown,
      reason: o.reason ?? ExitReason.Unknown,
      message: o.message ?? "",
    };
    return next.finishedAt < next.startedAt ? { ...next, finishedAt: next.startedAt } : next;
  }
  if (o.state === "running" && status.startedAt === 0n) return { ...status, startedAt: dateNs(o.startedAt) || c.clock.nowNs() };
  return status;
}

/** Restores state (see the file header); returns the exit watches it started. */
export async function recover(c: ServiceContext, exitRecheckMs: number): Promise<ExitWatch[]> {
  const watches: ExitWatch[] = [];
  for (const h of c.handlers.values()) {
    watches.push(
      await h.runtime.watchExits((id) => onExit(c, id), {
        recheckMs: exitRecheckMs,
        onError: (err) => c.log.warn({ handler: h.name, err: errMessage(err) }, "exit monitor"),
      }),
    );
  }
  await c.images.init();
  const sRecs = await c.records.sandboxes.loadAll((id, err) => c.log.warn({ id, err: errMessage(err) }, "unreadable sandbox record skipped"));
  const cRecs = await c.records.containers.loadAll((id, err) => c.log.warn({ id, err: errMessage(err) }, "unreadable container record skipped"));
  const seen = new Map<string, RuntimeContainerStatus>();
  for (const h of c.handlers.values()) {
    let rec;
    try {
      rec = await h.runtime.recover();
    } catch (err) {
      c.log.error({ handler: h.name, err: errMessage(err) }, "runtime recovery failed");
      continue;
    }
    for (const s of rec.containers) seen.set(s.id, s);
    for (const orphan of rec.orphans) {
      c.log.warn({ id: orphan, handler: h.name }, "removing a runtime container without state");
      await h.runtime.removeOrphan?.(orphan).catch(() => undefined);
    }
  }
  for (const [id, rec] of sRecs) {
    try {
      const { metadata, status: recorded } = decodeSandbox(rec);
      c.clock.observe(recorded.createdAt, recorded.readyAt, recorded.stoppedAt);
      const r = c.sandboxes.add(id, metadata, recorded);
      c.sandboxNames.reserve(rec.name, id);
      if (sandboxState(recorded) === "READY") {
        const lost = await sandboxLost(c, r, seen.get(id));
        if (lost !== undefined) {
          c.log.warn({ id, why: lost }, "sandbox is no longer ready");
          c.sandboxes.update(id, (s) => ({ ...s, stoppedAt: c.clock.nowNs() }));
          await saveSandbox(c, id);
        }
      }
      // A pod that is not ready holds no shm (released at stop; or it was lost while the daemon was down).
      const shm = metadata.runtime?.files.shmPath;
      if (sandboxState(c.sandboxes.get(id).status) !== "READY" && shm !== undefined) {
        await unmountPodShm(shm).catch((err: unknown) => c.log.warn({ id, err: errMessage(err) }, "cannot release the pod's shm"));
      }
    } catch (err) {
      c.log.error({ id, err: errMessage(err) }, "cannot restore sandbox");
    }
  }
  for (const [id, rec] of cRecs) {
    try {
      const { metadata, status: recorded } = decodeContainer(rec);
      c.clock.observe(recorded.createdAt, recorded.startedAt, recorded.finishedAt);
      const status = await reconcile(c, recorded, seen.get(id));
      if (!c.sandboxes.has(rec.sandboxId)) c.log.warn({ id, sandboxId: rec.sandboxId }, "container of an unknown sandbox");
      c.containers.add(id, metadata, status);
      c.containerNames.reserve(rec.name, id);
      // An exit while the daemon was down: release its cgroups now (a no-op once done).
      if (containerState(status) === "EXITED" && seen.get(id)?.state === "exited") await releaseExited(c, rec.extra.handler, id);
      if (status.finishedAt !== recorded.finishedAt || status.startedAt !== recorded.startedAt || status.awaitingRuntime !== recorded.awaitingRuntime) await saveContainer(c, id);
    } catch (err) {
      c.log.error({ id, err: errMessage(err) }, "cannot restore container");
    }
  }
  // Calls a crash interrupted: finish or undo each (see intents.ts).
  if (c.records.intents !== undefined) await resolveIntents(c, c.records.intents);
  // Runtime state with no record and no intent (a runtime's own leftovers): remove it.
  for (const h of c.handlers.values()) {
    for (const id of await h.runtime.list().catch(() => [] as string[])) {
      if (c.containers.has(id) || c.sandboxes.has(id)) continue;
      c.log.warn({ id, handler: h.name }, "removing a runtime container without a record");
      await h.runtime.remove(id).catch((err: unknown) => c.log.warn({ id, err: errMessage(err) }, "cannot remove"));
    }
  }
  // Late results parked before the restart stay parked (with a fresh time limit).
  const rollback = (): AbortSignal => AbortSignal.timeout(c.rollbackTimeoutMs);
  for (const s of c.sandboxes.list((r) => r.status.parked !== undefined)) {
    const p = s.status.parked as { key: string; fp: string };
    await park(c, { ...p, late: c.lateSandboxes, cleanup: (id) => removeSandboxNow(c, id, rollback()) }, s.id);
  }
  for (const r of c.containers.list((x) => x.status.parked !== undefined)) {
    const p = r.status.parked as { key: string; fp: string };
    await park(c, { ...p, late: c.lateContainers, cleanup: (id) => removeContainerNow(c, id, rollback()) }, r.id);
  }
  await Promise.all(watches.map((w) => w.recheck()));
  c.life.ready = true;
  c.log.info({ sandboxes: c.sandboxes.size, containers: c.containers.size }, "recovered");
  return watches;
}
