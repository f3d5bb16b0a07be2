/**
 * Workload 5: PullImage of the ~50 MB five-layer image from the local
 * registry (fetch and unpack), cold each time: before each pull the image
 * is removed through the CRI and the bench waits until the daemon's image
 * cache is back to its size before the first pull (containerd: content
 * store plus overlay snapshots; crikitd: its root). A daemon whose cache
 * does not shrink back is reported as failed, not measured warm.
 */
import { alternate, mainPeers, missingCrikit, type BenchContext } from "./context.js";
import type { WorkloadResult } from "./result.js";
import type { Peer } from "../peers/peer.js";

const SLACK_BYTES = 2 * 1024 * 1024;

async function waitCold(p: Peer, baseline: number): Promise<void> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const now = await p.cacheBytes();
    if (now <= baseline + SLACK_BYTES) return;
    if (Date.now() > deadline) throw new Error(`${p.label} still holds ${((now - baseline) / 2 ** 20).toFixed(1)} MiB of the image after RemoveImage`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

export async function pull(ctx: BenchContext): Promise<WorkloadResult> {
  const n = ctx.quick ? 2 : 6;
  const peers = mainPeers(ctx);
  const ref = ctx.images.big;
  const baseline = new Map<Peer, number>();
  for (const p of peers) {
    await p.dropImage(ref).catch(() => undefined);
    baseline.set(p, await p.cacheBytes());
  }
  const series = await alternate(peers, n, async (p) => {
    await waitCold(p, baseline.get(p) ?? 0);
    const t0 = performance.now();
    await p.client.unary("PullImage", { image: { image: ref } }, { timeoutMs: 300_000 });
    const ms = performance.now() - t0;
    await p.dropImage(ref);
    return ms;
  });
  const mb = (ctx.images.bigBytes / 1e6).toFixed(1);
  return {
    id: "pull",
    title: `(5) Pull and unpack, ${ctx.images.bigLayers} layers, ${mb} MB compressed, cold each run, N=${n}`,
    measures: [
      { name: "PullImage", unit: "ms", series: [...missingCrikit(ctx), ...series] },
      { name: "throughput", unit: "MB/s", series: [...missingCrikit(ctx), ...series.map((s) => ({ ...s, samples: s.samples.map((ms) => ctx.images.bigBytes / 1e3 / ms) }))], higherIsBetter: true },
    ],
    notes: ["Registry: Debian docker-registry on 127.0.0.1 over plain HTTP. MB/s: a ratio above 1 means crikitd is faster."],
  };
}
