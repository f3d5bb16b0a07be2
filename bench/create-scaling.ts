/**
 * How CreateContainer's time grows with the containers present: starts a
 * crikitd (infra-less) against the bench's registry and CNI set-up, creates
 * N containers in pods of 20 (4 pods in flight, as the list workload does)
 * and prints the mean time per container over each block of 200.
 * Usage: node --import tsx bench/create-scaling.ts [N=1000]
 * Set CREATE_SCALING_PAUSE=1 to wait for Enter before removing everything.
 */
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { createInterface } from "node:readline";
import { removeBridgeAndRules, removeCgroupParent, removeTree } from "./peers/cleanup.js";
import { CNI_BIN_DIR, writeBenchConflist } from "./peers/cni-conf.js";
import { startCrikitd } from "./peers/crikitd-peer.js";
import { prepareImages } from "./peers/images.js";
import { createContainer, podName, pool, removePod, runPod, type ReadyPod } from "./cri-bench/fixtures.js";

const N = Number(process.argv[2] ?? 1000);
const PER_POD = 20;
const work = await mkdtemp(join(tmpdir(), "crkb-scaling-"));
const cgroupParent = `/crikit-bench-${randomBytes(3).toString("hex")}`;
const images = await prepareImages(work);
const confDir = join(work, "net.d");
await writeBenchConflist(confDir, join(work, "ipam"));
const p = await startCrikitd({ sandboxMode: "infra-less", cniConfDir: confDir, cniBinDir: CNI_BIN_DIR, registryHost: images.registry.host, cgroupParent });
const pods: ReadyPod[] = [];
try {
  await p.client.unary("PullImage", { image: { image: images.busybox } }, { timeoutMs: 120_000 });
  const done: number[] = [];
  const t0 = performance.now();
  await pool(Array.from({ length: N / PER_POD }, (_, i) => i), 4, async (i) => {
    const pod = await runPod(p, podName(`s${i}`));
    pods.push(pod);
    for (let j = 0; j < PER_POD; j++) {
      await createContainer(p, pod, `c${j}`, images.busybox);
      done.push(performance.now() - t0);
    }
  });
  const total = performance.now() - t0;
  for (let k = 0; k < N; k += 200) {
    const a = k === 0 ? 0 : (done[k - 1] ?? 0);
    const b = done[Math.min(k + 199, N - 1)] ?? 0;
    console.log(`containers ${k + 1}-${k + 200}: ${((b - a) / 200).toFixed(1)} ms per container (wall, 4 pods in flight)`);
  }
  console.log(`total ${(total / 1000).toFixed(1)} s for ${N} containers (${(total / N).toFixed(1)} ms each); pods in the first block are included`);
  if (process.env["CREATE_SCALING_PAUSE"] === "1") {
    console.log(`crikitd pid ${p.pid}; press Enter to clean up`);
    await new Promise((r) => createInterface({ input: process.stdin }).once("line", r));
  }
} finally {
  await pool(pods, 4, (pod) => removePod(p, pod.id)).catch((e: unknown) => console.error(`removing pods: ${String(e)}`));
  for (const m of await p.stop()) console.error(m);
  await images.registry.stop();
  for (const m of [...(await removeBridgeAndRules()), ...(await removeCgroupParent(cgroupParent)), ...(await removeTree(work))]) console.error(m);
}
