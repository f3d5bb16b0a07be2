/**
 * PodSandboxStatus (verbose info in containerd's shape), ListPodSandbox,
 * StreamPodSandboxes and UpdatePodSandboxResources.
 *
 * @packageDocumentation
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { toJson, type JsonValue, type MessageInitShape } from "@bufbuild/protobuf";
import {
  LinuxContainerResourcesSchema,
  PodSandboxConfigSchema,
  type ListPodSandboxRequest,
  type ListPodSandboxResponseSchema,
  type PodSandboxConfig,
  type PodSandboxSchema,
  type PodSandboxStatusRequest,
  type PodSandboxStatusResponseSchema,
  type StreamPodSandboxesRequest,
  type StreamPodSandboxesResponseSchema,
  type UpdatePodSandboxResourcesRequest,
  type UpdatePodSandboxResourcesResponseSchema,
} from "../cri.js";
import { invalidArgument } from "../errors.js";
import { OCI_VERSION } from "../spec/index.js";
import { sandboxState, type SandboxRecord } from "../stores/index.js";
import { sandboxMatches } from "./cri-convert.js";
import { criSandbox, podContainerStatuses, sandboxStatusOf } from "./object-status.js";
import { saveSandbox } from "./record-codec.js";
import { checkReady, findSandbox, visible, type CallContext, type ServiceContext } from "./service-context.js";
import { chunks } from "./undo.js";

/**
 * The OCI spec of a pod for verbose PodSandboxStatus: the infra
 * container's `config.json`; an infra-less pod runs no process, so its
 * spec holds only what its containers join (namespaces by path, hostname,
 * sysctls) and no `process` or `cgroupsPath`.
 */
async function podRuntimeSpec(r: SandboxRecord): Promise<unknown> {
  const x = r.metadata.runtime;
  if (x === undefined) return null;
  if (x.mode === "infra") {
    try {
      return JSON.parse(await readFile(join(x.handle.dir, "infra", "config.json"), "utf8"));
    } catch {
      return null;
    }
  }
  const cfg = r.metadata.config;
  const ns = x.handle.namespaces;
  const sysctls = cfg.linux?.sysctls ?? {};
  return {
    ociVersion: OCI_VERSION,
    ...(x.hostNetwork ? {} : { hostname: cfg.hostname || (cfg.metadata?.name ?? "") }),
    linux: {
      namespaces: [
        ...(ns.network !== undefined ? [{ type: "network", path: ns.network }] : []),
        ...(ns.ipc !== "" ? [{ type: "ipc", path: ns.ipc }] : []),
        ...(ns.uts !== "" ? [{ type: "uts", path: ns.uts }] : []),
      ],
      ...(Object.keys(sysctls).length > 0 ? { sysctl: { ...sysctls } } : {}),
    },
  };
}

/** The verbose info: containerd's keys (what `crictl inspectp` users parse), then crikit's own. */
async function verboseInfo(c: ServiceContext, r: SandboxRecord): Promise<string> {
  const x = r.metadata.runtime;
  const h = x ? c.handlers.get(x.handler) : undefined;
  return JSON.stringify({
    pid: r.status.pid,
    processStatus: sandboxState(r.status) === "READY" ? "running" : "stopped",
    netNamespaceClosed: x !== undefined && !x.hostNetwork && r.status.networkDown === true,
    netNamespacePath: x?.netnsPath ?? "",
    image: x?.mode === "infra" ? c.config.pause_binary : "",
    snapshotKey: "",
    snapshotter: "",
    runtimeHandler: x?.handler ?? "",
    runtimeType: h?.type ?? "",
    runtimeOptions: h && Object.keys(h.options).length > 0 ? h.options : null,
    config: toJson(PodSandboxConfigSchema, r.metadata.config as PodSandboxConfig, { useProtoFieldName: true }),
    runtimeSpec: await podRuntimeSpec(r),
    sandboxMode: x?.mode ?? "",
    namespaces: x?.handle.namespaces ?? {},
    hostNetwork: x?.hostNetwork ?? false,
    shmPath: x?.files.shmPath ?? "",
    podResources: r.status.podResources ?? null,
  });
}

/** PodSandboxStatus, with `info` (JSON) when verbose, and the containers' statuses. */
export async function podSandboxStatus(c: ServiceContext, req: PodSandboxStatusRequest, _call?: CallContext): Promise<MessageInitShape<typeof PodSandboxStatusResponseSchema>> {
  const r = findSandbox(c, req.podSandboxId);
  const info: Record<string, string> = req.verbose ? { info: await verboseInfo(c, r) } : {};
  return { status: sandboxStatusOf(c, r), info, containersStatuses: podContainerStatuses(c, r.id), timestamp: c.clock.nowNs() };
}

function listSandboxes(c: ServiceContext, filter: ListPodSandboxRequest["filter"]): Array<MessageInitShape<typeof PodSandboxSchema>> {
  checkReady(c);
  const f = filter ? { id: filter.id, state: filter.state?.state, labelSelector: filter.labelSelector } : undefined;
  return c.sandboxes.list((r) => visible(r) && sandboxMatches(r, f)).map((r) => criSandbox(r));
}

/** ListPodSandbox with the filter (ID prefix, state, labels). */
export function listPodSandbox(c: ServiceContext, req: ListPodSandboxRequest, _call?: CallContext): MessageInitShape<typeof ListPodSandboxResponseSchema> {
  return { items: listSandboxes(c, req.filter) };
}

/** StreamPodSandboxes: ListPodSandbox in chunks of at most 500 items (none for an empty list). */
export async function* streamPodSandboxes(c: ServiceContext, req: StreamPodSandboxesRequest, _call?: CallContext): AsyncGenerator<MessageInitShape<typeof StreamPodSandboxesResponseSchema>> {
  for (const chunk of chunks(listSandboxes(c, req.filter))) yield { podSandboxes: chunk };
}

/**
 * UpdatePodSandboxResources: the kubelet has already resized the pod cgroup
 * when it calls this (the CRI says so), and no process of crikit's own
 * limits a pod: the pod's new size is recorded with the sandbox, persisted,
 * and reported in PodSandboxStatus's verbose info, where a runtime that
 * does own pod-level resources (a VM, say) picks it up.
 */
export async function updatePodSandboxResources(c: ServiceContext, req: UpdatePodSandboxResourcesRequest, _call?: CallContext): Promise<MessageInitShape<typeof UpdatePodSandboxResourcesResponseSchema>> {
  const r = findSandbox(c, req.podSandboxId);
  if (req.overhead === undefined && req.resources === undefined) throw invalidArgument("overhead and resources are both missing", "resources");
  if (r.metadata.runtime !== undefined) {
    const json = (v: typeof req.resources): JsonValue | undefined => (v === undefined ? undefined : (toJson(LinuxContainerResourcesSchema, v) as JsonValue));
    const overhead = json(req.overhead);
    const resources = json(req.resources);
    const podResources = { ...(overhead !== undefined ? { overhead } : {}), ...(resources !== undefined ? { resources } : {}), updatedAt: new Date().toISOString() };
    c.sandboxes.update(r.id, (s) => ({ ...s, podResources }));
    await saveSandbox(c, r.id);
  }
  c.log.info({ id: r.id }, "pod resources recorded");
  return {};
}
