/**
 * Container and pod stats: cgroup v1 and v2 file parsers, cgroup location
 * from `/proc/<pid>/cgroup` and the mounts, `/proc/<pid>/net/dev`, CPU
 * rates, writable-layer usage, conversion to the CRI stats messages, and
 * the {@link StatsCollector} that puts them together for the stats RPCs.
 *
 * Pure: cgroup-files, cgroup-mounts, cgroup-sample, cgroup-detail, net-dev,
 * cpu-rate, cri-usage, pod-metrics (the CRI metrics RPCs' descriptors and
 * values). Effects: cgroup-reader (behind {@link CgroupReader}),
 * dir-usage, stats-collector.
 *
 * @packageDocumentation
 */
export { CGROUP_V1_UNLIMITED_FLOOR, parseCgroupValue, parseCgroupLimit, parseKeyedValues, keyedValue, parseProcCgroup } from "./cgroup-files.js";
export type { ProcCgroupEntry } from "./cgroup-files.js";
export { parseCgroupMounts, locateProcCgroups, locateCgroupPath, podCgroupPath } from "./cgroup-mounts.js";
export type { CgroupMount, StatsController, CgroupDir, CgroupLocation } from "./cgroup-mounts.js";
export { cpuFromV1, cpuFromV2, memoryFromV1, memoryFromV2, sumSamples } from "./cgroup-sample.js";
export type { MemorySample, SwapSample, CgroupSample, MemoryV1Files, MemoryV2Files } from "./cgroup-sample.js";
export { parseNetDev } from "./net-dev.js";
export type { NetInterfaceSample } from "./net-dev.js";
export { CpuRateTracker } from "./cpu-rate.js";
export type { CpuRateTrackerOptions } from "./cpu-rate.js";
export { DEFAULT_POD_INTERFACE, workingSetBytes, toCpuUsage, toMemoryUsage, toSwapUsage, toNetworkUsage, toProcessUsage, toFilesystemUsage } from "./cri-usage.js";
export type { CpuUsageInit, MemoryUsageInit, SwapUsageInit, NetworkUsageInit, ProcessUsageInit, FilesystemUsageInit } from "./cri-usage.js";
export { createCgroupReader, wallClockNs } from "./cgroup-reader.js";
export type { CgroupReader, CgroupReaderOptions, CgroupReadOptions } from "./cgroup-reader.js";
export { dirUsage, DirUsageCache } from "./dir-usage.js";
export type { DirUsage, DirUsageCacheOptions } from "./dir-usage.js";
export { StatsCollector, CONTAINERS_PER_TURN } from "./stats-collector.js";
export type {
  StatsCollectorOptions,
  ContainerStatsSubject,
  PodStatsSubject,
  ContainerMetricsSubject,
  PodMetricsSubject,
  ContainerStatsInit,
  PodSandboxStatsInit,
} from "./stats-collector.js";
export { USER_HZ, countLines, detailFromV1, detailFromV2, sumDetails } from "./cgroup-detail.js";
export type { CgroupDetail, DetailV1Files, DetailV2Files } from "./cgroup-detail.js";
export { METRIC_BASE_LABELS, METRIC_SPECS, metricDescriptors, toPodSandboxMetrics } from "./pod-metrics.js";
export type { MetricSpec, MetricLabelValues, ContainerMetricsInput, PodMetricsInput, MetricDescriptorInit, MetricInit, PodSandboxMetricsInit } from "./pod-metrics.js";
