/**
 * Workload 4: ListPodSandbox, ListContainers and ContainerStatus with 1,000
 * containers present (created, not started) in 50 pods of 20 (200 in 10
 * pods with --quick), on each
 * daemon at once; the calls alternate between daemons. ContainerStatus asks
 * for a different container each time. Set-up and removal are not timed.
 * Version, an RPC with no work behind it, is measured alongside as the
 * round-trip floor of one call through the same client. The set-up itself
 * is the "containers created" row: one sample per daemon, the time to run
 * the pods and create all the containers, 4 pods in flight.
 */
import { alternate, mainPeers, missingCrikit, setupEach, type BenchContext } from "./context.js";
import { createContainer, podName, pool, removePod, runPod, type ReadyPod } from "./fixtures.js";
import type { WorkloadResult } from "./result.js";
import type { Peer } from "../peers/peer.js";

const PER_POD = 20;

export async function list1000(ctx: BenchContext): Promise<WorkloadResult> {
  const n = ctx.quick ? 10 : 30;
  // --quick: 200 containers, so a smoke run stays short; the full run has 1,000.
  const PODS = ctx.quick ? 10 : 50;
  const all = mainPeers(ctx);
  const pods = new Map<Peer, ReadyPod[]>();
  const containers = new Map<Peer, string[]>();
  const notes: string[] = [];
  const createMs = new Map<Peer, number>();
  try {
    const { ok: peers, failed } = await setupEach(all, async (p) => {
      const t0 = performance.now();
      await p.client.unary("PullImage", { image: { image: ctx.images.busybox } }, { timeoutMs: 120_000 });
      const mine: ReadyPod[] = [];
      const ids: string[] = [];
      pods.set(p, mine);
      containers.set(p, ids);
      await pool(Array.from({ length: PODS }, (_, i) => i), 4, async (i) => {
        const pod = await runPod(p, podName(`l${i}`));
        mine.push(pod);
        for (let j = 0; j < PER_POD; j++) ids.push(await createContainer(p, pod, `c${j}`, ctx.images.busybox));
      });
      createMs.set(p, performance.now() - t0);
      const s = ((performance.now() - t0) / 1000).toFixed(0);
      ctx.log(`list workload: ${p.label} holds ${ids.length} containers (set-up ${s} s)`);
      notes.push(`${p.label}: creating ${PODS} pods and ${ids.length} containers took ${s} s (4 in flight).`);
    }, ctx.log);
    const version = await alternate(peers, n * 3, async (p) => {
      const t0 = performance.now();
      await p.client.unary("Version", {}, { timeoutMs: 60_000 });
      return performance.now() - t0;
    });
    const listPods = await alternate(peers, n, async (p) => {
      const t0 = performance.now();
      const r = await p.client.unary("ListPodSandbox", {}, { timeoutMs: 60_000 });
      const ms = performance.now() - t0;
      if (((r["items"] ?? []) as unknown[]).length < PODS) throw new Error(`ListPodSandbox returned ${((r["items"] ?? []) as unknown[]).length} pods, expected ${PODS}`);
      return ms;
    });
    const listCtrs = await alternate(peers, n, async (p) => {
      const t0 = performance.now();
      const r = await p.client.unary("ListContainers", {}, { timeoutMs: 60_000 });
      const ms = performance.now() - t0;
      const got = ((r["containers"] ?? []) as unknown[]).length;
      if (got < PODS * PER_POD) throw new Error(`ListContainers returned ${got} containers, expected ${PODS * PER_POD}`);
      return ms;
    });
    const status = await alternate(peers, n * 3, async (p, i) => {
      const ids = containers.get(p) ?? [];
      const id = ids[(i * 7919) % ids.length] ?? "";
      const t0 = performance.now();
      await p.client.unary("ContainerStatus", { container_id: id, verbose: false }, { timeoutMs: 60_000 });
      return performance.now() - t0;
    });
    return {
      id: "list",
      title: `(4) List and status calls with ${PODS * PER_POD} created containers in ${PODS} pods`,
      measures: [
        {
          name: `${(PODS * PER_POD).toLocaleString("en")} containers created (${PODS} pods, 4 in flight)`,
          unit: "s",
          series: [...missingCrikit(ctx), ...failed, ...peers.map((p) => ({ label: p.label, kind: p.kind, samples: createMs.has(p) ? [(createMs.get(p) ?? 0) / 1000] : [] }))],
        },
        { name: "Version (round-trip floor)", unit: "ms", series: [...missingCrikit(ctx), ...failed, ...version] },
        { name: "ListPodSandbox", unit: "ms", series: [...missingCrikit(ctx), ...failed, ...listPods] },
        { name: "ListContainers", unit: "ms", series: [...missingCrikit(ctx), ...failed, ...listCtrs] },
        { name: "ContainerStatus", unit: "ms", series: [...missingCrikit(ctx), ...failed, ...status] },
      ],
      notes,
    };
  } finally {
    for (const [p, mine] of pods) {
      await pool(mine, 4, (pod) => removePod(p, pod.id)).catch((e: unknown) => ctx.log(`list workload: removing pods on ${p.label}: ${String(e)}`));
    }
  }
}
