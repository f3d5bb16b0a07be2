/**
 * Workload 3: burst. 20 pods, each RunPodSandbox then CreateContainer and
 * StartContainer of one busybox `sleep`, all 20 started at once; the time
 * until the last container runs, and pods per second. R rounds per daemon,
 * alternating; the pods are removed between rounds (not timed). Then the
 * same with 100 pods at once (1 round per daemon with --quick, 2 in full).
 */
import { alternate, mainPeers, missingCrikit, type BenchContext } from "./context.js";
import { createContainer, podName, pool, removePod, runPod, startContainer, timed } from "./fixtures.js";
import type { WorkloadResult } from "./result.js";
import type { Peer } from "../peers/peer.js";

/** Pods per burst. */
export const BURST_PODS = 20;
/** Pods per large burst. */
export const LARGE_BURST_PODS = 100;

/** One burst of `pods` pods on `peer`: ms until all run; each pod's time pushed to `perPod`. */
async function oneBurst(ctx: BenchContext, peer: Peer, pods: number, tag: string, perPod: number[]): Promise<number> {
  const ids: string[] = [];
  const t0 = performance.now();
  try {
    await Promise.all(
      Array.from({ length: pods }, async (_, j) => {
        const pod = await runPod(peer, podName(`${tag}-${j}`));
        ids.push(pod.id);
        const c = await createContainer(peer, pod, "main", ctx.images.busybox);
        await startContainer(peer, c);
        perPod.push(performance.now() - t0);
      }),
    );
    return performance.now() - t0;
  } finally {
    await timed(() => pool(ids, 4, (id) => removePod(peer, id)));
  }
}

export async function burst(ctx: BenchContext): Promise<WorkloadResult> {
  const rounds = ctx.quick ? 2 : 5;
  const peers = mainPeers(ctx);
  for (const p of peers) await p.client.unary("PullImage", { image: { image: ctx.images.busybox } }, { timeoutMs: 120_000 });
  const perPod: number[][] = peers.map(() => []);
  const total = await alternate(peers, rounds, (peer, r) => oneBurst(ctx, peer, BURST_PODS, `b${r}`, perPod[peers.indexOf(peer)] ?? []));
  const rate = total.map((s) => ({ ...s, samples: s.samples.map((ms) => (BURST_PODS * 1000) / ms) }));
  const large = await alternate(peers, ctx.quick ? 1 : 2, (peer, r) => oneBurst(ctx, peer, LARGE_BURST_PODS, `B${r}`, []));
  const largeRate = large.map((s) => ({ ...s, samples: s.samples.map((ms) => (LARGE_BURST_PODS * 1000) / ms) }));
  return {
    id: "burst",
    title: `(3) Burst: ${BURST_PODS} pods with one container each, started concurrently, ${rounds} rounds per runtime; then ${LARGE_BURST_PODS} pods, ${ctx.quick ? 1 : 2} per runtime`,
    measures: [
      { name: "time to all running", unit: "ms", series: [...missingCrikit(ctx), ...total] },
      { name: "throughput", unit: "pods/s", series: [...missingCrikit(ctx), ...rate], higherIsBetter: true },
      { name: "each pod's time to running", unit: "ms", series: [...missingCrikit(ctx), ...total.map((s, k) => ({ ...s, samples: s.samples.length ? (perPod[k] ?? []) : [] }))] },
      { name: `burst of ${LARGE_BURST_PODS} pods, time to all running`, unit: "ms", series: [...missingCrikit(ctx), ...large] },
      { name: `burst of ${LARGE_BURST_PODS} pods, throughput`, unit: "pods/s", series: [...missingCrikit(ctx), ...largeRate], higherIsBetter: true },
    ],
    notes: ["pods/s: a ratio above 1 means crikitd is faster."],
  };
}
