/**
 * Names of pod sandboxes and containers, built from CRI metadata.
 *
 * A name is the runtime-wide unique key that the registrar reserves while an
 * object is created, so that two concurrent RunPodSandbox or CreateContainer
 * requests for the same pod or container attempt cannot both succeed.
 *
 * ## Format
 *
 * Fields are joined with `_`, in this order:
 *
 * ```text
 * sandbox:    <name>_<namespace>_<uid>_<attempt>
 * container:  <container name>_<pod name>_<pod namespace>_<pod uid>_<container attempt>
 * ```
 *
 * `attempt` is written in decimal with no leading zeros (a uint32 in CRI).
 *
 * This is the order containerd's CRI plugin uses. CRI-O uses the same fields
 * behind a `k8s_` prefix (and `POD` in the container-name slot for the infra
 * container), because its names also become container names in
 * containers/storage that other tools list. Our names are internal keys only,
 * so we take containerd's shorter form.
 *
 * ## Underscores
 *
 * `_` is the separator, so a field that contains one makes the name ambiguous:
 * pod `a_b` in namespace `c` and pod `a` in namespace `b_c` would both become
 * `a_b_c_...`, and the second pod would be refused as a duplicate of the
 * first (or, on recovery, parsed into the wrong fields). Kubernetes never
 * sends `_` in these fields (pod and container names are DNS-1123 names,
 * namespaces DNS-1123 labels, uids UUIDs), so only a hand-written CRI client
 * can. containerd and CRI-O accept such names and live with the ambiguity;
 * we refuse them instead: every `make*` and `parse*` function throws
 * `InvalidArgument` naming the field that contains `_`. In exchange,
 * `parse*(make*(m))` gives back `m`, and `make*(parse*(s))` gives back `s`
 * for every name the parsers accept.
 *
 * @packageDocumentation
 */
import { invalidArgument } from "../errors.js";

/**
 * The fields of a CRI `PodSandboxMetadata` that a sandbox name is built from.
 * A generated `PodSandboxMetadata` message fits this shape.
 *
 * @public
 */
export interface SandboxNameMetadata {
  /** Pod name. Required. */
  readonly name: string;
  /** Pod UID. Required. */
  readonly uid: string;
  /** Pod namespace. Required. */
  readonly namespace: string;
  /** Sandbox attempt number (uint32). */
  readonly attempt: number;
}

/**
 * The fields of a CRI `ContainerMetadata` that a container name is built from.
 * A generated `ContainerMetadata` message fits this shape.
 *
 * @public
 */
export interface ContainerNameMetadata {
  /** Container name. Required. */
  readonly name: string;
  /** Container attempt number (uint32). */
  readonly attempt: number;
}

/**
 * A container name taken apart by {@link parseContainerName}.
 *
 * @public
 */
export interface ParsedContainerName {
  /** The container's own name and attempt. */
  readonly container: ContainerNameMetadata;
  /** The pod's name, namespace and uid (a container name carries no sandbox attempt). */
  readonly sandbox: Omit<SandboxNameMetadata, "attempt">;
}

/** The separator between name fields. */
const SEP = "_";
const MAX_ATTEMPT = 0xffff_ffff;
const CANONICAL_UINT = /^(0|[1-9][0-9]*)$/;

function checkText(value: unknown, field: string, what: string): string {
  if (typeof value !== "string" || value === "") {
    throw invalidArgument(`${what} ${field} is empty`, field);
  }
  if (value.includes(SEP)) {
    throw invalidArgument(`${what} ${field} ${JSON.stringify(value)} contains "_", which separates name fields`, field);
  }
  const control = /[\u0000-\u001f\u007f]/.exec(value);
  if (control !== null) {
    const code = `U+${control[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, "0")}`;
    throw invalidArgument(`${what} ${field} ${JSON.stringify(value)} contains the control character ${code}; names are printable text`, field);
  }
  return value;
}

function checkAttempt(value: unknown, field: string, what: string): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < 0 || value > MAX_ATTEMPT) {
    throw invalidArgument(`${what} ${field} must be an integer from 0 to ${MAX_ATTEMPT}, got ${String(value)}`, field);
  }
  return value;
}

function parseAttempt(text: string, field: string, what: string): number {
  if (!CANONICAL_UINT.test(text)) {
    throw invalidArgument(`${what} ${field} ${JSON.stringify(text)} is not a decimal number without leading zeros`, field);
  }
  return checkAttempt(Number(text), field, what);
}

const SANDBOX = "sandbox config";
const CONTAINER = "container config";

/**
 * Checks the metadata of a pod sandbox: `name`, `namespace` and `uid` must be
 * non-empty, free of `_` and of control characters (a NUL byte included), and `attempt` a uint32.
 *
 * @throws `InvalidArgument` naming the field, for instance
 *   `sandbox config metadata.name is empty` (details.field is `metadata.name`).
 * @public
 */
export function validateSandboxMetadata(meta: SandboxNameMetadata | undefined): void {
  if (meta === undefined || meta === null) throw invalidArgument(`${SANDBOX} metadata is missing`, "metadata");
  checkText(meta.name, "metadata.name", SANDBOX);
  checkText(meta.namespace, "metadata.namespace", SANDBOX);
  checkText(meta.uid, "metadata.uid", SANDBOX);
  checkAttempt(meta.attempt, "metadata.attempt", SANDBOX);
}

/**
 * Checks the metadata of a container: `name` must be non-empty, free of `_`
 * and of control characters, and `attempt` a uint32.
 *
 * @throws `InvalidArgument` naming the field, for instance
 *   `container config metadata.name is empty`.
 * @public
 */
export function validateContainerMetadata(meta: ContainerNameMetadata | undefined): void {
  if (meta === undefined || meta === null) throw invalidArgument(`${CONTAINER} metadata is missing`, "metadata");
  checkText(meta.name, "metadata.name", CONTAINER);
  checkAttempt(meta.attempt, "metadata.attempt", CONTAINER);
}

/**
 * The unique name of a pod sandbox: `name_namespace_uid_attempt`.
 *
 * @example
 * ```ts
 * makeSandboxName({ name: "web", namespace: "default", uid: "8d1f", attempt: 0 });
 * // "web_default_8d1f_0"
 * ```
 * @throws `InvalidArgument` as {@link validateSandboxMetadata} does.
 * @public
 */
export function makeSandboxName(meta: SandboxNameMetadata): string {
  validateSandboxMetadata(meta);
  return [meta.name, meta.namespace, meta.uid, String(meta.attempt)].join(SEP);
}

/**
 * The unique name of a container:
 * `containername_podname_namespace_uid_attempt`, where `attempt` is the
 * container's attempt (the sandbox attempt is not part of it).
 *
 * @example
 * ```ts
 * makeContainerName({ name: "app", attempt: 2 }, { name: "web", namespace: "default", uid: "8d1f", attempt: 0 });
 * // "app_web_default_8d1f_2"
 * ```
 * @throws `InvalidArgument` as {@link validateContainerMetadata} and
 *   {@link validateSandboxMetadata} do (the sandbox's `attempt` is checked too).
 * @public
 */
export function makeContainerName(containerMeta: ContainerNameMetadata, sandboxMeta: SandboxNameMetadata): string {
  validateContainerMetadata(containerMeta);
  validateSandboxMetadata(sandboxMeta);
  return [containerMeta.name, sandboxMeta.name, sandboxMeta.namespace, sandboxMeta.uid, String(containerMeta.attempt)].join(SEP);
}

function split(name: unknown, fields: number, what: string, format: string): string[] {
  if (typeof name !== "string" || name === "") throw invalidArgument(`${what} name is empty`, "name");
  const parts = name.split(SEP);
  if (parts.length !== fields) {
    throw invalidArgument(`${what} name ${JSON.stringify(name)} does not have the form ${format}`, "name");
  }
  return parts;
}

/**
 * Takes a sandbox name made by {@link makeSandboxName} apart again, for
 * instance when recovering state after a restart.
 *
 * @throws `InvalidArgument` if `name` does not have exactly four `_`-separated
 *   fields, a field is empty, or the attempt is not a canonical decimal uint32.
 * @public
 */
export function parseSandboxName(name: string): SandboxNameMetadata {
  const [podName = "", namespace = "", uid = "", attempt = ""] = split(name, 4, "sandbox", "name_namespace_uid_attempt");
  const what = `sandbox name ${JSON.stringify(name)}:`;
  return {
    name: checkText(podName, "name", what),
    namespace: checkText(namespace, "namespace", what),
    uid: checkText(uid, "uid", what),
    attempt: parseAttempt(attempt, "attempt", what),
  };
}

/**
 * Takes a container name made by {@link makeContainerName} apart again.
 *
 * @throws `InvalidArgument` if `name` does not have exactly five
 *   `_`-separated fields, a field is empty, or the attempt is not a canonical
 *   decimal uint32.
 * @public
 */
export function parseContainerName(name: string): ParsedContainerName {
  const [ctrName = "", podName = "", namespace = "", uid = "", attempt = ""] = split(
    name,
    5,
    "container",
    "containername_podname_namespace_uid_attempt",
  );
  const what = `container name ${JSON.stringify(name)}:`;
  return {
    container: { name: checkText(ctrName, "name", what), attempt: parseAttempt(attempt, "attempt", what) },
    sandbox: {
      name: checkText(podName, "podName", what),
      namespace: checkText(namespace, "namespace", what),
      uid: checkText(uid, "uid", what),
    },
  };
}
