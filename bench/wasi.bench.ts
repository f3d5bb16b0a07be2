/**
 * WASI pod+container start-up through crikitd (the e2e harness, over its
 * socket): RunPodSandbox with `runtime_handler` `wasi`, CreateContainer and
 * StartContainer of an image whose entrypoint is a `.wasm` module (built
 * here from WebAssembly text), until StartContainer returns (the module is
 * instantiated and running). Host-network pods measure the handler alone;
 * pod-network ones add the CNI bridge. The same steps with runc (an
 * infra-less pod, busybox `sleep`) give the floor it is compared with.
 * The first row is the handler's own share, in process, without the service.
 *
 * Seen at load average 4-6 on the 2 vCPUs (p50): the runtime alone 12-17
 * ms; through crikitd, create+start 74-84 ms for wasi against 113 ms for
 * runc, pod+container 81-121 ms (host network) against runc's 158 ms. Most of
 * a WASI container's start is the service's shared path (image rootfs
 * mount, spec, records), not the module.
 */
import { performance } from "node:perf_hooks";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { WasiRuntime } from "../examples/wasi-runtime/wasi-runtime.js";
import { summarize, type BenchRow } from "./harness.js";
import { buildOciLayout } from "../test/helpers/oci-layout.js";
import { pushLayout } from "../test/helpers/registry.js";
import { wat2wasm, watPrintExit } from "../test/helpers/wasm.js";
import { containerConfig, podConfig, setupE2e } from "../test/e2e/harness.js";

export const title = "WASI runtime handler (crikitd over its socket)";

/** The handler's own share: WasiRuntime create + start in this process (bundle by hand, warm worker). */
async function runtimeAlone(n: number): Promise<BenchRow> {
  const tmp = await mkdtemp(join(tmpdir(), "crikit-bench-wasi-"));
  const rt = new WasiRuntime({ stateDir: join(tmp, "state") });
  try {
    const bundle = join(tmp, "bundle");
    await mkdir(join(bundle, "rootfs"), { recursive: true });
    await writeFile(join(bundle, "rootfs", "hello.wasm"), wat2wasm(watPrintExit("hello from wasi\n", 0)));
    await writeFile(join(bundle, "config.json"), JSON.stringify({ root: { path: "rootfs" }, process: { args: ["/hello.wasm"], env: [], cwd: "/" } }));
    const samples: number[] = [];
    for (let i = 0; i < n + 2; i++) {
      const a = performance.now();
      await rt.create({ id: `c${i}`, bundle, logPath: join(tmp, `c${i}.log`) });
      await rt.start(`c${i}`);
      if (i >= 2) samples.push(performance.now() - a);
      await new Promise((r) => setTimeout(r, 100)); // the next spare worker boots
    }
    return summarize("WasiRuntime create + start alone (in process)", "ms", samples, "compile, worker hand-off, instantiate, two records");
  } finally {
    await rt.close();
    await rm(tmp, { recursive: true, force: true });
  }
}

export async function run({ quick }: { quick: boolean }): Promise<BenchRow[]> {
  const rows: BenchRow[] = [await runtimeAlone(quick ? 8 : 25)];
  const env = await setupE2e({ logLevel: "warn" });
  try {
    const c = env.client;
    const layout = join(env.dir, "wasi-layout");
    const module = wat2wasm(watPrintExit("hello from wasi\n", 0));
    await buildOciLayout(layout, [{ tag: "1", image: { config: { Entrypoint: ["/hello.wasm"] }, layers: [{ entries: [{ path: "hello.wasm", content: module, mode: 0o755 }] }] } }]);
    const wasiImage = `${env.registry.host}/bench/wasi:1`;
    await pushLayout(layout, "1", wasiImage);
    await c.unary("PullImage", { image: { image: wasiImage } });
    await c.unary("PullImage", { image: { image: env.image } });
    const n = quick ? 8 : 25;
    const cases = [
      { name: "wasi, host network", handler: "wasi", network: "NODE", image: wasiImage, command: [] as string[] },
      { name: "wasi, pod network (CNI)", handler: "wasi", network: "POD", image: wasiImage, command: [] as string[] },
      { name: "runc, host network (infra-less)", handler: "runc", network: "NODE", image: env.image, command: ["/bin/sleep", "600"] },
    ];
    for (const k of cases) {
      const all: number[] = [];
      const runp: number[] = [];
      const ctr: number[] = [];
      for (let i = 0; i < n + 2; i++) {
        const pod = podConfig(env, `wasi-bench-${k.handler}-${k.network}-${i}`, { linux: { security_context: { namespace_options: { network: k.network, pid: "CONTAINER", ipc: "POD" } } } });
        const a = performance.now();
        const { pod_sandbox_id: podId } = await c.unary("RunPodSandbox", { config: pod, runtime_handler: k.handler });
        const b = performance.now();
        const cfg = containerConfig(env, "app", k.command, { image: { image: k.image } });
        const { container_id: id } = await c.unary("CreateContainer", { pod_sandbox_id: podId, config: cfg, sandbox_config: pod });
        await c.unary("StartContainer", { container_id: id });
        const d = performance.now();
        await c.unary("StopPodSandbox", { pod_sandbox_id: podId });
        await c.unary("RemovePodSandbox", { pod_sandbox_id: podId });
        if (i < 2) continue; // warm up
        all.push(d - a);
        runp.push(b - a);
        ctr.push(d - b);
      }
      rows.push(summarize(`pod+container start, ${k.name}`, "ms", all, "RunPodSandbox + CreateContainer + StartContainer"));
      rows.push(summarize(`  RunPodSandbox, ${k.name}`, "ms", runp));
      rows.push(summarize(`  CreateContainer + StartContainer, ${k.name}`, "ms", ctr));
    }
  } finally {
    await env.cleanup();
  }
  return rows;
}
