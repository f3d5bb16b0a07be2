/**
 * Container labels: the image's labels, then the request's, then the
 * container-kind label (what containerd's CRI plugin stores as the
 * container's labels).
 *
 * @packageDocumentation
 */
import type { SpecLogger } from "./input.js";

/**
 * The default prefix of crikit's own labels; the kind label is
 * `<prefix>.kind`, so `io.cri-containerd.kind` by default, the key
 * containerd's CRI plugin uses, which tools such as `nerdctl` read.
 *
 * @public
 */
export const DEFAULT_LABEL_PREFIX = "io.cri-containerd";

/**
 * The largest key plus value size of one label, in UTF-8 bytes (containerd's
 * label limit).
 *
 * @public
 */
export const MAX_LABEL_BYTES = 4096;

/**
 * Options of {@link buildLabels}.
 *
 * @public
 */
export interface BuildLabelsOptions {
  /** Prefix of the kind label. @defaultValue "io.cri-containerd" */
  labelPrefix?: string;
  /** Warned about each skipped image label. @defaultValue silent */
  logger?: SpecLogger;
  /** Largest key plus value, bytes. @defaultValue 4096 */
  maxLabelBytes?: number;
}

/**
 * The kind of a CRI object: a pod sandbox or a container.
 *
 * @public
 */
export type ContainerKind = "sandbox" | "container";

const utf8 = new TextEncoder();

/**
 * Why a label is invalid, or `undefined` when it is valid: an empty key, or
 * key plus value longer than `maxBytes` UTF-8 bytes.
 *
 * @public
 */
export function labelError(key: string, value: string, maxBytes: number = MAX_LABEL_BYTES): string | undefined {
  if (key === "") return "label key is empty";
  const size = utf8.encode(key).length + utf8.encode(value).length;
  if (size > maxBytes) return `label key and value are ${size} bytes, more than ${maxBytes}`;
  return undefined;
}

/**
 * The labels of a container or sandbox: valid image labels, then the
 * request's labels overriding them, then the kind label
 * (`<prefix>.kind` = `sandbox` or `container`) set last so neither can
 * forge it. Invalid image labels are skipped with a warning; request labels
 * are taken as they are (the kubelet validates them).
 *
 * @example
 * ```ts
 * buildLabels({ app: "web" }, { maintainer: "x" }, "container");
 * // { maintainer: "x", app: "web", "io.cri-containerd.kind": "container" }
 * ```
 *
 * @public
 */
export function buildLabels(
  configLabels: Readonly<Record<string, string>> | undefined,
  imageLabels: Readonly<Record<string, string>> | undefined,
  kind: ContainerKind,
  options: BuildLabelsOptions = {},
): Record<string, string> {
  const max = options.maxLabelBytes ?? MAX_LABEL_BYTES;
  const labels: Record<string, string> = {};
  for (const [k, v] of Object.entries(imageLabels ?? {})) {
    const why = labelError(k, v, max);
    if (why === undefined) labels[k] = v;
    else options.logger?.warn({ key: k.slice(0, 64), reason: why }, "skipping invalid image label");
  }
  for (const [k, v] of Object.entries(configLabels ?? {})) labels[k] = v;
  labels[`${options.labelPrefix ?? DEFAULT_LABEL_PREFIX}.kind`] = kind;
  return labels;
}
