/**
 * Late results of creates (RunPodSandbox, CreateContainer): the work runs
 * under the server's own bounded signal, not the client's deadline. When
 * the client's signal has fired by the time the work is done, the object is
 * parked (its status says so, so it is hidden from List and Status and a
 * restart keeps it parked) under its name and a fingerprint of the request;
 * the kubelet's retry with the same request claims it and gets the same ID.
 * A retry that arrives while the first call still runs waits for it. A
 * changed request, or no retry within the TTL, removes the object.
 *
 * @packageDocumentation
 */
import { createHash } from "node:crypto";
import type { JsonValue } from "@bufbuild/protobuf";
import { ContainerEventType } from "../cri.js";
import { CrikitError } from "../errors.js";
import type { ParkedResult } from "../stores/index.js";
import type { LateResults } from "./late-results.js";
import { publish } from "./object-status.js";
import { saveContainer, saveSandbox } from "./record-codec.js";
import type { CallContext, ServiceContext } from "./service-context.js";

/** A stable JSON text (sorted keys) of a JSON value. */
function canonical(v: JsonValue): string {
  if (v === null || typeof v !== "object") return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(canonical).join(",")}]`;
  return `{${Object.keys(v)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, JsonValue>)[k] ?? null)}`)
    .join(",")}}`;
}

/** The fingerprint of a request (its protobuf JSON). */
export function fingerprint(v: JsonValue): string {
  return createHash("sha256").update(canonical(v)).digest("hex");
}

/** What a create needs: its late-result key and table, the work, and how to remove what it made. */
export interface LateCreate {
  key: string;
  fp: string;
  late: LateResults<string>;
  work: () => Promise<string>;
  cleanup: (id: string) => Promise<void>;
}

/** Join an identical create in flight, claim a late result, or run the work; park the result when the client's signal fired meanwhile. */
export async function claimOrCreate(c: ServiceContext, call: CallContext, l: LateCreate): Promise<string> {
  const running = c.inflight.get(l.key);
  if (running !== undefined && running.fp === l.fp) await running.done.catch(() => undefined);
  const claimed = await l.late.claim(l.key, l.fp);
  if (claimed !== undefined) {
    await setParked(c, claimed, undefined);
    c.log.info({ id: claimed, key: l.key }, "late result claimed by a retry");
    const ctr = c.containers.find(claimed);
    publish(c, claimed, ContainerEventType.CONTAINER_CREATED_EVENT, ctr?.metadata.sandboxId ?? claimed);
    if (ctr === undefined) publish(c, claimed, ContainerEventType.CONTAINER_STARTED_EVENT, claimed);
    return claimed;
  }
  const p = l.work();
  c.inflight.set(l.key, { fp: l.fp, done: p });
  let id: string;
  try {
    id = await p;
  } finally {
    if (c.inflight.get(l.key)?.done === p) c.inflight.delete(l.key);
  }
  if (call.signal?.aborted) {
    await park(c, l, id);
    c.log.warn({ id, key: l.key }, "create finished after the client's deadline; kept for its retry");
    throw new CrikitError("DeadlineExceeded", "the client's deadline passed; the result is kept for a retry of the same request");
  }
  return id;
}

/** Parks `id` (hidden until claimed; removed by `cleanup` when not claimed in time). */
export async function park(c: ServiceContext, l: Pick<LateCreate, "key" | "fp" | "late" | "cleanup">, id: string): Promise<void> {
  await setParked(c, id, { key: l.key, fp: l.fp });
  await l.late.park(l.key, l.fp, id, () => l.cleanup(id));
}

/** Records (or clears) the parked mark of a sandbox or container, in its status and record. */
async function setParked(c: ServiceContext, id: string, parked: ParkedResult | undefined): Promise<void> {
  if (c.sandboxes.has(id)) {
    c.sandboxes.update(id, (s) => ({ ...s, parked }));
    await saveSandbox(c, id);
  } else if (c.containers.has(id)) {
    c.containers.update(id, (s) => ({ ...s, parked }));
    await saveContainer(c, id);
  }
}
