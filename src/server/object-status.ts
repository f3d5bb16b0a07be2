/**
 * The CRI view of stored objects: statuses, list elements, and the events
 * that carry them (GetContainerEvents, evented PLEG).
 *
 * @packageDocumentation
 */
import type { MessageInitShape } from "@bufbuild/protobuf";
import { NamespaceMode, type ContainerEventType, type ContainerSchema, type ContainerStatusSchema, type PodSandboxSchema, type PodSandboxStatusSchema } from "../cri.js";
import { deepFreeze, type ContainerRecord, type SandboxRecord } from "../stores/index.js";
import { criContainerState, criSandboxState, toCriContainerStatus } from "./cri-convert.js";
import { visible, type ServiceContext } from "./service-context.js";

/** ContainerStatus of a stored container. */
export function containerStatusOf(r: ContainerRecord): MessageInitShape<typeof ContainerStatusSchema> {
  const x = r.metadata.runtime;
  return toCriContainerStatus(r, {
    imageName: x?.imageName ?? r.metadata.config.image?.image ?? "",
    imageRef: x?.imageRepoDigest,
    logPath: r.metadata.logPath,
    stopSignal: x?.stopSignal ?? "SIGTERM",
    user: x?.user ? { ...x.user, additionalGids: [...x.user.additionalGids] } : undefined,
  });
}

/** PodSandboxStatus of a stored sandbox. */
export function sandboxStatusOf(c: ServiceContext, r: SandboxRecord): MessageInitShape<typeof PodSandboxStatusSchema> {
  const x = r.metadata.runtime;
  const ns = r.metadata.config.linux?.securityContext?.namespaceOptions;
  // Once the pod's network is torn down its addresses are back in the pool:
  // report none, as containerd does for a closed netns.
  const released = x !== undefined && r.status.networkDown === true && !x.hostNetwork;
  const ip = released ? "" : r.status.ip;
  const ips = ip !== "" ? r.status.additionalIps : [];
  return {
    id: r.id,
    ...(r.metadata.config.metadata ? { metadata: r.metadata.config.metadata } : {}),
    state: criSandboxState(r),
    createdAt: r.status.createdAt,
    network: { ip, additionalIps: ips.map((a) => ({ ip: a })) },
    linux: {
      namespaces: {
        options: {
          network: ns?.network ?? NamespaceMode.POD,
          pid: ns?.pid ?? NamespaceMode.POD,
          ipc: ns?.ipc ?? NamespaceMode.POD,
          targetId: ns?.targetId ?? "",
          ...(ns?.usernsOptions ? { usernsOptions: ns.usernsOptions } : {}),
        },
      },
    },
    labels: r.metadata.config.labels,
    annotations: r.metadata.config.annotations,
    runtimeHandler: r.metadata.runtimeHandler || (x?.handler === c.config.default_runtime ? "" : (x?.handler ?? "")),
  };
}

/** The visible containers of a pod, as ContainerStatus. */
export function podContainerStatuses(c: ServiceContext, sandboxId: string): Array<MessageInitShape<typeof ContainerStatusSchema>> {
  return c.containers
    .listBySandbox(sandboxId)
    .filter(visible)
    .map((r) => containerStatusOf(r));
}

/** Publishes a container event (a pod's own events carry its ID as the container's); nothing for hidden objects. */
export function publish(c: ServiceContext, containerId: string, type: ContainerEventType, sandboxId: string): void {
  const ctr = c.containers.find(containerId);
  const sb = c.sandboxes.find(sandboxId);
  if ((ctr !== undefined && ctr.id === containerId && !visible(ctr)) || (sb !== undefined && !visible(sb))) return;
  c.events.publish({
    containerId,
    containerEventType: type,
    createdAt: c.clock.nowNs(),
    ...(sb ? { podSandboxStatus: sandboxStatusOf(c, sb) } : {}),
    containersStatuses: podContainerStatuses(c, sandboxId),
  });
}

/** Frozen list elements by store record (records are replaced on every change). */
const listElements = new WeakMap<object, object>();

/** The frozen element `build` makes for store record `r`, made once per record version, so the transport can reuse its encoding. */
function listElement<T extends object>(r: object, build: () => T): T {
  let el = listElements.get(r) as T | undefined;
  if (el === undefined) {
    el = deepFreeze(build());
    listElements.set(r, el);
  }
  return el;
}

/** The ListPodSandbox element of a sandbox. */
export function criSandbox(r: SandboxRecord): MessageInitShape<typeof PodSandboxSchema> {
  return listElement(r, () => ({
    id: r.id,
    ...(r.metadata.config.metadata ? { metadata: r.metadata.config.metadata } : {}),
    state: criSandboxState(r),
    createdAt: r.status.createdAt,
    labels: r.metadata.config.labels,
    annotations: r.metadata.config.annotations,
    runtimeHandler: r.metadata.runtimeHandler,
  }));
}

/** The ListContainers element of a container: the image as requested, image_ref the ID (containerd's list; the kubelet's image GC compares it with image IDs). */
export function criContainer(r: ContainerRecord): MessageInitShape<typeof ContainerSchema> {
  return listElement(r, () => ({
    id: r.id,
    podSandboxId: r.metadata.sandboxId,
    ...(r.metadata.config.metadata ? { metadata: r.metadata.config.metadata } : {}),
    image: { image: r.metadata.config.image?.image ?? "" },
    imageRef: r.metadata.imageRef,
    imageId: r.metadata.imageRef,
    state: criContainerState(r),
    createdAt: r.status.createdAt,
    labels: r.metadata.config.labels,
    annotations: r.metadata.config.annotations,
  }));
}
