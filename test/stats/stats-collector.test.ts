/**
 * StatsCollector against a real runc container (OciRuntime, conmon, a
 * busybox rootfs) that holds about 40 MiB in a shell variable and burns
 * CPU in a busy loop, in a cgroup parent of its own. After the test the
 * container, its processes, its cgroups and the temp dirs are gone
 * (checked).
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, readdir, readlink, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { OciRuntime } from "../../src/oci/index.js";
import { StatsCollector, type ContainerStatsSubject } from "../../src/stats/index.js";
import { leftoverCgroups, makeBundle, pidAlive, processesMatching, removeTestCgroup, testRuntimes, waitFor, type TestBundle } from "../helpers/bundle.js";

const MiB = 1024n * 1024n;

/** This process's open descriptors on cgroup files whose path contains `needle`. */
async function cgroupFds(needle: string): Promise<number> {
  let n = 0;
  for (const fd of await readdir("/proc/self/fd")) {
    const target = await readlink(`/proc/self/fd/${fd}`).catch(() => "");
    if (target.startsWith("/sys/fs/cgroup/") && target.includes(needle)) n++;
  }
  return n;
}
const runc = (await testRuntimes()).find((r) => r.name === "runc");

describe("StatsCollector with a real runc container", { timeout: 120_000 }, () => {
  const parent = `/crikit-test-stats-${randomBytes(3).toString("hex")}`;
  const id = `crikit-stats-${randomBytes(4).toString("hex")}`;
  let tmp = "";
  let rt: OciRuntime;
  let bundle: TestBundle | undefined;
  let pid = 0;
  let upper = "";
  const collector = new StatsCollector({ writableLayerPeriodMs: 60_000 });
  const subject = (running: boolean): ContainerStatsSubject => ({
    id,
    attributes: { id, metadata: { name: "burner", attempt: 1 }, labels: { app: "burn" }, annotations: { note: "kept" } },
    ...(running ? { pid } : {}),
    writableLayerDir: upper,
  });

  before(async () => {
    if (runc === undefined) throw new Error("test prerequisite missing: runc is not installed");
    tmp = await mkdtemp(join(tmpdir(), "crikit-stats-"));
    upper = join(tmp, "upper");
    await mkdir(join(upper, "etc"), { recursive: true });
    await writeFile(join(upper, "etc", "written"), Buffer.alloc(64 * 1024, 7));
    rt = new OciRuntime({ stateDir: join(tmp, "state"), runtime: runc.binary, runtimeRoot: join(tmp, "root") });
    // 40 MiB held in a shell variable (anonymous memory, no tmpfs), then a busy loop.
    const script = 'x=$(head -c 41943040 /dev/zero | tr "\\000" a); while :; do :; done';
    bundle = await makeBundle({ args: ["sh", "-c", script], cgroupsPath: `${parent}/${id}` });
    pid = (await rt.create({ id, bundle: bundle.dir, logPath: join(tmp, "c.log") })).pid;
    await rt.start(id);
  });

  after(async () => {
    collector.close();
    const openFds = await cgroupFds(parent);
    await rt?.remove(id, { timeoutMs: 0 }).catch(() => undefined);
    await removeTestCgroup(`${parent}/${id}`);
    await rt?.close();
    await bundle?.cleanup();
    await rm(tmp, { recursive: true, force: true });
    assert.deepEqual(await processesMatching(id), [], "no conmon or runtime process left");
    if (pid > 0) assert.equal(await pidAlive(pid), false, "the container process is gone");
    assert.deepEqual(leftoverCgroups(`${parent}/${id}`), [], "no container cgroup left");
    assert.deepEqual(leftoverCgroups(parent), [], "no parent cgroup left");
    assert.equal(openFds, 0, "closing the collector closed every cgroup file");
  });

  it("reports growing CPU time, a CPU rate on the second reading, and the held memory", async () => {
    let first = await collector.containerStats(subject(true));
    const held = await waitFor(async () => {
      first = await collector.containerStats(subject(true));
      return (first.memory?.workingSetBytes?.value ?? 0n) > 38n * MiB;
    }, 30_000, 100);
    assert.ok(held, `the working set reached 38 MiB (last: ${first.memory?.workingSetBytes?.value})`);
    assert.deepEqual(first.attributes, { id, metadata: { name: "burner", attempt: 1 }, labels: { app: "burn" }, annotations: { note: "kept" } });
    const cpu1 = first.cpu?.usageCoreNanoSeconds?.value ?? 0n;
    assert.ok(cpu1 > 0n, "the container has used CPU");
    await new Promise((r) => setTimeout(r, 500));
    const second = await collector.containerStats(subject(true));
    const cpu2 = second.cpu?.usageCoreNanoSeconds?.value ?? 0n;
    assert.ok(cpu2 > cpu1, `CPU time grows (${cpu1} then ${cpu2})`);
    const cores = second.cpu?.usageNanoCores?.value ?? 0n;
    assert.ok(cores > 100_000_000n, `a busy loop uses more than a tenth of a core (got ${cores} nano cores)`);
    assert.ok((second.cpu?.timestamp ?? 0n) > (first.cpu?.timestamp ?? 0n));
    const m = second.memory;
    assert.ok((m?.usageBytes?.value ?? 0n) >= (m?.workingSetBytes?.value ?? 0n), "usage includes the working set");
    assert.ok((m?.rssBytes?.value ?? 0n) > 38n * MiB, `rss holds the 40 MiB (got ${m?.rssBytes?.value})`);
    assert.equal(m?.availableBytes, undefined, "no memory limit: no available bytes");
    assert.ok((m?.pageFaults?.value ?? 0n) > 0n);
    assert.ok((await cgroupFds(id)) > 0, "the container's cgroup files are kept open between readings");
    const wl = second.writableLayer;
    assert.equal(wl?.fsId?.mountpoint, upper);
    assert.equal(wl?.inodesUsed?.value, 3n, "upper, etc and the written file");
    assert.ok((wl?.usedBytes?.value ?? 0n) >= 64n * 1024n);
  });

  it("reports the pod's own cgroup (the cgroup parent): CPU, memory and process count", async () => {
    const pod = await collector.podStats({ id: "pod1", attributes: { id: "pod1" }, ready: true, cgroupPath: parent, podPids: [], ownNetwork: false, containers: [subject(true)] });
    const linux = pod.linux;
    assert.ok((linux?.cpu?.usageCoreNanoSeconds?.value ?? 0n) > 0n);
    assert.ok((linux?.memory?.workingSetBytes?.value ?? 0n) > 38n * MiB, "the parent's memory includes the container's");
    assert.ok((linux?.process?.processCount?.value ?? 0n) >= 1n, "the shell runs in the pod cgroup");
    assert.equal(linux?.containers?.length, 1);
    assert.equal(linux?.network, undefined, "host network: no pod network stats");
  });

  it("sums the running containers for a pod without a cgroup of its own", async () => {
    const pod = await collector.podStats({ id: "pod2", attributes: { id: "pod2" }, ready: true, podPids: [], ownNetwork: true, containers: [subject(true)] });
    assert.ok((pod.linux?.memory?.workingSetBytes?.value ?? 0n) > 38n * MiB);
    assert.equal(pod.linux?.memory?.availableBytes, undefined, "a sum has no limit");
    assert.ok((pod.linux?.process?.processCount?.value ?? 0n) >= 1n);
    assert.equal(pod.linux?.network, undefined, "the container's own netns has only loopback: no interface to report");
  });

  it("reports the CRI metrics of the pod and its container from the same cgroups", async () => {
    const labels = { container: "burner", id, image: "busybox", name: "burner_p_ns_u_1", namespace: "ns", pod: "p" };
    const m = await collector.podMetrics({
      id: "pod1",
      attributes: { id: "pod1" },
      ready: true,
      cgroupPath: parent,
      podPids: [],
      ownNetwork: false,
      labels: { container: "", id: "pod1", image: "", name: "p_ns_u_0", namespace: "ns", pod: "p" },
      containers: [{ ...subject(true), labels, startedAtNs: 1_700_000_000_000_000_000n }],
    });
    assert.equal(m.podSandboxId, "pod1");
    const c = m.containerMetrics?.[0];
    assert.equal(c?.containerId, id);
    const value = (list: typeof c extends undefined ? never : NonNullable<typeof c>["metrics"], name: string): bigint | undefined =>
      list?.find((x) => x.name === name)?.value?.value;
    const cm = c?.metrics ?? [];
    assert.ok((value(cm, "container_memory_working_set_bytes") ?? 0n) > 38n * MiB);
    assert.ok((value(cm, "container_memory_rss") ?? 0n) > 38n * MiB);
    assert.ok((value(cm, "container_memory_max_usage_bytes") ?? 0n) > 38n * MiB, "the high-water mark holds the 40 MiB");
    assert.equal(value(cm, "container_memory_failcnt"), 0n, "no limit, no hit");
    assert.equal(value(cm, "container_oom_events_total"), 0n);
    assert.ok(value(cm, "container_cpu_cfs_periods_total") !== undefined, "the cpu controller's cpu.stat is read (mounted apart from cpuacct here)");
    assert.ok(value(cm, "container_cpu_user_seconds_total") !== undefined);
    assert.equal(value(cm, "container_processes"), 1n, "the shell");
    assert.equal(value(cm, "container_threads"), 1n);
    assert.equal(value(cm, "container_start_time_seconds"), 1_700_000_000n);
    assert.ok((value(cm, "container_fs_usage_bytes") ?? 0n) >= 64n * 1024n);
    assert.deepEqual(cm.find((x) => x.name === "container_cpu_usage_seconds_total")?.labelValues, ["burner", id, "busybox", "burner_p_ns_u_1", "ns", "p", "total"]);
    const pm = m.metrics ?? [];
    assert.ok((value(pm, "container_memory_working_set_bytes") ?? 0n) > 38n * MiB, "the pod cgroup holds the container's memory");
    assert.ok(!pm.some((x) => (x.name ?? "").startsWith("container_network_")), "host network: no network metrics");
    assert.deepEqual(pm.find((x) => x.name === "container_last_seen")?.labelValues, ["", "pod1", "", "p_ns_u_0", "ns", "p"]);
  });

  it("reports a stopped container with attributes and writable layer only", async () => {
    await rt.stop(id, { timeoutMs: 0 });
    const s = await collector.containerStats(subject(false));
    assert.equal(s.attributes?.id, id);
    assert.equal(s.cpu, undefined);
    assert.equal(s.memory, undefined);
    assert.equal(s.swap, undefined);
    assert.equal(s.writableLayer?.inodesUsed?.value, 3n);
    assert.equal(await cgroupFds(id), 0, "a container that no longer runs keeps no cgroup file open");
    collector.forget(id);
    const again = await collector.containerStats(subject(false));
    assert.equal(again.writableLayer?.inodesUsed?.value, 3n, "a forgotten container's layer is walked again");
  });
});
