/**
 * The service's messages for the mistakes a person makes at a CRI client
 * (crictl) or the kubelet meets after a race: an ID that names nothing, a
 * name already taken, a pod that is no longer ready, an image the registry
 * does not have. Each says what is wrong and what to do next, naming the RPC
 * and the crictl command where one helps, since crictl prints the message as
 * it is (`rpc error: code = NotFound desc = ...`).
 *
 * @packageDocumentation
 */
import { CrikitError, failedPrecondition, isCrikitError, notFound } from "../errors.js";
import type { Registrar } from "../stores/index.js";

/** NotFound for a pod sandbox ID (or ID prefix) that names no visible pod. */
export function sandboxNotFound(idOrPrefix: string): CrikitError {
  const q = JSON.stringify(idOrPrefix);
  return notFound(`pod sandbox ${q} not found: no pod sandbox ID is or starts with ${q}; list the pods with ListPodSandbox (crictl pods), and run a removed pod again`);
}

/** NotFound for a container ID (or ID prefix) that names no visible container. */
export function containerNotFound(idOrPrefix: string): CrikitError {
  const q = JSON.stringify(idOrPrefix);
  return notFound(`container ${q} not found: no container ID is or starts with ${q}; list the containers with ListContainers (crictl ps -a)`);
}

/** FailedPrecondition for CreateContainer or StartContainer in a pod sandbox that is not ready. */
export function sandboxNotReady(id: string): CrikitError {
  return failedPrecondition(
    `pod sandbox ${JSON.stringify(id)} is not ready: it was stopped or its infra process ended; containers run only in a ready pod, so run the pod again (RunPodSandbox, crictl runp) and create the container there`,
  );
}

/** NotFound for a PullImage whose registry has no such repository, tag or digest (`err` is the registry's NotFound). */
export function imageNotInRegistry(ref: string, err: CrikitError): CrikitError {
  return new CrikitError("NotFound", `image ${JSON.stringify(ref)} not found: ${err.message}; check the repository name and the tag or digest`, { details: err.details, cause: err });
}

/**
 * Reserves a pod sandbox's or container's name for `id`; when another object
 * holds it, the `AlreadyExists` names that object and says how to free the
 * name (the Registrar's `details` are kept).
 */
export function reserveName(names: Registrar, name: string, id: string, kind: "pod sandbox" | "container"): void {
  try {
    names.reserve(name, id);
  } catch (err) {
    if (!(isCrikitError(err) && err.code === "AlreadyExists" && typeof err.details["holder"] === "string" && err.details["name"] === name)) throw err;
    const holder = JSON.stringify(err.details["holder"]);
    const free =
      kind === "pod sandbox"
        ? "stop and remove that pod first (StopPodSandbox and RemovePodSandbox; crictl stopp, crictl rmp), or give this one another metadata.attempt"
        : "remove that container first (RemoveContainer; crictl rm), or give this one another metadata.attempt";
    throw new CrikitError("AlreadyExists", `${kind} name ${JSON.stringify(name)} is already reserved for ${kind} ${holder}: ${free}`, { details: err.details, cause: err });
  }
}
