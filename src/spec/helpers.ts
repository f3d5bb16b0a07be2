/**
 * Small helpers the CRI handlers share: path cleaning, "is this destination
 * already a CRI mount", "does this pod use the host network", and the check
 * of a PID-namespace TARGET container.
 *
 * @packageDocumentation
 */
import { ContainerState, NamespaceMode } from "../cri-enums.js";
import { CrikitError } from "../errors.js";

/**
 * Go's `path.Clean`: the shortest equivalent path, by purely lexical
 * processing (`//` to `/`, drop `.`, resolve `..`, no trailing slash;
 * `""` becomes `"."`).
 *
 * @public
 */
export function cleanPath(p: string): string {
  if (p === "") return ".";
  if (isCleanAbsolute(p)) return p;
  const rooted = p.startsWith("/");
  const out: string[] = [];
  for (const part of p.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") {
      if (out.length > 0 && out[out.length - 1] !== "..") out.pop();
      else if (!rooted) out.push("..");
      continue;
    }
    out.push(part);
  }
  const joined = out.join("/");
  if (rooted) return `/${joined}`;
  return joined === "" ? "." : joined;
}

/** Fast path: an absolute path with no empty, `.` or `..` element and no trailing slash. */
function isCleanAbsolute(p: string): boolean {
  if (p === "/") return true;
  if (p.charCodeAt(0) !== 0x2f || p.charCodeAt(p.length - 1) === 0x2f) return false;
  if (p.includes("//") || p.includes("/./") || p.includes("/../")) return false;
  return !p.endsWith("/.") && !p.endsWith("/..");
}

/**
 * Whether `dst` is the container path of one of `mounts`, both compared
 * after {@link cleanPath} (so `/etc/hosts/` equals `/etc//hosts`).
 *
 * @public
 */
export function isInCriMounts(dst: string, mounts: ReadonlyArray<{ readonly containerPath: string }>): boolean {
  const want = cleanPath(dst);
  return mounts.some((m) => cleanPath(m.containerPath) === want);
}

/**
 * The parts of a PodSandboxConfig {@link isHostNetwork} reads.
 *
 * @public
 */
export interface SandboxNetworkView {
  /** The Linux part of the pod config; only `security_context.namespace_options.network` is read. */
  readonly linux?: { readonly securityContext?: { readonly namespaceOptions?: { readonly network?: number } | undefined } | undefined } | undefined;
}

/**
 * Whether the pod uses the node's network namespace (network mode NODE).
 *
 * @public
 */
export function isHostNetwork(sandboxConfig: SandboxNetworkView | undefined): boolean {
  return sandboxConfig?.linux?.securityContext?.namespaceOptions?.network === NamespaceMode.NODE;
}

/**
 * What a container lookup found about a PID-namespace TARGET container.
 *
 * @public
 */
export interface TargetContainerInfo {
  /** The container's ID. */
  id: string;
  /** Its sandbox's ID. */
  sandboxId: string;
  /** Its CRI state (`ContainerState`). */
  state: number;
  /** Its init process' PID when running. */
  pid?: number;
}

/**
 * Check that a PID-namespace TARGET container exists, is in the same
 * sandbox and is running; returns it.
 *
 * @param sandboxId - the sandbox of the container being created
 * @param target - what the container store found for the request's
 *   `namespace_options.target_id` (`undefined`: nothing)
 * @param targetId - the requested ID, for messages @defaultValue target.id
 * @throws CrikitError NotFound when there is no such container,
 *   FailedPrecondition when it is in another sandbox or not running; each
 *   message says what to do (create and start the target in the same pod
 *   first).
 *
 * @example
 * ```ts
 * const target = validateTargetContainer(sandboxId, containers.find(targetId), targetId);
 * generateContainerSpec({ ...input, targetPid: target.pid });
 * ```
 *
 * @public
 */
export function validateTargetContainer(
  sandboxId: string,
  target: TargetContainerInfo | undefined,
  targetId: string = target?.id ?? "",
): TargetContainerInfo {
  const field = "linux.security_context.namespace_options.target_id";
  const what = `target container "${targetId}" of the PID namespace (${field})`;
  if (target === undefined) {
    throw new CrikitError("NotFound", `${what} does not exist: create and start that container in the same pod first, then create this one`, {
      details: { field },
    });
  }
  if (target.sandboxId !== sandboxId) {
    throw new CrikitError(
      "FailedPrecondition",
      `${what} belongs to sandbox "${target.sandboxId}", not to sandbox "${sandboxId}": a container can only join the PID namespace of a container of its own pod`,
      { details: { field } },
    );
  }
  if (target.state !== ContainerState.CONTAINER_RUNNING) {
    throw new CrikitError("FailedPrecondition", `${what} is not running: start it first, then create this container`, {
      details: { field, state: target.state },
    });
  }
  return target;
}
