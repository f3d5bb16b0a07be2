/**
 * The CRI metrics' descriptors and values (pure), checked against what the
 * kubelet serves on /metrics/cadvisor (test/fixtures/metrics/
 * cadvisor-container-metrics.tsv: cAdvisor's names, types and labels).
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { MetricType } from "../../src/cri.js";
import {
  METRIC_BASE_LABELS,
  METRIC_SPECS,
  detailFromV1,
  memoryFromV1,
  metricDescriptors,
  parseNetDev,
  toPodSandboxMetrics,
  type CgroupSample,
  type MetricInit,
} from "../../src/stats/index.js";
import { NET_DEV, V1_MEMORY_STAT } from "./fixtures.js";

const cadvisor = new Map(
  readFileSync(new URL("../fixtures/metrics/cadvisor-container-metrics.tsv", import.meta.url), "utf8")
    .split("\n")
    .filter((l) => l !== "" && !l.startsWith("#"))
    .map((l) => {
      const [name = "", type = "", extra = "-"] = l.split("\t");
      return [name, { type: type.toUpperCase(), extra: extra === "-" ? [] : extra.split(",") }] as const;
    }),
);

/** The kubelet's labels of cAdvisor container metrics. */
const KUBELET_LABELS = ["container", "id", "image", "name", "namespace", "pod"];

describe("CRI metric descriptors", () => {
  it("use cAdvisor's names and types, with the kubelet's labels then the metric's own", () => {
    assert.deepEqual([...METRIC_BASE_LABELS], KUBELET_LABELS);
    for (const s of METRIC_SPECS) {
      const c = cadvisor.get(s.name);
      assert.ok(c !== undefined, `${s.name} is a cAdvisor container metric`);
      assert.equal(s.type, c.type, `${s.name} is a ${c.type.toLowerCase()}`);
      assert.deepEqual([...s.extraLabels], c.extra, `${s.name} has cAdvisor's labels`);
    }
    const descs = metricDescriptors();
    assert.equal(new Set(descs.map((d) => d.name)).size, METRIC_SPECS.length, "one descriptor per name");
    for (const d of descs) {
      const c = cadvisor.get(d.name ?? "");
      assert.deepEqual(d.labelKeys, [...KUBELET_LABELS, ...(c?.extra ?? [])]);
      assert.ok((d.help ?? "").length > 0);
    }
  });

  it("cover the metrics the issue asks for", () => {
    const names = new Set(METRIC_SPECS.map((s) => s.name));
    for (const n of [
      "container_cpu_usage_seconds_total",
      "container_cpu_cfs_throttled_periods_total",
      "container_cpu_cfs_throttled_seconds_total",
      "container_memory_usage_bytes",
      "container_memory_working_set_bytes",
      "container_memory_rss",
      "container_memory_cache",
      "container_memory_failcnt",
      "container_oom_events_total",
      "container_network_receive_bytes_total",
      "container_network_transmit_bytes_total",
      "container_network_receive_packets_total",
      "container_network_transmit_packets_total",
      "container_network_receive_errors_total",
      "container_network_transmit_errors_total",
      "container_network_receive_packets_dropped_total",
      "container_network_transmit_packets_dropped_total",
      "container_fs_usage_bytes",
      "container_processes",
      "container_threads",
      "container_last_seen",
    ]) {
      assert.ok(names.has(n), n);
    }
  });
});

describe("toPodSandboxMetrics", () => {
  const sample: CgroupSample = {
    timestampNs: 5n,
    cpuUsageNs: 3_900_000_000n,
    ...memoryFromV1({ usage: "60000000\n", limit: "104857600\n", stat: V1_MEMORY_STAT }),
    pids: 2n,
    detail: detailFromV1({ cpuacctStat: "user 300\nsystem 90\n", cpuStat: "nr_periods 7\nnr_throttled 2\nthrottled_time 1500000000\n", memoryStat: V1_MEMORY_STAT, memoryFailcnt: "0\n", memoryOomControl: "oom_kill 0\n", pidsCurrent: "2\n", pidsMax: "max\n", procs: "1\n2\n" }),
  };
  const podLabels = { container: "", id: "pod1", image: "", name: "web_ns_uid_0", namespace: "ns", pod: "web" };
  const ctrLabels = { container: "nginx", id: "ctr1", image: "nginx:1", name: "nginx_web_ns_uid_0", namespace: "ns", pod: "web" };
  const out = toPodSandboxMetrics({
    labels: podLabels,
    sample,
    network: parseNetDev(NET_DEV),
    nowNs: 1_700_000_123_400_000_000n,
    containers: [
      { labels: ctrLabels, sample, writableLayer: { dir: "/var/lib/crikit/containers/ctr1/upper", usedBytes: 4096n }, startedAtNs: 1_700_000_000_000_000_000n },
      { labels: { ...ctrLabels, container: "done", id: "ctr2" } },
    ],
  });
  const find = (list: readonly MetricInit[] | undefined, name: string, extra: string[] = []): MetricInit | undefined =>
    list?.find((m) => m.name === name && JSON.stringify(m.labelValues?.slice(6)) === JSON.stringify(extra));
  const v = (list: readonly MetricInit[] | undefined, name: string, extra: string[] = []): bigint | undefined => find(list, name, extra)?.value?.value;
  const c1 = out.containerMetrics?.[0]?.metrics;

  it("gives every value from the reading, seconds truncated to whole ones", () => {
    assert.equal(out.podSandboxId, "pod1");
    assert.equal(out.containerMetrics?.[0]?.containerId, "ctr1");
    assert.equal(v(c1, "container_cpu_usage_seconds_total", ["total"]), 3n);
    assert.equal(v(c1, "container_cpu_user_seconds_total"), 3n);
    assert.equal(v(c1, "container_cpu_system_seconds_total"), 0n);
    assert.equal(v(c1, "container_cpu_cfs_periods_total"), 7n);
    assert.equal(v(c1, "container_cpu_cfs_throttled_periods_total"), 2n);
    assert.equal(v(c1, "container_cpu_cfs_throttled_seconds_total"), 1n);
    assert.equal(v(c1, "container_memory_usage_bytes"), 60000000n);
    assert.equal(v(c1, "container_memory_working_set_bytes"), 60000000n - 13129344n, "usage minus total_inactive_file");
    assert.equal(v(c1, "container_memory_rss"), 41789952n);
    assert.equal(v(c1, "container_memory_cache"), 18228864n);
    assert.equal(v(c1, "container_memory_failures_total", ["pgmajfault", "hierarchy"]), 411n);
    assert.equal(v(c1, "container_spec_memory_limit_bytes"), 104857600n);
    assert.equal(v(c1, "container_memory_failcnt"), 0n);
    assert.equal(v(c1, "container_oom_events_total"), 0n);
    assert.equal(v(c1, "container_processes"), 2n);
    assert.equal(v(c1, "container_threads"), 2n);
    assert.equal(v(c1, "container_threads_max"), 0n, "no task limit");
    assert.equal(v(c1, "container_fs_usage_bytes", ["/var/lib/crikit/containers/ctr1/upper"]), 4096n);
    assert.equal(v(c1, "container_start_time_seconds"), 1_700_000_000n);
    assert.equal(v(c1, "container_last_seen"), 1_700_000_123n);
    assert.equal(v(c1, "container_memory_swap"), 0n, "memory.stat total_swap");
    assert.equal(find(c1, "container_memory_max_usage_bytes"), undefined, "a file not read leaves its metric out");
  });

  it("puts the network per interface on the pod, with the kubelet's label order", () => {
    const pm = out.metrics;
    assert.equal(v(pm, "container_network_receive_bytes_total", ["eth0"]), 123456n);
    assert.equal(v(pm, "container_network_receive_packets_dropped_total", ["eth0"]), 3n);
    assert.equal(v(pm, "container_network_transmit_packets_total", ["net1"]), 20n);
    assert.equal(v(pm, "container_network_transmit_packets_dropped_total", ["eth0"]), 4n);
    assert.equal(find(pm, "container_network_receive_bytes_total", ["lo"]), undefined, "loopback is left out");
    const m = find(pm, "container_network_transmit_bytes_total", ["eth0"]);
    assert.deepEqual(m?.labelValues, ["", "pod1", "", "web_ns_uid_0", "ns", "web", "eth0"]);
    assert.equal(m?.metricType, MetricType.COUNTER);
    assert.equal(m?.timestamp, 0n, "read live");
    assert.equal(find(pm, "container_memory_usage_bytes")?.metricType, MetricType.GAUGE);
    assert.equal(c1?.some((m) => (m.name ?? "").startsWith("container_network_")), false, "containers share the pod's network");
  });

  it("gives an exited container its last-seen time only, and every metric as many values as label keys", () => {
    const c2 = out.containerMetrics?.[1]?.metrics ?? [];
    assert.deepEqual(c2.map((m) => m.name), ["container_last_seen"]);
    const keys = new Map(metricDescriptors().map((d) => [d.name, d.labelKeys?.length]));
    for (const m of [...(out.metrics ?? []), ...(c1 ?? []), ...c2]) assert.equal(m.labelValues?.length, keys.get(m.name), m.name);
  });
});
