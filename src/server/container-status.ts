/**
 * ContainerStatus (verbose info in containerd's shape), ListContainers and
 * StreamContainers.
 *
 * @packageDocumentation
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { toJson, type MessageInitShape } from "@bufbuild/protobuf";
import {
  ContainerConfigSchema,
  type ContainerConfig,
  type ContainerSchema,
  type ContainerStatusRequest,
  type ContainerStatusResponseSchema,
  type ListContainersRequest,
  type ListContainersResponseSchema,
  type StreamContainersRequest,
  type StreamContainersResponseSchema,
} from "../cri.js";
import type { ContainerRecord } from "../stores/index.js";
import { containerMatches } from "./cri-convert.js";
import { containerStatusOf, criContainer } from "./object-status.js";
import { checkReady, findContainer, visible, type CallContext, type ServiceContext } from "./service-context.js";
import { chunks } from "./undo.js";

/** The verbose info: containerd's keys (what `crictl inspect` users parse), then crikit's own. */
async function verboseInfo(c: ServiceContext, r: ContainerRecord): Promise<string> {
  const x = r.metadata.runtime;
  let runtimeSpec: unknown;
  try {
    runtimeSpec = x ? JSON.parse(await readFile(join(x.bundle, "config.json"), "utf8")) : undefined;
  } catch {
    runtimeSpec = undefined;
  }
  const h = x ? c.handlers.get(x.handler) : undefined;
  return JSON.stringify({
    sandboxID: r.metadata.sandboxId,
    pid: r.status.pid,
    removing: r.status.removing,
    snapshotKey: r.id,
    snapshotter: "overlayfs",
    runtimeType: h?.type ?? "",
    runtimeOptions: h && Object.keys(h.options).length > 0 ? h.options : null,
    config: toJson(ContainerConfigSchema, r.metadata.config as ContainerConfig, { useProtoFieldName: true }),
    runtimeSpec: runtimeSpec ?? null,
    runtimeHandler: x?.handler ?? "",
    bundle: x?.bundle ?? "",
    logFile: x?.logFile ?? "",
    rootfs: x ? join(x.bundle, "rootfs") : "",
    writableLayer: x ? join(x.rwDir, "upper") : "",
  });
}

/** ContainerStatus, with `info` (JSON) when verbose. */
export async function containerStatus(c: ServiceContext, req: ContainerStatusRequest, _call?: CallContext): Promise<MessageInitShape<typeof ContainerStatusResponseSchema>> {
  const r = findContainer(c, req.containerId);
  const info: Record<string, string> = req.verbose ? { info: await verboseInfo(c, r) } : {};
  return { status: containerStatusOf(r), info };
}

function listContainersOf(c: ServiceContext, filter: ListContainersRequest["filter"]): Array<MessageInitShape<typeof ContainerSchema>> {
  checkReady(c);
  const f = filter ? { id: filter.id, podSandboxId: filter.podSandboxId, state: filter.state?.state, labelSelector: filter.labelSelector } : undefined;
  const src = f?.podSandboxId && c.sandboxes.has(f.podSandboxId) ? c.containers.listBySandbox(f.podSandboxId) : c.containers.list();
  return src.filter((r) => visible(r) && containerMatches(r, f)).map((r) => criContainer(r));
}

/** ListContainers with the filter (ID prefix, sandbox ID, state, labels). */
export function listContainers(c: ServiceContext, req: ListContainersRequest, _call?: CallContext): MessageInitShape<typeof ListContainersResponseSchema> {
  return { containers: listContainersOf(c, req.filter) };
}

/** StreamContainers: ListContainers in chunks. */
export async function* streamContainers(c: ServiceContext, req: StreamContainersRequest, _call?: CallContext): AsyncGenerator<MessageInitShape<typeof StreamContainersResponseSchema>> {
  for (const chunk of chunks(listContainersOf(c, req.filter))) yield { containers: chunk };
}
