/**
 * ContainerStats, ListContainerStats, StreamContainerStats, PodSandboxStats,
 * ListPodSandboxStats and StreamPodSandboxStats: the stores' objects as
 * the stats collector's subjects (see `src/stats`).
 *
 * @packageDocumentation
 */
import { join } from "node:path";
import type { MessageInitShape } from "@bufbuild/protobuf";
import type {
  ContainerStatsRequest,
  ContainerStatsResponseSchema,
  ListContainerStatsRequest,
  ListContainerStatsResponseSchema,
  ListPodSandboxStatsRequest,
  ListPodSandboxStatsResponseSchema,
  PodSandboxStatsRequest,
  PodSandboxStatsResponseSchema,
  StreamContainerStatsRequest,
  StreamContainerStatsResponseSchema,
  StreamPodSandboxStatsRequest,
  StreamPodSandboxStatsResponseSchema,
} from "../cri.js";
import { podCgroupPath, type ContainerStatsSubject, type PodStatsSubject } from "../stats/index.js";
import { containerState, sandboxState, type ContainerRecord, type SandboxRecord } from "../stores/index.js";
import { containerMatches, sandboxMatches } from "./cri-convert.js";
import { checkReady, findContainer, findSandbox, visible, type CallContext, type ServiceContext } from "./service-context.js";
import { chunks } from "./undo.js";

function attributes(r: ContainerRecord | SandboxRecord) {
  const cfg = r.metadata.config;
  return { id: r.id, ...(cfg.metadata ? { metadata: cfg.metadata } : {}), labels: cfg.labels, annotations: cfg.annotations };
}

/** What the stats collector needs of a container. */
function containerSubject(r: ContainerRecord): ContainerStatsSubject {
  const x = r.metadata.runtime;
  const state = containerState(r.status);
  // The init process exists from create (waiting to start) until exit.
  const live = (state === "RUNNING" || state === "CREATED") && r.status.pid > 0;
  return {
    id: r.id,
    attributes: attributes(r) as ContainerStatsSubject["attributes"],
    ...(live ? { pid: r.status.pid } : {}),
    ...(x !== undefined ? { writableLayerDir: join(x.rwDir, "upper") } : {}),
  };
}

/** What the stats collector needs of a pod. */
export function podSubject(c: ServiceContext, r: SandboxRecord): PodStatsSubject {
  const x = r.metadata.runtime;
  const ready = sandboxState(r.status) === "READY";
  const driver = (x && c.handlers.get(x.handler)?.cgroupDriver) ?? c.config.cgroup_driver;
  const cgroupPath = podCgroupPath(driver, r.metadata.config.linux?.cgroupParent ?? "");
  return {
    id: r.id,
    attributes: attributes(r) as PodStatsSubject["attributes"],
    ready,
    ...(cgroupPath !== undefined ? { cgroupPath } : {}),
    podPids: ready && x?.mode === "infra" && r.status.pid > 0 ? [r.status.pid] : [],
    ownNetwork: x !== undefined && !x.hostNetwork,
    containers: c.containers.listBySandbox(r.id).filter(visible).map(containerSubject),
  };
}

function statsContainers(c: ServiceContext, filter: ListContainerStatsRequest["filter"]): readonly ContainerRecord[] {
  checkReady(c);
  const f = filter ? { id: filter.id, podSandboxId: filter.podSandboxId, labelSelector: filter.labelSelector } : undefined;
  return c.containers.list((r) => visible(r) && containerMatches(r, f));
}

export function statsSandboxes(c: ServiceContext, filter: ListPodSandboxStatsRequest["filter"]): readonly SandboxRecord[] {
  checkReady(c);
  const f = filter ? { id: filter.id, labelSelector: filter.labelSelector } : undefined;
  return c.sandboxes.list((r) => visible(r) && sandboxMatches(r, f));
}

/** ContainerStats: attributes and writable layer always; cpu, memory and swap while the container's process runs. */
export async function containerStats(c: ServiceContext, req: ContainerStatsRequest, _call?: CallContext): Promise<MessageInitShape<typeof ContainerStatsResponseSchema>> {
  return { stats: await c.stats.containerStats(containerSubject(findContainer(c, req.containerId))) };
}

/** ListContainerStats with the filter (ID prefix, sandbox ID prefix, labels). */
export async function listContainerStats(c: ServiceContext, req: ListContainerStatsRequest, _call?: CallContext): Promise<MessageInitShape<typeof ListContainerStatsResponseSchema>> {
  return { stats: await c.stats.listContainerStats(statsContainers(c, req.filter).map(containerSubject)) };
}

/** StreamContainerStats: ListContainerStats in chunks. */
export async function* streamContainerStats(c: ServiceContext, req: StreamContainerStatsRequest, _call?: CallContext): AsyncGenerator<MessageInitShape<typeof StreamContainerStatsResponseSchema>> {
  for (const chunk of chunks(statsContainers(c, req.filter))) yield { containerStats: await c.stats.listContainerStats(chunk.map(containerSubject)) };
}

/** PodSandboxStats: for a ready pod cpu, memory, process count and network; its containers' stats. */
export async function podSandboxStats(c: ServiceContext, req: PodSandboxStatsRequest, _call?: CallContext): Promise<MessageInitShape<typeof PodSandboxStatsResponseSchema>> {
  return { stats: await c.stats.podStats(podSubject(c, findSandbox(c, req.podSandboxId))) };
}

/** ListPodSandboxStats with the filter (ID prefix, labels). */
export async function listPodSandboxStats(c: ServiceContext, req: ListPodSandboxStatsRequest, _call?: CallContext): Promise<MessageInitShape<typeof ListPodSandboxStatsResponseSchema>> {
  return { stats: await c.stats.listPodStats(statsSandboxes(c, req.filter).map((r) => podSubject(c, r))) };
}

/** StreamPodSandboxStats: ListPodSandboxStats in chunks. */
export async function* streamPodSandboxStats(c: ServiceContext, req: StreamPodSandboxStatsRequest, _call?: CallContext): AsyncGenerator<MessageInitShape<typeof StreamPodSandboxStatsResponseSchema>> {
  for (const chunk of chunks(statsSandboxes(c, req.filter))) yield { podSandboxStats: await c.stats.listPodStats(chunk.map((r) => podSubject(c, r))) };
}
