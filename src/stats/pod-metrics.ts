/**
 * The CRI metrics RPCs' content (pure): the descriptors ListMetricDescriptors
 * returns, and the conversion of a pod's readings (cgroup samples with their
 * detail, network counters, writable layers) into the `PodSandboxMetrics`
 * ListPodSandboxMetrics returns.
 *
 * ## Names, labels, types
 *
 * The metric names and types are cAdvisor's container metrics, which the
 * kubelet serves on `/metrics/cadvisor`; with the `PodAndContainerStatsFromCRI`
 * gate it serves what the runtime returns here instead, turning each
 * descriptor into a Prometheus description with `label_keys` as its
 * variable labels and each metric into a counter or gauge. Every metric
 * carries the kubelet's cAdvisor labels, in this order:
 *
 * ```
 * container   the container's name in the pod ("" for the pod itself)
 * id          the container ID (the pod sandbox ID for the pod)
 * image       the image the container was created from ("" for the pod)
 * name        the runtime's name of the container or sandbox
 * namespace   the pod's namespace
 * pod         the pod's name
 * ```
 *
 * followed by the metric's own (`cpu`, `interface`, `device`,
 * `failure_type` and `scope`).
 *
 * ## Where each value comes from
 *
 * CPU, memory and processes of a container come from its cgroup, of the
 * pod from the pod's cgroup (or the sum of its members'); network counters
 * per interface (loopback left out) are the pod's, from its network
 * namespace; `container_fs_usage_bytes` is the writable layer (device: its
 * directory). A value the host does not give (a missing file) leaves its
 * metric out; an exited container reports `container_last_seen` and its
 * writable layer only.
 *
 * The CRI's `Metric.value` is a uint64: second counters are whole seconds
 * (truncated). `timestamp` is 0: every value is read when asked.
 *
 * @packageDocumentation
 */
import type { MessageInitShape } from "@bufbuild/protobuf";
import { MetricType, type MetricDescriptorSchema, type MetricSchema, type PodSandboxMetricsSchema } from "../cri.js";
import type { CgroupSample } from "./cgroup-sample.js";
import type { NetInterfaceSample } from "./net-dev.js";
import { workingSetBytes } from "./cri-usage.js";

/** A CRI `MetricDescriptor` init shape. @public */
export type MetricDescriptorInit = MessageInitShape<typeof MetricDescriptorSchema>;
/** A CRI `Metric` init shape. @public */
export type MetricInit = MessageInitShape<typeof MetricSchema>;
/** A CRI `PodSandboxMetrics` init shape. @public */
export type PodSandboxMetricsInit = MessageInitShape<typeof PodSandboxMetricsSchema>;

/**
 * The labels every metric carries, in order (see the file header).
 *
 * @public
 */
export const METRIC_BASE_LABELS: readonly string[] = Object.freeze(["container", "id", "image", "name", "namespace", "pod"]);

/**
 * One metric crikit reports: its name, help, CRI type and the labels it
 * has beyond {@link METRIC_BASE_LABELS}.
 *
 * @public
 */
export interface MetricSpec {
  /** The cAdvisor name. */
  name: string;
  /** One line of help. */
  help: string;
  /** `COUNTER` or `GAUGE`. */
  type: "COUNTER" | "GAUGE";
  /** Labels after the base ones. */
  extraLabels: readonly string[];
}

const spec = (name: string, type: MetricSpec["type"], help: string, extraLabels: readonly string[] = []): MetricSpec => Object.freeze({ name, help, type, extraLabels: Object.freeze([...extraLabels]) });

/**
 * Every metric ListPodSandboxMetrics may return.
 *
 * @public
 */
export const METRIC_SPECS: readonly MetricSpec[] = Object.freeze([
  spec("container_cpu_usage_seconds_total", "COUNTER", "CPU time used, in whole seconds.", ["cpu"]),
  spec("container_cpu_user_seconds_total", "COUNTER", "CPU time used in user mode, in whole seconds."),
  spec("container_cpu_system_seconds_total", "COUNTER", "CPU time used in kernel mode, in whole seconds."),
  spec("container_cpu_cfs_periods_total", "COUNTER", "CFS enforcement periods that have elapsed."),
  spec("container_cpu_cfs_throttled_periods_total", "COUNTER", "CFS enforcement periods in which the cgroup was throttled."),
  spec("container_cpu_cfs_throttled_seconds_total", "COUNTER", "Time the cgroup was throttled, in whole seconds."),
  spec("container_memory_usage_bytes", "GAUGE", "Memory in use, page cache included, in bytes."),
  spec("container_memory_working_set_bytes", "GAUGE", "Memory in use minus inactive file pages, in bytes."),
  spec("container_memory_rss", "GAUGE", "Anonymous and swap cache memory, in bytes."),
  spec("container_memory_cache", "GAUGE", "Page cache, in bytes."),
  spec("container_memory_mapped_file", "GAUGE", "Memory-mapped files, in bytes."),
  spec("container_memory_swap", "GAUGE", "Swap in use, in bytes."),
  spec("container_memory_max_usage_bytes", "GAUGE", "Highest memory usage recorded, in bytes."),
  spec("container_memory_failcnt", "COUNTER", "Times the memory usage hit the limit."),
  spec("container_memory_failures_total", "COUNTER", "Page faults, by type (pgfault, pgmajfault) and scope.", ["failure_type", "scope"]),
  spec("container_spec_memory_limit_bytes", "GAUGE", "The memory limit in bytes; 0 when unlimited."),
  spec("container_oom_events_total", "COUNTER", "Processes killed by the OOM killer in the cgroup."),
  spec("container_processes", "GAUGE", "Processes in the cgroup."),
  spec("container_threads", "GAUGE", "Threads (tasks) in the cgroup."),
  spec("container_threads_max", "GAUGE", "The task limit; 0 when unlimited."),
  spec("container_network_receive_bytes_total", "COUNTER", "Bytes received.", ["interface"]),
  spec("container_network_receive_packets_total", "COUNTER", "Packets received.", ["interface"]),
  spec("container_network_receive_packets_dropped_total", "COUNTER", "Received packets dropped.", ["interface"]),
  spec("container_network_receive_errors_total", "COUNTER", "Errors while receiving.", ["interface"]),
  spec("container_network_transmit_bytes_total", "COUNTER", "Bytes transmitted.", ["interface"]),
  spec("container_network_transmit_packets_total", "COUNTER", "Packets transmitted.", ["interface"]),
  spec("container_network_transmit_packets_dropped_total", "COUNTER", "Transmitted packets dropped.", ["interface"]),
  spec("container_network_transmit_errors_total", "COUNTER", "Errors while transmitting.", ["interface"]),
  spec("container_fs_usage_bytes", "GAUGE", "Bytes used by the container's writable layer.", ["device"]),
  spec("container_start_time_seconds", "GAUGE", "When the container started, in seconds since the epoch."),
  spec("container_last_seen", "GAUGE", "When the runtime last saw the container, in seconds since the epoch."),
]);

const byName = new Map(METRIC_SPECS.map((s) => [s.name, s]));

/**
 * The descriptors of ListMetricDescriptors: one per {@link METRIC_SPECS}
 * entry, label keys the base labels then the metric's own.
 *
 * @public
 */
export function metricDescriptors(): MetricDescriptorInit[] {
  return METRIC_SPECS.map((s) => ({ name: s.name, help: s.help, labelKeys: [...METRIC_BASE_LABELS, ...s.extraLabels] }));
}

/**
 * The base label values of a container or of the pod itself.
 *
 * @public
 */
export interface MetricLabelValues {
  /** The container's name in the pod; "" for the pod. */
  container: string;
  /** Container ID, or pod sandbox ID. */
  id: string;
  /** The image; "" for the pod. */
  image: string;
  /** The runtime's name of the container or sandbox. */
  name: string;
  /** The pod's namespace. */
  namespace: string;
  /** The pod's name. */
  pod: string;
}

/**
 * What one container contributes.
 *
 * @public
 */
export interface ContainerMetricsInput {
  /** Its labels (`id` is its container ID). */
  labels: MetricLabelValues;
  /** A live cgroup reading (with `detail`); undefined once the container has exited. */
  sample?: CgroupSample | undefined;
  /** The writable layer's usage. */
  writableLayer?: { dir: string; usedBytes: bigint } | undefined;
  /** When it started, in ns since the epoch; 0 or undefined before. */
  startedAtNs?: bigint | undefined;
}

/**
 * What one pod contributes.
 *
 * @public
 */
export interface PodMetricsInput {
  /** Its labels (`id` is its sandbox ID, `container` and `image` are ""). */
  labels: MetricLabelValues;
  /** A reading of the pod's cgroup (or its members' sum); undefined for a pod that is not ready. */
  sample?: CgroupSample | undefined;
  /** The pod network namespace's interfaces (loopback left out). */
  network?: readonly NetInterfaceSample[] | undefined;
  /** Its containers. */
  containers: readonly ContainerMetricsInput[];
  /** When the reading was taken, in ns since the epoch (`container_last_seen`). */
  nowNs: bigint;
}

const NS = 1_000_000_000n;

/** Collects metrics for one subject (its base label values fixed). */
class Out {
  readonly list: MetricInit[] = [];
  readonly #base: string[];
  constructor(labels: MetricLabelValues) {
    this.#base = [labels.container, labels.id, labels.image, labels.name, labels.namespace, labels.pod];
  }
  add(name: string, value: bigint | undefined, extra: readonly string[] = []): void {
    if (value === undefined) return;
    const s = byName.get(name);
    if (s === undefined) throw new Error(`no metric spec named ${name}`);
    this.list.push({ name, timestamp: 0n, metricType: s.type === "COUNTER" ? MetricType.COUNTER : MetricType.GAUGE, labelValues: [...this.#base, ...extra], value: { value: value < 0n ? 0n : value } });
  }
}

function addCgroup(out: Out, s: CgroupSample): void {
  const d = s.detail ?? {};
  const sec = (ns: bigint | undefined): bigint | undefined => (ns === undefined ? undefined : ns / NS);
  out.add("container_cpu_usage_seconds_total", sec(s.cpuUsageNs), ["total"]);
  out.add("container_cpu_user_seconds_total", sec(d.cpuUserNs));
  out.add("container_cpu_system_seconds_total", sec(d.cpuSystemNs));
  out.add("container_cpu_cfs_periods_total", d.cfsPeriods);
  out.add("container_cpu_cfs_throttled_periods_total", d.cfsThrottledPeriods);
  out.add("container_cpu_cfs_throttled_seconds_total", sec(d.cfsThrottledNs));
  const m = s.memory;
  if (m !== undefined) {
    out.add("container_memory_usage_bytes", m.usage);
    out.add("container_memory_working_set_bytes", workingSetBytes(m));
    out.add("container_memory_rss", m.rss);
    out.add("container_memory_failures_total", m.pageFaults, ["pgfault", "hierarchy"]);
    out.add("container_memory_failures_total", m.majorPageFaults, ["pgmajfault", "hierarchy"]);
    out.add("container_spec_memory_limit_bytes", m.limit ?? 0n);
  }
  out.add("container_memory_cache", d.cacheBytes);
  out.add("container_memory_mapped_file", d.mappedFileBytes);
  out.add("container_memory_swap", s.swap?.usage);
  out.add("container_memory_max_usage_bytes", d.memoryMaxUsageBytes);
  out.add("container_memory_failcnt", d.memoryFailcnt);
  out.add("container_oom_events_total", d.oomKills);
  out.add("container_processes", d.processes);
  out.add("container_threads", d.threads ?? s.pids);
  if (d.threads !== undefined) out.add("container_threads_max", d.threadsMax ?? 0n);
}

function addNetwork(out: Out, ifaces: readonly NetInterfaceSample[]): void {
  for (const i of ifaces) {
    const n = [i.name];
    out.add("container_network_receive_bytes_total", i.rxBytes, n);
    out.add("container_network_receive_packets_total", i.rxPackets, n);
    out.add("container_network_receive_packets_dropped_total", i.rxDropped, n);
    out.add("container_network_receive_errors_total", i.rxErrors, n);
    out.add("container_network_transmit_bytes_total", i.txBytes, n);
    out.add("container_network_transmit_packets_total", i.txPackets, n);
    out.add("container_network_transmit_packets_dropped_total", i.txDropped, n);
    out.add("container_network_transmit_errors_total", i.txErrors, n);
  }
}

/**
 * One pod's `PodSandboxMetrics` (see the file header).
 *
 * @public
 */
export function toPodSandboxMetrics(input: PodMetricsInput): PodSandboxMetricsInit {
  const lastSeen = input.nowNs / NS;
  const pod = new Out(input.labels);
  if (input.sample !== undefined) addCgroup(pod, input.sample);
  if (input.network !== undefined) addNetwork(pod, input.network);
  pod.add("container_last_seen", lastSeen);
  const containerMetrics = input.containers.map((c) => {
    const out = new Out(c.labels);
    if (c.sample !== undefined) addCgroup(out, c.sample);
    if (c.writableLayer !== undefined) out.add("container_fs_usage_bytes", c.writableLayer.usedBytes, [c.writableLayer.dir]);
    if (c.startedAtNs !== undefined && c.startedAtNs > 0n) out.add("container_start_time_seconds", c.startedAtNs / NS);
    out.add("container_last_seen", lastSeen);
    return { containerId: c.labels.id, metrics: out.list };
  });
  return { podSandboxId: input.labels.id, metrics: pod.list, containerMetrics };
}
