/**
 * Workload 10: what tracing costs a pod start. A second crikitd
 * (infra-less) runs with `[tracing] endpoint` pointed at an OTLP/HTTP sink
 * the bench runs on loopback (it reads and drops each export); every call
 * carries a sampled `traceparent`, so each RunPodSandbox is a recorded span
 * with its CNI step as a child. The first crikitd (tracing off: no SDK
 * loaded, no interceptor) and containerd alternate with it, Run+Stop+Remove
 * of one pod each, as in workload 1.
 */
import { randomBytes } from "node:crypto";
import { createServer } from "node:http";
import { alternate, missingCrikit, type BenchContext } from "./context.js";
import { podConfig as podConfigOf, podName, removePod, timed } from "./fixtures.js";
import type { Measure, WorkloadResult } from "./result.js";
import type { Peer } from "../peers/peer.js";

export async function tracingCost(ctx: BenchContext, start: (extraToml: string) => Promise<Peer>, adopt: (p: Peer) => void): Promise<WorkloadResult> {
  const n = ctx.quick ? 8 : 30;
  let exports = 0;
  let spansBytes = 0;
  const sink = createServer((req, res) => {
    req.on("data", (c: Buffer) => (spansBytes += c.length));
    req.on("end", () => {
      exports++;
      res.writeHead(200, { "content-type": "application/json" }).end("{}");
    });
  });
  await new Promise<void>((resolve) => sink.listen(0, "127.0.0.1", resolve));
  try {
    const a = sink.address();
    const port = a !== null && typeof a === "object" ? a.port : 0;
    const traced = await start(`\n[tracing]\nendpoint = "http://127.0.0.1:${port}/v1/traces"\n`);
    adopt(traced);
    const peers = [...ctx.crikit.slice(0, 1), traced, ctx.containerd];
    const run: number[][] = peers.map(() => []);
    const total = await alternate(peers, n, async (peer, i) => {
      const k = peers.indexOf(peer);
      const metadata = { traceparent: `00-${randomBytes(16).toString("hex")}-${randomBytes(8).toString("hex")}-01` };
      let id = "";
      const t = await timed(async () => {
        const r = await peer.client.unary("RunPodSandbox", { config: podConfigOf(peer, podName(`tr${i}`)) }, { timeoutMs: 120_000, metadata });
        id = r["pod_sandbox_id"] as string;
      });
      run[k]?.push(t);
      return t + (await timed(() => removePod(peer, id)));
    });
    const by = (arr: number[][]): Measure["series"] => total.map((s, k) => ({ ...s, samples: s.status && !s.samples.length ? [] : (arr[k] ?? []) }));
    await traced.stop();
    return {
      id: "tracing",
      title: `(10) Pod start with crikitd's tracing off and on (OTLP/HTTP to a loopback sink), N=${n}`,
      measures: [
        { name: "RunPodSandbox", unit: "ms", series: [...missingCrikit(ctx), ...by(run)] },
        { name: "Run+Stop+Remove", unit: "ms", series: [...missingCrikit(ctx), ...total] },
      ],
      notes: [`The sink received ${exports} OTLP exports (${(spansBytes / 1024).toFixed(0)} KiB) from the traced daemon.`],
    };
  } finally {
    await new Promise<void>((resolve) => sink.close(() => resolve()));
  }
}
