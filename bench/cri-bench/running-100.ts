/**
 * Workloads 6 and 7 share one set-up: 100 running busybox `sleep`
 * containers (50 pods of 2) on each daemon at once.
 *
 * (6) ListContainerStats over the 100, alternating between daemons
 *     (a daemon that answers Unimplemented is reported so).
 * (9) ListPodSandboxMetrics over the 50 pods: crikitd's, next to
 *     containerd 1.6's ListPodSandboxStats for the same pods (containerd
 *     1.6 has no metrics RPC), and both daemons' ListPodSandboxStats.
 * (7) Memory: the daemon's VmRSS right after start-up ("idle") and with the
 *     100 running, plus the VmRSS of its per-container monitors summed
 *     (conmon for crikitd, containerd-shim-runc-v2 for containerd; runc.v2
 *     runs one shim per pod), read from /proc/<pid>/status, 5 readings
 *     half a second apart.
 */
import { alternate, mainPeers, missingCrikit, setupEach, type BenchContext } from "./context.js";
import { createContainer, podName, pool, removePod, runPod, startContainer, type ReadyPod } from "./fixtures.js";
import type { Measure, Series, WorkloadResult } from "./result.js";
import { rssKiB, sumRssKiB } from "../peers/proc.js";
import type { Peer } from "../peers/peer.js";

const PODS = 50;
const PER_POD = 2;

export async function running100(ctx: BenchContext, which: { stats: boolean; memory: boolean; metrics?: boolean }): Promise<WorkloadResult[]> {
  const n = ctx.quick ? 10 : 30;
  const all = which.memory ? [...ctx.crikit, ctx.containerd] : mainPeers(ctx);
  const pods = new Map<Peer, ReadyPod[]>();
  const out: WorkloadResult[] = [];
  try {
    const { ok: peers, failed } = await setupEach(all, async (p) => {
      const t0 = performance.now();
      await p.client.unary("PullImage", { image: { image: ctx.images.busybox } }, { timeoutMs: 120_000 });
      const mine: ReadyPod[] = [];
      pods.set(p, mine);
      await pool(Array.from({ length: PODS }, (_, i) => i), 4, async (i) => {
        const pod = await runPod(p, podName(`r${i}`));
        mine.push(pod);
        for (let j = 0; j < PER_POD; j++) await startContainer(p, await createContainer(p, pod, `c${j}`, ctx.images.busybox));
      });
      ctx.log(`running workload: ${p.label} runs ${PODS * PER_POD} containers (set-up ${((performance.now() - t0) / 1000).toFixed(0)} s)`);
    }, ctx.log);
    if (which.stats) {
      const sp = mainPeers(ctx).filter((p) => peers.includes(p));
      const series = await alternate(sp, n, async (p) => {
        const t0 = performance.now();
        const r = await p.client.unary("ListContainerStats", {}, { timeoutMs: 60_000 });
        const ms = performance.now() - t0;
        const got = ((r["stats"] ?? []) as unknown[]).length;
        if (got < PODS * PER_POD) throw new Error(`ListContainerStats returned ${got} entries, expected ${PODS * PER_POD}`);
        return ms;
      });
      out.push({ id: "stats", title: `(6) ListContainerStats over ${PODS * PER_POD} running containers, N=${n}`, measures: [{ name: "ListContainerStats", unit: "ms", series: [...missingCrikit(ctx), ...failed.filter((f) => mainPeers(ctx).some((p) => p.label === f.label)), ...series] }], notes: [] });
    }
    if (which.metrics === true) {
      const sp = mainPeers(ctx).filter((p) => peers.includes(p));
      const count = (r: Record<string, unknown>, key: string): number => ((r[key] ?? []) as unknown[]).length;
      const metricsSeries = await alternate(sp, n, async (p) => {
        const rpc = p.kind === "crikitd" ? "ListPodSandboxMetrics" : "ListPodSandboxStats";
        const t0 = performance.now();
        const r = await p.client.unary(rpc, {}, { timeoutMs: 60_000 });
        const ms = performance.now() - t0;
        const got = count(r, p.kind === "crikitd" ? "pod_metrics" : "stats");
        if (got < PODS) throw new Error(`${rpc} returned ${got} pods, expected ${PODS}`);
        return ms;
      });
      const statsSeries = await alternate(sp, n, async (p) => {
        const t0 = performance.now();
        const r = await p.client.unary("ListPodSandboxStats", {}, { timeoutMs: 60_000 });
        const ms = performance.now() - t0;
        if (count(r, "stats") < PODS) throw new Error(`ListPodSandboxStats returned ${count(r, "stats")} pods, expected ${PODS}`);
        return ms;
      });
      const missing = [...missingCrikit(ctx), ...failed.filter((f) => mainPeers(ctx).some((p) => p.label === f.label))];
      out.push({
        id: "metrics",
        title: `(9) Pod metrics over ${PODS} pods with ${PODS * PER_POD} running containers, N=${n}`,
        measures: [
          { name: "crikitd ListPodSandboxMetrics; containerd ListPodSandboxStats", unit: "ms", series: [...missing, ...metricsSeries] },
          { name: "ListPodSandboxStats", unit: "ms", series: [...missing, ...statsSeries] },
        ],
        notes: ["containerd 1.6 has no ListPodSandboxMetrics (Unimplemented): its ListPodSandboxStats over the same pods is the nearest call; crikitd's metrics answer carries about 30 metrics per container and pod, its stats answer the CRI stats messages."],
      });
    }
    if (which.memory) {
      const MiB = (k: number): number => k / 1024;
      const idle: Series[] = [];
      const daemon: Series[] = [];
      const monitors: Series[] = [];
      const total: Series[] = [];
      const notes: string[] = [];
      for (const p of peers) {
        const d: number[] = [];
        const m: number[] = [];
        const t: number[] = [];
        let count = 0;
        for (let i = 0; i < 5; i++) {
          const dk = await rssKiB(p.pid);
          const mk = await sumRssKiB(await p.monitorPids());
          count = mk.count;
          d.push(MiB(dk));
          m.push(MiB(mk.kib));
          t.push(MiB(dk + mk.kib));
          await new Promise((r) => setTimeout(r, 500));
        }
        const base = { label: p.label, kind: p.kind };
        idle.push({ ...base, samples: [MiB(ctx.idleRssKiB.get(p.label) ?? Number.NaN)] });
        daemon.push({ ...base, samples: d });
        monitors.push({ ...base, samples: m });
        total.push({ ...base, samples: t });
        notes.push(`${p.label}: ${count} monitor processes (${p.kind === "crikitd" ? "conmon" : "containerd-shim-runc-v2"}) for ${PODS} pods and ${PODS * PER_POD} containers.`);
      }
      const measures: Measure[] = [
        { name: "daemon RSS, idle", unit: "MiB", series: [...missingCrikit(ctx), ...failed, ...idle] },
        { name: "daemon RSS, 100 running", unit: "MiB", series: [...missingCrikit(ctx), ...failed, ...daemon] },
        { name: "monitors summed, 100 running", unit: "MiB", series: [...missingCrikit(ctx), ...failed, ...monitors] },
        { name: "daemon + monitors, 100 running", unit: "MiB", series: [...missingCrikit(ctx), ...failed, ...total] },
      ];
      notes.push("VmRSS counts shared pages (the runtime binary, libc) once per process, so summed monitors overstate what the machine spends; it is the measure the issue names.");
      out.push({ id: "memory", title: `(7) Memory with ${PODS * PER_POD} running containers in ${PODS} pods`, measures, notes });
    }
    return out;
  } finally {
    for (const [p, mine] of pods) {
      await pool(mine, 4, (pod) => removePod(p, pod.id)).catch((e: unknown) => ctx.log(`running workload: removing pods on ${p.label}: ${String(e)}`));
    }
  }
}
