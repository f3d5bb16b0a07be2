/**
 * Workload 3: burst. 20 pods, each RunPodSandbox then CreateContainer and
 * StartContainer of one busybox `sleep`, all 20 started at once; the time
 * until the last container runs, and pods per second. R rounds per daemon,
 * alternating; the pods are removed between rounds (not timed).
 */
import { alternate, mainPeers, missingCrikit, type BenchContext } from "./context.js";
import { createContainer, podName, pool, removePod, runPod, startContainer, timed } from "./fixtures.js";
import type { WorkloadResult } from "./result.js";

/** Pods per burst. */
export const BURST_PODS = 20;

export async function burst(ctx: BenchContext): Promise<WorkloadResult> {
  const rounds = ctx.quick ? 2 : 5;
  const peers = mainPeers(ctx);
  for (const p of peers) await p.client.unary("PullImage", { image: { image: ctx.images.busybox } }, { timeoutMs: 120_000 });
  const perPod: number[][] = peers.map(() => []);
  const total = await alternate(peers, rounds, async (peer, r) => {
    const ids: string[] = [];
    const t0 = performance.now();
    try {
      await Promise.all(
        Array.from({ length: BURST_PODS }, async (_, j) => {
          const pod = await runPod(peer, podName(`b${r}-${j}`));
          ids.push(pod.id);
          const c = await createContainer(peer, pod, "main", ctx.images.busybox);
          await startContainer(peer, c);
          perPod[peers.indexOf(peer)]?.push(performance.now() - t0);
        }),
      );
      return performance.now() - t0;
    } finally {
      await timed(() => pool(ids, 4, (id) => removePod(peer, id)));
    }
  });
  const rate = total.map((s) => ({ ...s, samples: s.samples.map((ms) => (BURST_PODS * 1000) / ms) }));
  return {
    id: "burst",
    title: `(3) Burst: ${BURST_PODS} pods with one container each, started concurrently, ${rounds} rounds per runtime`,
    measures: [
      { name: "time to all running", unit: "ms", series: [...missingCrikit(ctx), ...total] },
      { name: "throughput", unit: "pods/s", series: [...missingCrikit(ctx), ...rate], higherIsBetter: true },
      { name: "each pod's time to running", unit: "ms", series: [...missingCrikit(ctx), ...total.map((s, k) => ({ ...s, samples: s.samples.length ? (perPod[k] ?? []) : [] }))] },
    ],
    notes: ["pods/s: a ratio above 1 means crikitd is faster."],
  };
}
