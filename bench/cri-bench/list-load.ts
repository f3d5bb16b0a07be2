/**
 * Workload 12 (`listload`): List* and status latency while 10 clients run
 * pod and container lifecycles (RunPodSandbox, CreateContainer,
 * StartContainer, StopContainer, RemoveContainer, StopPodSandbox,
 * RemovePodSandbox, in a loop) on the same daemon: the kubelet's polling
 * under churn. One daemon at a time (the load would otherwise land on both),
 * for 30 s each (10 s with --quick). A poller calls ListPodSandbox,
 * ListContainers, then PodSandboxStatus and ContainerStatus of one listed
 * object, every 50 ms; a status of an object removed in between (NotFound)
 * is not a sample.
 */
import { mainPeers, missingCrikit, type BenchContext } from "./context.js";
import { benchAbort, createContainer, grpcCode, podName, removeContainer, removePod, runPod, startContainer } from "./fixtures.js";
import type { Series, WorkloadResult } from "./result.js";

const CLIENTS = 10;
const NOT_FOUND = 5;
const RPCS = ["ListPodSandbox", "ListContainers", "PodSandboxStatus", "ContainerStatus"] as const;

export async function listLoad(ctx: BenchContext): Promise<WorkloadResult> {
  const seconds = ctx.quick ? 10 : 30;
  const series = new Map<string, Series[]>(RPCS.map((r) => [r, [...missingCrikit(ctx)]]));
  const notes: string[] = [];
  for (const p of mainPeers(ctx)) {
    await p.client.unary("PullImage", { image: { image: ctx.images.busybox } }, { timeoutMs: 120_000 });
    const samples = new Map<string, number[]>(RPCS.map((r) => [r, []]));
    const until = Date.now() + seconds * 1000;
    let cycles = 0;
    let failure: string | undefined;
    const worker = async (w: number): Promise<void> => {
      for (let n = 0; Date.now() < until && failure === undefined; n++) {
        benchAbort.signal.throwIfAborted();
        try {
          const pod = await runPod(p, podName(`ll${w}-${n}`));
          const c = await createContainer(p, pod, "c", ctx.images.busybox);
          await startContainer(p, c);
          await removeContainer(p, c);
          await removePod(p, pod.id);
          cycles++;
        } catch (e) {
          failure ??= `client ${w}: ${String((e as Error).message).slice(0, 160)}`;
        }
      }
    };
    const poll = async (rpc: string, req: Record<string, unknown>): Promise<Record<string, unknown> | undefined> => {
      const t0 = performance.now();
      try {
        const r = await p.client.unary(rpc, req, { timeoutMs: 60_000 });
        samples.get(rpc)?.push(performance.now() - t0);
        return r;
      } catch (e) {
        if (grpcCode(e) !== NOT_FOUND) failure ??= `${rpc}: ${String((e as Error).message).slice(0, 160)}`;
        return undefined;
      }
    };
    const poller = async (): Promise<void> => {
      while (Date.now() < until && failure === undefined) {
        const pods = ((await poll("ListPodSandbox", {}))?.["items"] ?? []) as { id: string }[];
        const ctrs = ((await poll("ListContainers", {}))?.["containers"] ?? []) as { id: string }[];
        const pod = pods[Math.floor(Math.random() * pods.length)];
        if (pod) await poll("PodSandboxStatus", { pod_sandbox_id: pod.id });
        const ctr = ctrs[Math.floor(Math.random() * ctrs.length)];
        if (ctr) await poll("ContainerStatus", { container_id: ctr.id });
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    ctx.log(`listload: ${p.label}, ${CLIENTS} clients for ${seconds} s`);
    await Promise.all([poller(), ...Array.from({ length: CLIENTS }, (_, w) => worker(w))]);
    for (const rpc of RPCS) {
      series.get(rpc)?.push(failure === undefined ? { label: p.label, kind: p.kind, samples: samples.get(rpc) ?? [] } : { label: p.label, kind: p.kind, samples: [], status: `failed: ${failure}` });
    }
    notes.push(`${p.label}: ${cycles} pod+container lifecycles by ${CLIENTS} clients in ${seconds} s (${(cycles / seconds).toFixed(1)}/s) while polling.`);
  }
  return {
    id: "listload",
    title: `(12) List and status calls while ${CLIENTS} clients run pod and container lifecycles`,
    measures: RPCS.map((rpc) => ({ name: `${rpc} under load`, unit: "ms", series: series.get(rpc) ?? [] })),
    notes,
  };
}
