/**
 * CRI server benchmark, over the socket with the grpc-js client against
 * crikitd running as its own process (the e2e harness: local registry,
 * test bridge, runc): Version; ContainerStatus and ListContainers with
 * 1,000 containers (created, not started; 100 with --quick); and the full
 * pod lifecycle latency (RunPodSandbox + StopPodSandbox + RemovePodSandbox)
 * in both sandbox modes (infra-less: pinned namespaces, no process; infra:
 * catatonit through runc and conmon), each with CNI.
 */
import { performance } from "node:perf_hooks";
import { summarize, msPerCall, type BenchRow } from "./harness.js";
import { containerConfig, podConfig, setupE2e } from "../test/e2e/harness.js";

export const title = "CRI server (crikitd over its socket, grpc-js client)";

export async function run({ quick }: { quick: boolean }): Promise<BenchRow[]> {
  const env = await setupE2e({ logLevel: "warn" });
  const rows: BenchRow[] = [];
  try {
    const c = env.client;
    for (let i = 0; i < 300; i++) await c.unary("Version", {});
    rows.push(await msPerCall("Version", () => c.unary("Version", {}), quick ? 500 : 2000, "unary round trip"));

    await c.unary("PullImage", { image: { image: env.image } });
    const total = quick ? 100 : 1000;
    const perPod = 100;
    const ids: string[] = [];
    const t0 = performance.now();
    for (let p = 0; p < total / perPod; p++) {
      const pod = podConfig(env, `bench${p}`);
      const { pod_sandbox_id: podId } = await c.unary("RunPodSandbox", { config: pod });
      let next = 0;
      await Promise.all(
        Array.from({ length: 4 }, async () => {
          for (;;) {
            const j = next++;
            if (j >= perPod) return;
            const r = await c.unary("CreateContainer", { pod_sandbox_id: podId, config: containerConfig(env, `c${j}`, ["/bin/sleep", "600"]), sandbox_config: pod });
            ids.push(r["container_id"]);
          }
        }),
      );
    }
    const createMs = performance.now() - t0;
    rows.push({ name: `CreateContainer x${total} (4 in flight)`, unit: "ms", p50: createMs / total, n: total, note: `${(createMs / 1000).toFixed(1)} s in all; mean per container` });
    rows.push(await msPerCall(`ContainerStatus (${total} containers)`, (i) => c.unary("ContainerStatus", { container_id: ids[(i * 7919) % ids.length] }), quick ? 500 : 2000));
    rows.push(await msPerCall(`ListContainers (${total} containers)`, () => c.unary("ListContainers", {}), quick ? 20 : 100));
    rows.push(await msPerCall(`ListContainers, state filter (${total} containers)`, () => c.unary("ListContainers", { filter: { state: { state: "CONTAINER_CREATED" } } }), quick ? 20 : 100));
    const removeT0 = performance.now();
    for (const p of (await c.unary("ListPodSandbox", {}))["items"]) await c.unary("RemovePodSandbox", { pod_sandbox_id: p["id"] });
    rows.push({ name: `RemovePodSandbox of ${total / perPod} pods with ${total} containers`, unit: "ms", p50: (performance.now() - removeT0) / total, n: total, note: "mean per container" });

    for (const mode of ["infra-less", "infra"] as const) {
      const n = quick ? 10 : 30;
      const run: number[] = [];
      const stop: number[] = [];
      const remove: number[] = [];
      const all: number[] = [];
      for (let i = 0; i < n + 2; i++) {
        const pod = podConfig(env, `life-${mode}-${i}`, {
          linux: { security_context: { namespace_options: { network: "POD", pid: mode === "infra" ? "POD" : "CONTAINER", ipc: "POD" } } },
        });
        const a = performance.now();
        const { pod_sandbox_id: id } = await c.unary("RunPodSandbox", { config: pod });
        const b = performance.now();
        await c.unary("StopPodSandbox", { pod_sandbox_id: id });
        const d = performance.now();
        await c.unary("RemovePodSandbox", { pod_sandbox_id: id });
        const e = performance.now();
        if (i < 2) continue; // warm up
        run.push(b - a);
        stop.push(d - b);
        remove.push(e - d);
        all.push(e - a);
      }
      rows.push(summarize(`pod lifecycle, ${mode} (Run+Stop+Remove)`, "ms", all, "CNI bridge + host-local + portmap"));
      rows.push(summarize(`  RunPodSandbox, ${mode}`, "ms", run));
      rows.push(summarize(`  StopPodSandbox, ${mode}`, "ms", stop));
      rows.push(summarize(`  RemovePodSandbox, ${mode}`, "ms", remove));
    }
  } finally {
    await env.cleanup();
  }
  return rows;
}
