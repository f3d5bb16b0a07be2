/**
 * Workload 2: container lifecycle in a ready pod. CreateContainer +
 * StartContainer, then StopContainer (timeout 0) + RemoveContainer, of a
 * busybox `sleep`, N times per daemon, alternating. One pod per daemon is
 * made before and removed after. Floor: `runc run -d` (create+start) and
 * `runc delete -f` (stop+remove) of the same busybox bundle.
 */
import { alternate, mainPeers, missingCrikit, setupEach, type BenchContext } from "./context.js";
import { createContainer, podName, removeContainer, removePod, runPod, startContainer, timed, type ReadyPod } from "./fixtures.js";
import { stats, type Measure, type WorkloadResult } from "./result.js";
import type { Peer } from "../peers/peer.js";

export async function containerLifecycle(ctx: BenchContext): Promise<WorkloadResult> {
  const n = ctx.quick ? 8 : 30;
  const pods = new Map<Peer, ReadyPod>();
  try {
    const { ok: peers, failed } = await setupEach(
      mainPeers(ctx),
      async (p) => {
        await p.client.unary("PullImage", { image: { image: ctx.images.busybox } }, { timeoutMs: 120_000 });
        pods.set(p, await runPod(p, podName("cl")));
      },
      ctx.log,
    );
    const cs: number[][] = peers.map(() => []);
    const sr: number[][] = peers.map(() => []);
    const total = await alternate(peers, n, async (peer, i) => {
      const k = peers.indexOf(peer);
      const pod = pods.get(peer) as ReadyPod;
      let id = "";
      const a = await timed(async () => {
        id = await createContainer(peer, pod, `c${i}`, ctx.images.busybox);
        await startContainer(peer, id);
      });
      const b = await timed(() => removeContainer(peer, id));
      cs[k]?.push(a);
      sr[k]?.push(b);
      return a + b;
    }, () => ctx.floor.runc());
    const by = (arr: number[][]): Measure["series"] => [...failed, ...total.map((s, k) => ({ ...s, samples: s.status && !s.samples.length ? [] : (arr[k] ?? []) }))];
    const f = ctx.floor.samples;
    return {
      id: "container",
      title: `(2) Container lifecycle in a ready pod, sequential, N=${n} per runtime`,
      measures: [
        { name: "Create+Start", unit: "ms", series: [...missingCrikit(ctx), ...by(cs)], floor: { label: "runc run -d by hand", p50: stats(f.runcRun).p50 } },
        { name: "Stop+Remove", unit: "ms", series: [...missingCrikit(ctx), ...by(sr)], floor: { label: "runc delete -f by hand", p50: stats(f.runcDelete).p50 } },
        { name: "whole lifecycle", unit: "ms", series: [...missingCrikit(ctx), ...failed, ...total], floor: { label: "runc run -d + delete -f", p50: stats(f.runcRun).p50 + stats(f.runcDelete).p50 } },
      ],
      notes: ["StopContainer uses timeout 0 (kill at once) on both runtimes."],
    };
  } finally {
    for (const [p, pod] of pods) await removePod(p, pod.id).catch((e: unknown) => ctx.log(`container workload: cannot remove pod on ${p.label}: ${String(e)}`));
  }
}
