/**
 * Workload 1: pod lifecycle. RunPodSandbox, StopPodSandbox and
 * RemovePodSandbox of one pod, sequentially, N times per daemon, the
 * daemons alternating. crikitd runs in infra-less and in infra mode.
 * Floor: the CNI chain ADD+DEL by hand (infra-less); plus `runc run -d`
 * and `runc delete -f` of the pause process (infra); one floor sample per
 * round, between the daemons' samples.
 */
import { alternate, missingCrikit, type BenchContext } from "./context.js";
import { podName, removePod, runPod, timed } from "./fixtures.js";
import { stats, type Measure, type WorkloadResult } from "./result.js";

export async function podLifecycle(ctx: BenchContext): Promise<WorkloadResult> {
  const n = ctx.quick ? 8 : 30;
  const peers = [...ctx.crikit, ctx.containerd];
  const run: number[][] = peers.map(() => []);
  const stopRm: number[][] = peers.map(() => []);
  const total = await alternate(peers, n, async (peer, i) => {
    const k = peers.indexOf(peer);
    let id = "";
    const a = await timed(async () => {
      id = (await runPod(peer, podName(`lc${i}`))).id;
    });
    const b = await timed(() => removePod(peer, id));
    run[k]?.push(a);
    stopRm[k]?.push(b);
    return a + b;
  }, async () => {
    await ctx.floor.cni();
    await ctx.floor.runc();
  });
  const f = ctx.floor.samples;
  const cni = stats(f.cniAdd).p50 + stats(f.cniDel).p50;
  const infra = cni + stats(f.runcRun).p50 + stats(f.runcDelete).p50;
  const by = (arr: number[][]): Measure["series"] => total.map((s, k) => ({ ...s, samples: s.status && !s.samples.length ? [] : (arr[k] ?? []) }));
  const measures: Measure[] = [
    { name: "Run+Stop+Remove", unit: "ms", series: [...missingCrikit(ctx), ...total], floor: { label: "CNI ADD+DEL by hand", p50: cni } },
    { name: "RunPodSandbox", unit: "ms", series: [...missingCrikit(ctx), ...by(run)], floor: { label: "CNI ADD by hand", p50: stats(f.cniAdd).p50 } },
    { name: "Stop+RemovePodSandbox", unit: "ms", series: [...missingCrikit(ctx), ...by(stopRm)], floor: { label: "CNI DEL by hand", p50: stats(f.cniDel).p50 } },
  ];
  return {
    id: "pod",
    title: `(1) Pod lifecycle, sequential, N=${n} per runtime`,
    measures,
    notes: [`The floor column is against the CNI chain by hand (${cni.toFixed(0)} ms ADD+DEL); with a pause process the floor adds runc run -d + delete -f: ${infra.toFixed(0)} ms.`],
  };
}
