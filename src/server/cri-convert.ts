/**
 * Pure conversions between the service's stored objects and CRI messages,
 * and the list filters (ID prefix, state, label selector) of ListPodSandbox,
 * ListContainers and their Stream forms.
 *
 * Label selectors are ANDed exact matches, as the CRI defines them. An ID
 * filter matches a full ID or a prefix of one (crictl sends prefixes).
 *
 * @packageDocumentation
 */
import { constants as osConstants } from "node:os";
import type { MessageInitShape } from "@bufbuild/protobuf";
import {
  ContainerState,
  PodSandboxState,
  Signal,
  type ContainerStatusSchema,
  type ImageSchema,
} from "../cri.js";
import type { ContainerRecord, SandboxRecord } from "../stores/index.js";
import { containerState, sandboxState } from "../stores/index.js";
import type { ImageRecord } from "../image/index.js";
import { isImageIdReference, normalizeReference } from "../reference/index.js";

/** True when every selector entry is present in `labels` with the same value. @public */
export function matchLabels(labels: Readonly<Record<string, string>>, selector: Readonly<Record<string, string>> | undefined): boolean {
  if (selector === undefined) return true;
  for (const [k, v] of Object.entries(selector)) if (labels[k] !== v) return false;
  return true;
}

/** The CRI sandbox state of a stored sandbox. @public */
export function criSandboxState(r: SandboxRecord): PodSandboxState {
  return sandboxState(r.status) === "READY" ? PodSandboxState.SANDBOX_READY : PodSandboxState.SANDBOX_NOTREADY;
}

/** The CRI container state of a stored container. @public */
export function criContainerState(r: ContainerRecord): ContainerState {
  switch (containerState(r.status)) {
    case "CREATED":
      return ContainerState.CONTAINER_CREATED;
    case "RUNNING":
      return ContainerState.CONTAINER_RUNNING;
    case "EXITED":
      return ContainerState.CONTAINER_EXITED;
    default:
      return ContainerState.CONTAINER_UNKNOWN;
  }
}

/** The signal name (`SIGTERM`) of a CRI `Signal` value, or undefined for RUNTIME_DEFAULT. @public */
export function signalName(sig: Signal): string | undefined {
  if (sig === Signal.RUNTIME_DEFAULT) return undefined;
  for (const [k, v] of Object.entries(Signal)) if (v === sig) return k;
  return undefined;
}

/** The CRI `Signal` value of a signal name (`SIGTERM`, `TERM`, or a number); RUNTIME_DEFAULT if unknown. @public */
export function signalValue(name: string): Signal {
  if (name === "") return Signal.RUNTIME_DEFAULT;
  const upper = name.toUpperCase();
  const key = upper.startsWith("SIG") ? upper : `SIG${upper}`;
  const v = (Signal as Record<string, Signal>)[key];
  if (v !== undefined) return v;
  if (/^\d+$/.test(name)) {
    // A signal number: the enum values are not signal numbers, so go through the name.
    const n = Number(name);
    const byNumber = Object.entries(osConstants.signals).find(([, v]) => v === n)?.[0];
    if (byNumber !== undefined) return (Signal as Record<string, Signal>)[byNumber] ?? Signal.RUNTIME_DEFAULT;
  }
  return Signal.RUNTIME_DEFAULT;
}

/** Filters of ListPodSandbox as plain values. @public */
export interface SandboxFilterInput {
  id?: string | undefined;
  state?: PodSandboxState | undefined;
  labelSelector?: Readonly<Record<string, string>> | undefined;
}

/** Whether an object's ID and labels pass a filter's ID prefix and label selector. */
function idAndLabelsMatch(r: SandboxRecord | ContainerRecord, f: { id?: string | undefined; labelSelector?: Readonly<Record<string, string>> | undefined }): boolean {
  return (!f.id || r.id.startsWith(f.id)) && matchLabels(r.metadata.config.labels, f.labelSelector);
}

/** Whether a stored sandbox passes a ListPodSandbox filter. @public */
export function sandboxMatches(r: SandboxRecord, f: SandboxFilterInput | undefined): boolean {
  return f === undefined || ((f.state === undefined || criSandboxState(r) === f.state) && idAndLabelsMatch(r, f));
}

/** Filters of ListContainers as plain values. @public */
export interface ContainerFilterInput {
  id?: string | undefined;
  podSandboxId?: string | undefined;
  state?: ContainerState | undefined;
  labelSelector?: Readonly<Record<string, string>> | undefined;
}

/** Whether a stored container passes a ListContainers filter. @public */
export function containerMatches(r: ContainerRecord, f: ContainerFilterInput | undefined): boolean {
  if (f === undefined) return true;
  if (f.podSandboxId && !r.metadata.sandboxId.startsWith(f.podSandboxId)) return false;
  return (f.state === undefined || criContainerState(r) === f.state) && idAndLabelsMatch(r, f);
}

/** Splits an image config `User` into a numeric uid or a user name, as CRI `Image.uid`/`username` want. @public */
export function imageUser(user: string): { uid?: bigint; username: string } {
  const u = user.split(":")[0] ?? "";
  if (u === "") return { username: "" };
  if (/^\d+$/.test(u)) return { uid: BigInt(u), username: "" };
  return { username: u };
}

/** A CRI `Image` for an image record. @public */
export function criImageOf(img: ImageRecord): MessageInitShape<typeof ImageSchema> {
  const user = imageUser(img.config.config?.User ?? "");
  return {
    id: img.id,
    repoTags: img.repoTags,
    repoDigests: img.repoDigests,
    size: BigInt(img.size),
    ...(user.uid !== undefined ? { uid: { value: user.uid } } : {}),
    username: user.username,
    spec: { image: img.id },
    pinned: img.pinned,
  };
}

/**
 * What ContainerStatus reports as a container's image, as containerd does
 * (the kubelet shows them as `containerStatuses[].image` and `.imageID`):
 * `image` is the image's name, a repo tag, even when the container was
 * created by image ID (as the kubelet creates them); `imageRef` is the
 * pullable repo digest (`registry/repo@sha256:...`), or the image ID when
 * the image has none. Where the image has several, the one the user named
 * (`user_specified_image`, else the request's image) wins, else the first.
 * An image with no tag is named by the request's reference, else by
 * `user_specified_image`, else by its ID.
 *
 * @public
 */
export function containerImageNames(
  requested: string,
  userSpecified: string,
  image: { id: string; repoTags: readonly string[]; repoDigests: readonly string[] },
): { image: string; imageRef: string } {
  const named: string[] = [];
  for (const ref of [userSpecified, requested]) {
    if (ref === "" || isImageIdReference(ref)) continue;
    try {
      named.push(normalizeReference(ref));
    } catch {
      // not a reference: nothing to prefer
    }
  }
  const pick = (list: readonly string[]): string | undefined => named.find((n) => list.includes(n)) ?? list[0];
  const fallback = requested !== "" && !isImageIdReference(requested) ? requested : userSpecified !== "" ? userSpecified : image.id;
  return { image: pick(image.repoTags) ?? fallback, imageRef: pick(image.repoDigests) ?? image.id };
}

/** Extra facts of a container the CRI status reports beyond the stored record. @public */
export interface ContainerStatusFacts {
  /** The image's name (ContainerStatus.image.image; see {@link containerImageNames}). */
  imageName: string;
  /** ContainerStatus.image_ref: the repo digest (see {@link containerImageNames}). @defaultValue the image ID */
  imageRef?: string | undefined;
  /** The log path reported (`""` when the container has none). */
  logPath: string;
  /** The stop signal used. */
  stopSignal: string;
  /** The process user (from the spec). */
  user?: { uid: number; gid: number; additionalGids: readonly number[] } | undefined;
}

/** A CRI `ContainerStatus` for a stored container. @public */
export function toCriContainerStatus(r: ContainerRecord, facts: ContainerStatusFacts): MessageInitShape<typeof ContainerStatusSchema> {
  const s = r.status;
  const cfg = r.metadata.config;
  return {
    id: r.id,
    ...(cfg.metadata ? { metadata: cfg.metadata } : {}),
    state: criContainerState(r),
    createdAt: s.createdAt,
    startedAt: s.startedAt,
    finishedAt: s.finishedAt,
    exitCode: s.exitCode,
    image: { image: facts.imageName, userSpecifiedImage: cfg.image?.userSpecifiedImage ?? "" },
    imageRef: facts.imageRef ?? r.metadata.imageRef,
    imageId: r.metadata.imageRef,
    reason: s.reason,
    message: s.message,
    labels: cfg.labels,
    annotations: cfg.annotations,
    mounts: cfg.mounts,
    logPath: facts.logPath,
    ...(s.resources ? { resources: s.resources } : {}),
    ...(facts.user
      ? { user: { linux: { uid: BigInt(facts.user.uid), gid: BigInt(facts.user.gid), supplementalGroups: facts.user.additionalGids.map((g) => BigInt(g)) } } }
      : {}),
    stopSignal: signalValue(facts.stopSignal),
  };
}
