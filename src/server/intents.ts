/**
 * Intents: what a mutating call is about to change, written before it
 * changes anything (a create's durably, the others atomically, see
 * {@link recordIntent}), so that a crash at any step leaves a note of what
 * to finish or undo.
 *
 * Every name a create will give the host is derived from the new object's
 * ID (the netns pin, the sandbox and container directories, the rootfs
 * mount point, the CNI attachment keyed by the sandbox ID, the runtime
 * container), so one intent written before the first step covers every
 * step; each undo below is idempotent and tolerates a step that never ran.
 * The intent is deleted once the object's record is written.
 *
 * At start-up, after the records are loaded, {@link resolveIntents} handles
 * each intent left by a crash:
 *
 * - RunPodSandbox with no record: CNI DEL with the cached attachment (the
 *   CNI manager caches it before the first plugin's ADD: veth, address,
 *   portmap rules), the sandbox's namespaces or infra container, the shm
 *   mount, the netns pin, the sandbox directory: all removed.
 * - CreateContainer with no record: the rootfs mount, the bundle and the
 *   writable layer: all removed, and whatever the runtime holds under the
 *   ID (nothing since creates left the runtime to StartContainer; an
 *   intent written by an earlier version may have a runtime container).
 * - A create whose record was written: the call was never answered; the
 *   object is parked as a late result (see `late-create.ts`), so the
 *   kubelet's retry of the same request gets it, and it is removed when no
 *   retry comes.
 * - StartContainer: a container the runtime reports started was started by
 *   a call never answered; the retry of that start succeeds once. One the
 *   runtime does not know (the crash came before or during the runtime's
 *   create) has whatever the create left removed, and the retry creates it.
 * - StopPodSandbox, RemovePodSandbox, RemoveContainer: finished (each is
 *   idempotent), so the retry finds the work done.
 *
 * An intent whose handling fails is kept for the next start-up.
 *
 * @packageDocumentation
 */
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { unmountPodShm, type SandboxMode } from "../sandbox/index.js";
import { removeContainerNow } from "./container-remove.js";
import { saveContainer, saveSandbox, type RecordStore } from "./record-codec.js";
import { removeSandboxNow, stopSandboxNow } from "./sandbox-stop-remove.js";
import { handlerOf, type ServiceContext } from "./service-context.js";
import { errMessage, type Undo } from "./undo.js";
import { crashPoint } from "../crash-points.js";

/** An unfinished RunPodSandbox. @public */
export interface SandboxCreateIntent {
  /** The call. */
  op: "RunPodSandbox";
  /** The new sandbox's ID. */
  id: string;
  /** Its late-result key (see `late-create.ts`). */
  key: string;
  /** The fingerprint of its request. */
  fp: string;
  /** Its runtime handler. */
  handler: string;
  /** Its sandbox mode. */
  mode: SandboxMode;
  /** Its state directory. */
  dir: string;
  /** The name its netns pin is created under (`""`: host network). */
  netnsName: string;
}

/** An unfinished CreateContainer. @public */
export interface ContainerCreateIntent {
  /** The call. */
  op: "CreateContainer";
  /** The new container's ID. */
  id: string;
  /** Its late-result key (see `late-create.ts`). */
  key: string;
  /** The fingerprint of its request. */
  fp: string;
  /** Its pod's runtime handler. */
  handler: string;
  /** Its bundle (the rootfs is mounted at `<bundle>/rootfs`). */
  bundle: string;
  /** Its writable layer. */
  rwDir: string;
}

/** An unfinished change of an existing object. @public */
export interface ObjectIntent {
  /** The call. */
  op: "StartContainer" | "StopPodSandbox" | "RemovePodSandbox" | "RemoveContainer";
  /** The object's ID. */
  id: string;
}

/** What a call is about to change (see the file header). @public */
export type IntentRecord = SandboxCreateIntent | ContainerCreateIntent | ObjectIntent;

/** The order intents are handled in: creates first, removals last. */
const ORDER: readonly IntentRecord["op"][] = ["RunPodSandbox", "CreateContainer", "StartContainer", "StopPodSandbox", "RemoveContainer", "RemovePodSandbox"];

const keyOf = (i: Pick<IntentRecord, "op" | "id">): string => `${i.id}.${i.op}`;

/**
 * Writes the intent before the call acts. Only a create's intent is
 * durable: it names what the create leaves on disk before its record
 * exists (the sandbox or container directory, the writable layer, the CNI
 * attachment cache), which nothing else would find after a power loss.
 * The intent of a change to an existing object (a start, a stop, a
 * removal) only has to outlive a crash of the daemon, and the kernel keeps
 * the file for that: after a power loss no process, mount or pinned
 * namespace is left for it to be about, the object's record alone is
 * recovered, and the kubelet repeats the stop or removal (each is
 * idempotent) or starts the container again. Those calls so make one
 * durable write each, the record's.
 */
export async function recordIntent(c: ServiceContext, intent: IntentRecord): Promise<void> {
  const durable = intent.op === "RunPodSandbox" || intent.op === "CreateContainer";
  await c.records.intents?.put(keyOf(intent), intent, durable ? undefined : { durable: false });
}

/**
 * Forgets an intent once the call's result is recorded. The unlink is not
 * fsync'd: a process crash keeps it; a power loss may not, and the object
 * is then parked for a retry, or its finished change redone (both safe).
 */
export async function clearIntent(c: ServiceContext, intent: Pick<IntentRecord, "op" | "id">): Promise<void> {
  await c.records.intents?.delete(keyOf(intent));
}

/** Runs `fn` under an intent: written before, cleared after success (kept on failure, where the call's own rollback or a retry finishes). */
export async function withIntent<T>(c: ServiceContext, intent: ObjectIntent, fn: () => Promise<T>): Promise<T> {
  await recordIntent(c, intent);
  const out = await fn();
  await clearIntent(c, intent);
  return out;
}

/**
 * Runs a create's steps under its intent: written before the first step
 * (and forgotten again by the create's rollback), the `<op>.after-intent`
 * crash point, the steps, and the intent cleared once they succeeded.
 */
export async function createUnderIntent<T>(c: ServiceContext, intent: SandboxCreateIntent | ContainerCreateIntent, undo: Undo, steps: () => Promise<T>): Promise<T> {
  await recordIntent(c, intent);
  undo.push("forget intent", () => clearIntent(c, intent));
  crashPoint(intent.op === "RunPodSandbox" ? "RunPodSandbox.after-intent" : "CreateContainer.after-intent");
  const out = await steps();
  await clearIntent(c, intent);
  return out;
}

async function undoSandboxCreate(c: ServiceContext, i: SandboxCreateIntent, signal: AbortSignal): Promise<void> {
  const h = handlerOf(c, i.handler);
  const handle = { id: i.id, mode: i.mode, dir: i.dir, namespaces: { ipc: "", uts: "" } };
  await Promise.all([
    i.netnsName === "" ? undefined : c.network.tearDownPod({ id: i.id }, { signal }),
    (async () => {
      await h.sandboxes.stop(handle, { signal }).catch(() => undefined);
      await unmountPodShm(join(i.dir, "shm"), { signal });
      await h.sandboxes.remove(handle, { signal });
    })(),
  ]);
  if (i.netnsName !== "") await c.network.removeNetns(i.netnsName, { signal });
  await rm(i.dir, { recursive: true, force: true });
  await c.records.sandboxes.delete(i.id);
}

async function undoContainerCreate(c: ServiceContext, i: ContainerCreateIntent, signal: AbortSignal): Promise<void> {
  await handlerOf(c, i.handler).runtime.remove(i.id, { timeoutMs: 0 }, { signal });
  await c.images.unmountRootfs(join(i.bundle, "rootfs"), { signal });
  await rm(i.bundle, { recursive: true, force: true });
  await rm(i.rwDir, { recursive: true, force: true });
  await c.records.containers.delete(i.id);
}

/** What a create intent's handling did, once `work` is done: for the log. */
async function outcome(work: Promise<unknown>, what: "undone" | "parked"): Promise<string> {
  await work;
  return what === "undone" ? "undone" : "recorded but never answered: kept for the retry";
}

/** Handles one intent (see the file header); returns what was done, for the log. */
async function resolve(c: ServiceContext, i: IntentRecord, signal: AbortSignal): Promise<string> {
  switch (i.op) {
    case "RunPodSandbox":
      if (!c.sandboxes.has(i.id)) return outcome(undoSandboxCreate(c, i, signal), "undone");
      c.sandboxes.update(i.id, (s) => ({ ...s, parked: { key: i.key, fp: i.fp } }));
      return outcome(saveSandbox(c, i.id), "parked");
    case "CreateContainer":
      if (!c.containers.has(i.id)) return outcome(undoContainerCreate(c, i, signal), "undone");
      c.containers.update(i.id, (s) => ({ ...s, parked: { key: i.key, fp: i.fp } }));
      return outcome(saveContainer(c, i.id), "parked");
    case "StartContainer": {
      const r = c.containers.find(i.id);
      if (r !== undefined && r.id === i.id && r.status.awaitingRuntime === true && r.metadata.runtime !== undefined) {
        // Whatever a create cut short left in the runtime (it reported no container) goes, so the retry creates it afresh.
        await handlerOf(c, r.metadata.runtime.handler).runtime.remove(i.id, { timeoutMs: 0 }, { signal });
        return "not created in the runtime: the retry creates and starts it";
      }
      if (r === undefined || r.id !== i.id || r.status.startedAt === 0n) return "not started: the retry starts it";
      c.unansweredStarts.add(i.id);
      return "started but never answered: the retry succeeds";
    }
    case "StopPodSandbox":
      if (c.sandboxes.has(i.id)) await stopSandboxNow(c, i.id, signal);
      return "finished";
    case "RemovePodSandbox":
      if (c.sandboxes.has(i.id)) await removeSandboxNow(c, i.id, signal);
      return "finished";
    case "RemoveContainer":
      if (c.containers.has(i.id)) await removeContainerNow(c, i.id, signal);
      return "finished";
  }
}

/** Finishes or undoes every intent left by a crash (see the file header). */
export async function resolveIntents(c: ServiceContext, store: RecordStore<IntentRecord>): Promise<void> {
  const all = [...(await store.loadAll((id, err) => c.log.warn({ id, err: errMessage(err) }, "unreadable intent skipped"))).entries()];
  all.sort(([, a], [, b]) => ORDER.indexOf(a.op) - ORDER.indexOf(b.op));
  for (const [key, i] of all) {
    try {
      const done = await resolve(c, i, AbortSignal.timeout(c.rollbackTimeoutMs));
      await store.delete(key);
      c.log.warn({ id: i.id, op: i.op, done }, "a call interrupted by a crash");
    } catch (err) {
      c.log.error({ id: i.id, op: i.op, err: errMessage(err) }, "cannot finish or undo an interrupted call; kept for the next start");
    }
  }
}
