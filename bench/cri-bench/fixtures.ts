/**
 * CRI request shapes and small drivers shared by the workloads: a pod
 * config (own network namespace, container PID namespace, the bench cgroup
 * parent, a log directory under the daemon's temp dir), a busybox `sleep`
 * container, and run/teardown helpers. Message shapes are proto-loader's
 * (snake_case, int64 as strings), as test/helpers/cri-client.ts speaks them.
 */
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import type { Msg } from "../../test/helpers/cri-client.js";
import type { Peer } from "../peers/peer.js";

/** Per-call deadline: generous, so a slow daemon shows as slow, not failed. */
export const RPC_TIMEOUT_MS = 120_000;

/**
 * Aborted when the bench is interrupted: no workload starts another call
 * after that (calls in flight finish), so cleanup does not race new pods.
 * Checked before each call rather than passed to each, so thousands of
 * calls do not pile listeners on one signal.
 */
export const benchAbort = new AbortController();

function go(): void {
  benchAbort.signal.throwIfAborted();
}

/** A unique pod name. */
export function podName(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString("hex")}`;
}

/** A PodSandboxConfig for `name` on `peer`. */
export function podConfig(peer: Peer, name: string): Msg {
  return {
    metadata: { name, uid: `uid-${name}`, namespace: "crikit-bench", attempt: 0 },
    hostname: name.slice(0, 63),
    log_directory: join(peer.dir, "logs", name),
    labels: { "crikit.bench": "1" },
    linux: {
      cgroup_parent: peer.cgroupParent,
      security_context: { namespace_options: { network: "POD", pid: "CONTAINER", ipc: "POD" } },
    },
  };
}

/** A ContainerConfig running busybox `sleep 3600`. */
export function containerConfig(name: string, image: string): Msg {
  return {
    metadata: { name, attempt: 0 },
    image: { image },
    command: ["/bin/sleep", "3600"],
    log_path: `${name}.log`,
    labels: { "crikit.bench": "1" },
    linux: { resources: {}, security_context: {} },
  };
}

/** A pod that is running. */
export interface ReadyPod {
  id: string;
  config: Msg;
}

/** RunPodSandbox; returns the pod. */
export async function runPod(peer: Peer, name: string): Promise<ReadyPod> {
  go();
  const config = podConfig(peer, name);
  const r = await peer.client.unary("RunPodSandbox", { config }, { timeoutMs: RPC_TIMEOUT_MS });
  return { id: String(r["pod_sandbox_id"]), config };
}

/** StopPodSandbox then RemovePodSandbox. */
export async function removePod(peer: Peer, id: string): Promise<void> {
  go();
  await peer.client.unary("StopPodSandbox", { pod_sandbox_id: id }, { timeoutMs: RPC_TIMEOUT_MS });
  await peer.client.unary("RemovePodSandbox", { pod_sandbox_id: id }, { timeoutMs: RPC_TIMEOUT_MS });
}

/** CreateContainer in a pod; returns the container id. */
export async function createContainer(peer: Peer, pod: ReadyPod, name: string, image: string): Promise<string> {
  go();
  const r = await peer.client.unary("CreateContainer", { pod_sandbox_id: pod.id, config: containerConfig(name, image), sandbox_config: pod.config }, { timeoutMs: RPC_TIMEOUT_MS });
  return String(r["container_id"]);
}

/** StartContainer. */
export async function startContainer(peer: Peer, id: string): Promise<void> {
  go();
  await peer.client.unary("StartContainer", { container_id: id }, { timeoutMs: RPC_TIMEOUT_MS });
}

/** StopContainer (timeout 0: kill at once) then RemoveContainer. */
export async function removeContainer(peer: Peer, id: string): Promise<void> {
  go();
  await peer.client.unary("StopContainer", { container_id: id, timeout: 0 }, { timeoutMs: RPC_TIMEOUT_MS });
  await peer.client.unary("RemoveContainer", { container_id: id }, { timeoutMs: RPC_TIMEOUT_MS });
}

/** Wall time of `fn` in ms. */
export async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

/** Run `fn` over `items` with at most `concurrency` in flight. */
export async function pool<T>(items: readonly T[], concurrency: number, fn: (t: T, i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      go();
      const i = next++;
      await fn(items[i] as T, i);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, items.length)) }, worker));
}

/** The gRPC status name of an error, or undefined. */
export function grpcCode(e: unknown): number | undefined {
  const c = (e as { code?: unknown }).code;
  return typeof c === "number" ? c : undefined;
}

/** A short message for an error (grpc details or message). */
export function errText(e: unknown): string {
  const d = (e as { details?: unknown }).details;
  return typeof d === "string" && d !== "" ? d : e instanceof Error ? e.message : String(e);
}
