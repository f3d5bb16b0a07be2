/**
 * crikitd against containerd 1.6 (Debian, CRI plugin) under one CRI client
 * (test/helpers/cri-client.ts, grpc-js), same runc, same CNI conflist, same
 * local registry, the daemons alternating sample by sample.
 *
 * Workloads (ids for `CRIKIT_BENCH_WORKLOAD=id,id`, default all):
 *   floor      (8) runc run -d / delete -f and the CNI chain by hand
 *   pod        (1) RunPodSandbox/Stop/Remove, crikitd infra-less and infra
 *   container  (2) Create+Start, Stop+Remove in a ready pod
 *   burst      (3) 20 pods with one container each, concurrently; then 100 at once
 *   list       (4) 1,000 containers created (the set-up, timed), then
 *              ListPodSandbox/ListContainers/ContainerStatus at 1,000 containers
 *   pull       (5) cold pull+unpack of a ~50 MB five-layer image
 *   stats      (6) ListContainerStats over 100 running containers
 *   memory     (7) daemon RSS idle and at 100 running, monitors summed
 *   metrics    (9) ListPodSandboxMetrics over 50 pods (containerd: ListPodSandboxStats)
 *   tracing    (10) pod Run+Stop+Remove with crikitd's tracing off and on
 *   stream     (11) crictl exec -s / exec round trip and port-forward MB/s (real crictl, SPDY)
 *   listload   (12) ListPodSandbox/ListContainers/statuses while 10 clients run lifecycles
 * The floor is always measured (the other tables divide by it).
 *
 * `CRIKIT_BENCH_CPU_PROF=DIR` runs crikitd under `node --cpu-prof` and leaves
 * its profiles in DIR/infra-less and DIR/infra (summarise one with bench/peers/profile-top.ts).
 *
 * `npm run bench -- --only containerd-compare` runs this module alone
 * (8 to 12 minutes on 2 vCPUs, most of it creating and removing the 1,000
 * containers of workload 4; `--quick` for a smoke run of about 4). Memory
 * and stats run first, while the daemons are fresh; tables print in
 * workload order.
 * Tables go to stdout, progress to stderr, JSON to
 * bench/results/containerd-compare.json. Everything started is stopped by
 * pid and everything created (pods, mounts, netns, the crkb0 bridge, the
 * cgroup parent, temp dirs) is removed, also on failure and on SIGINT or
 * SIGTERM.
 */
import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, readFile, writeFile } from "node:fs/promises";
import os, { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { execa } from "execa";
import type { BenchRow } from "./harness.js";
import { BENCH_NET, removeBridgeAndRules, removeCgroupParent, removeTree } from "./peers/cleanup.js";
import { CNI_BIN_DIR, writeBenchConflist } from "./peers/cni-conf.js";
import { startContainerd } from "./peers/containerd-peer.js";
import { crikitdAvailable, startCrikitd } from "./peers/crikitd-peer.js";
import { prepareImages, type BenchImages } from "./peers/images.js";
import type { Peer } from "./peers/peer.js";
import { rssKiB } from "./peers/proc.js";
import { burst } from "./cri-bench/burst.js";
import { containerLifecycle } from "./cri-bench/container-lifecycle.js";
import type { BenchContext } from "./cri-bench/context.js";
import { benchAbort } from "./cri-bench/fixtures.js";
import { createFloorRunner, measureFloor, type FloorRunner } from "./cri-bench/floor.js";
import { list1000 } from "./cri-bench/list-1000.js";
import { listLoad } from "./cri-bench/list-load.js";
import { podLifecycle } from "./cri-bench/pod-lifecycle.js";
import { pull } from "./cri-bench/pull.js";
import { renderTable, stats, toRows, type WorkloadResult } from "./cri-bench/result.js";
import { running100 } from "./cri-bench/running-100.js";
import { tracingCost } from "./cri-bench/tracing-cost.js";
import { streaming } from "./cri-bench/streaming.js";

export const title = "containerd-compare";

/** Workload ids in run order. */
export const WORKLOADS = ["floor", "pod", "container", "burst", "list", "pull", "stats", "memory", "metrics", "tracing", "stream", "listload"] as const;

function selected(): Set<string> {
  const env = process.env["CRIKIT_BENCH_WORKLOAD"]?.trim();
  if (!env) return new Set(WORKLOADS);
  const ids = env.split(",").map((s) => s.trim()).filter(Boolean);
  const bad = ids.filter((i) => !(WORKLOADS as readonly string[]).includes(i));
  if (bad.length) throw new Error(`CRIKIT_BENCH_WORKLOAD: unknown workload ${bad.join(", ")}; known: ${WORKLOADS.join(", ")}`);
  return new Set(ids);
}

async function version(argv: string[]): Promise<string> {
  const r = await execa(argv[0] ?? "", argv.slice(1), { reject: false });
  return String(r.stdout || r.stderr).split("\n")[0]?.trim() ?? "?";
}

async function machineFacts(): Promise<Record<string, unknown>> {
  const dpkg = async (p: string): Promise<string> => (await execa("dpkg-query", ["-W", "-f=${Version}", p], { reject: false })).stdout || "?";
  const hybrid = await readFile("/proc/self/mountinfo", "utf8").then((t) => t.includes(" /sys/fs/cgroup/unified "));
  return {
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? "?",
    memGiB: +(os.totalmem() / 2 ** 30).toFixed(1),
    kernel: os.release(),
    cgroups: hybrid ? "v1 hybrid (cgroupfs)" : "see /sys/fs/cgroup",
    node: process.version,
    containerd: await version(["containerd", "--version"]),
    runc: await version(["/usr/sbin/runc", "--version"]),
    conmon: await version(["conmon", "--version"]),
    cniPlugins: await dpkg("containernetworking-plugins"),
    registry: await dpkg("docker-registry"),
  };
}

async function prerequisites(): Promise<void> {
  const missing: string[] = [];
  for (const b of ["containerd", "containerd-shim-runc-v2", "ctr", "/usr/sbin/runc", "conmon", "/usr/bin/docker-registry", "skopeo", "/usr/bin/catatonit", "/bin/busybox", join(CNI_BIN_DIR, "bridge")]) {
    if ((await execa("sh", ["-c", `command -v ${b}`], { reject: false })).exitCode !== 0) missing.push(b);
  }
  if (missing.length) throw new Error(`containerd-compare: missing ${missing.join(", ")}; run scripts/setup.sh (Debian packages containerd, runc, conmon, docker-registry, skopeo, catatonit, busybox-static, containernetworking-plugins)`);
  if ((await execa("ip", ["link", "show", BENCH_NET.bridge], { reject: false })).exitCode === 0) {
    throw new Error(`containerd-compare: bridge ${BENCH_NET.bridge} exists already (another bench run, or a crashed one: ip link del ${BENCH_NET.bridge})`);
  }
}

export async function run({ quick }: { quick: boolean }): Promise<BenchRow[]> {
  const want = selected();
  await prerequisites();
  const log = (m: string): void => void process.stderr.write(`[containerd-compare] ${m}\n`);
  const started = Date.now();
  const work = await mkdtemp(join(tmpdir(), "crkb-work-"));
  const cgroupParent = `/crikit-bench-${randomBytes(3).toString("hex")}`;
  const peers: Peer[] = [];
  let images: BenchImages | undefined;
  let floor: FloorRunner | undefined;
  let cleaned: Promise<string[]> | undefined;
  const cleanup = (): Promise<string[]> =>
    (cleaned ??= (async () => {
      const problems: string[] = [];
      await floor?.close();
      for (const p of peers.reverse()) problems.push(...(await p.stop().catch((e: unknown) => [`${p.label}: ${String(e)}`])));
      if (images) await images.registry.stop().catch((e: unknown) => problems.push(`registry: ${String(e)}`));
      problems.push(...(await removeBridgeAndRules()));
      problems.push(...(await removeCgroupParent(cgroupParent)));
      problems.push(...(await removeTree(work)));
      return problems;
    })());
  const onSignal = (sig: NodeJS.Signals): void => {
    log(`${sig}: cleaning up`);
    benchAbort.abort(new Error(`interrupted by ${sig}`));
    void cleanup()
      .then((problems) => problems.length && log(`cleanup notes:\n  ${problems.join("\n  ")}`))
      .finally(() => process.exit(sig === "SIGINT" ? 130 : 143));
  };
  // `on`, not `once`: with no listener of ours left, the signal-exit hook
  // execa installs would re-raise the signal and end the process mid-cleanup.
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);

  const results: WorkloadResult[] = [];
  try {
    const facts = await machineFacts();
    log(`machine: ${String(facts["cpus"])} x ${String(facts["cpuModel"])}, ${String(facts["containerd"])}`);
    const floorN = quick ? 8 : 25;
    log("floor: runc run -d and the CNI chain by hand");
    floor = await createFloorRunner(work, cgroupParent);
    await measureFloor(floor, floorN);
    images = await prepareImages(work);
    const confDir = join(work, "net.d");
    await writeBenchConflist(confDir, join(work, "ipam"));

    log("starting containerd");
    const containerd = await startContainerd({ cniConfDir: confDir, cniBinDir: CNI_BIN_DIR, registryHost: images.registry.host, sandboxImage: images.pause, cgroupParent });
    peers.push(containerd);
    const crikit: Peer[] = [];
    let crikitStatus: string | undefined;
    if (!crikitdAvailable()) {
      crikitStatus = "dist/examples/crikitd/main.js does not exist: run npm run build";
    } else {
      for (const mode of ["infra-less", "infra"] as const) {
        log(`starting crikitd (${mode})`);
        try {
          const prof = process.env["CRIKIT_BENCH_CPU_PROF"];
          const nodeFlags = prof ? ["--cpu-prof", `--cpu-prof-dir=${join(prof, mode)}`] : [];
          const p = await startCrikitd({ sandboxMode: mode, cniConfDir: confDir, cniBinDir: CNI_BIN_DIR, registryHost: images.registry.host, cgroupParent, nodeFlags });
          peers.push(p);
          crikit.push(p);
        } catch (e) {
          crikitStatus = `${mode}: ${(e as Error).message.split("\n")[0] ?? ""}`;
          log(`crikitd ${mode} did not start: ${(e as Error).message}`);
        }
      }
    }
    await new Promise((r) => setTimeout(r, 2000));
    const idleRssKiB = new Map<string, number>();
    for (const p of peers) idleRssKiB.set(p.label, await rssKiB(p.pid));
    const ctx: BenchContext = { quick, crikit, crikitStatus, containerd, images, work, floor, idleRssKiB, log };

    const step = async (id: string, fn: () => Promise<WorkloadResult | WorkloadResult[]>): Promise<void> => {
      if (benchAbort.signal.aborted) return;
      log(`workload ${id}`);
      const t0 = Date.now();
      try {
        const r = await fn();
        results.push(...(Array.isArray(r) ? r : [r]));
      } catch (e) {
        log(`workload ${id} failed: ${(e as Error).stack ?? String(e)}`);
        results.push({ id, title: `${id}: failed`, measures: [], notes: [`failed: ${(e as Error).message}`] });
      }
      log(`workload ${id} done in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
    };
    // Memory first, while every daemon is fresh (a heap grown by the
    // 1,000-container workload would otherwise count against it).
    if (want.has("stats") || want.has("memory") || want.has("metrics")) {
      await step("stats+memory+metrics", () => running100(ctx, { stats: want.has("stats"), memory: want.has("memory"), metrics: want.has("metrics") }));
    }
    if (want.has("tracing")) {
      await step("tracing", () =>
        tracingCost(ctx, (extraToml) => startCrikitd({ sandboxMode: "infra-less", cniConfDir: confDir, cniBinDir: CNI_BIN_DIR, registryHost: images?.registry.host ?? "", cgroupParent, extraToml, label: "crikitd infra-less, tracing on" }), (p) => peers.push(p)),
      );
    }
    if (want.has("pod")) await step("pod", () => podLifecycle(ctx));
    if (want.has("container")) await step("container", () => containerLifecycle(ctx));
    if (want.has("burst")) await step("burst", () => burst(ctx));
    if (want.has("list")) await step("list", () => list1000(ctx));
    if (want.has("listload")) await step("listload", () => listLoad(ctx));
    if (want.has("pull")) await step("pull", () => pull(ctx));
    if (want.has("stream")) await step("stream", () => streaming(ctx));
    if (want.has("floor")) {
      const fs = floor.samples;
      results.push({
        id: "floor",
        title: `(8) The floor: the tools by hand (${floorN} at the start, then one per round of workloads 1 and 2)`,
        measures: [
          { name: "runc run -d (busybox bundle)", unit: "ms", series: [{ label: "runc by hand", kind: "containerd", samples: fs.runcRun }] },
          { name: "runc delete -f", unit: "ms", series: [{ label: "runc by hand", kind: "containerd", samples: fs.runcDelete }] },
          { name: "CNI ADD: loopback, bridge, portmap", unit: "ms", series: [{ label: "plugins by hand", kind: "containerd", samples: fs.cniAdd }] },
          { name: "CNI DEL: portmap, bridge, loopback", unit: "ms", series: [{ label: "plugins by hand", kind: "containerd", samples: fs.cniDel }] },
        ],
        notes: [],
      });
    }

    const order = ["pod", "container", "burst", "list", "pull", "stats", "memory", "metrics", "tracing", "floor"];
    results.sort((a, b) => order.indexOf(a.id) - order.indexOf(b.id));
    const minutes = ((Date.now() - started) / 60_000).toFixed(1);
    const text = [`## crikitd vs containerd (${quick ? "quick" : "full"} run, ${minutes} min)`, "", `machine: ${JSON.stringify(facts)}`, ...(crikitStatus ? ["", `crikitd: ${crikitStatus}`] : []), "", ...results.map((w) => `${renderTable(w)}\n`)].join("\n");
    console.log(text);
    const dir = fileURLToPath(new URL("./results/", import.meta.url));
    await mkdir(dir, { recursive: true });
    const floorSummary = Object.fromEntries(Object.entries(floor.samples).map(([k, v]) => [k, stats(v as number[])]));
    await writeFile(join(dir, "containerd-compare.json"), `${JSON.stringify({ date: new Date().toISOString(), quick, minutes: Number(minutes), machine: facts, crikitd: crikitStatus ?? "ok", floor: floorSummary, workloads: results }, null, 2)}\n`);
    await writeFile(join(dir, "containerd-compare.md"), `${text}\n`);
    return results.flatMap(toRows);
  } finally {
    const problems = await cleanup();
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    if (problems.length) log(`cleanup notes:\n  ${problems.join("\n  ")}`);
  }
}
