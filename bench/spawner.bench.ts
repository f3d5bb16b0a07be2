/**
 * What a spawn costs the caller's event loop: runs of `/bin/true`, 4 in
 * flight, from a process grown to a daemon's size (a ~150 MiB heap of small
 * objects), once forking the caller (`directRunner`, what every adapter did)
 * and once through a spawner process (`createSpawner`). The rows are the
 * event-loop delay seen by `perf_hooks.monitorEventLoopDelay` (1 ms
 * resolution) during each burst, and the burst's wall time; the two
 * alternate, 2 bursts each (1 with --quick).
 */
import { monitorEventLoopDelay } from "node:perf_hooks";
import { createSpawner, directRunner, type ProcessRunner } from "../src/process/index.js";
import type { BenchRow } from "./harness.js";

export const title = "spawner";

async function burst(r: ProcessRunner, n: number): Promise<{ delays: number[]; ms: number }> {
  const h = monitorEventLoopDelay({ resolution: 1 });
  h.enable();
  const t0 = performance.now();
  let i = 0;
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      while (i++ < n) {
        const x = await r.run({ file: "/bin/true" });
        if (x.exitCode !== 0) throw new Error(`/bin/true: ${JSON.stringify(x)}`);
      }
    }),
  );
  const ms = performance.now() - t0;
  h.disable();
  return { delays: [h.percentile(50) / 1e6, h.percentile(90) / 1e6, h.percentile(99) / 1e6, h.max / 1e6], ms };
}

export async function run({ quick }: { quick: boolean }): Promise<BenchRow[]> {
  const ballast: unknown[] = [];
  for (let i = 0; i < 600_000; i++) ballast.push({ a: i, b: `x${i}`, c: [i] });
  const rss = process.memoryUsage().rss / 2 ** 20;
  const sp = createSpawner();
  const n = 200;
  const rows: BenchRow[] = [];
  try {
    await sp.run({ file: "/bin/true" });
    const got: Record<string, Array<{ delays: number[]; ms: number }>> = { direct: [], spawner: [] };
    for (let k = 0; k < (quick ? 1 : 2); k++) {
      got["direct"]?.push(await burst(directRunner, n));
      got["spawner"]?.push(await burst(sp, n));
    }
    for (const [name, bursts] of Object.entries(got)) {
      const worst = bursts.reduce((a, b) => ((b.delays[1] ?? 0) > (a.delays[1] ?? 0) ? b : a));
      const [p50 = 0, p90 = 0, p99 = 0, max = 0] = worst.delays;
      rows.push({ name: `event-loop delay, ${n} spawns 4 in flight, ${name}`, unit: "ms", p50, p90, p99, n: bursts.length, note: `max ${max.toFixed(1)} ms; caller RSS ${rss.toFixed(0)} MiB; worst of ${bursts.length} burst(s)` });
      rows.push({ name: `wall time of ${n} spawns, ${name}`, unit: "ms", p50: Math.min(...bursts.map((b) => b.ms)), n: bursts.length, note: "best burst" });
    }
  } finally {
    await sp.close();
    ballast.length = 0;
  }
  return rows;
}
