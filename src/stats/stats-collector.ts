/**
 * Container and pod stats for the CRI stats RPCs, from cgroup readings,
 * network counters and the writable layer's usage.
 *
 * The rules are in the TSDoc of {@link StatsCollector}.
 *
 * @packageDocumentation
 */
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { ContainerAttributesSchema, ContainerStatsSchema, PodSandboxAttributesSchema, PodSandboxStatsSchema } from "../cri.js";
import type { CgroupLocation } from "./cgroup-mounts.js";
import { createCgroupReader, wallClockNs, type CgroupReader, type CgroupReadOptions } from "./cgroup-reader.js";
import { sumDetails, type CgroupDetail } from "./cgroup-detail.js";
import { toPodSandboxMetrics, type MetricLabelValues, type PodSandboxMetricsInit } from "./pod-metrics.js";
import { sumSamples, type CgroupSample } from "./cgroup-sample.js";
import { CpuRateTracker } from "./cpu-rate.js";
import { toCpuUsage, toFilesystemUsage, toMemoryUsage, toNetworkUsage, toProcessUsage, toSwapUsage } from "./cri-usage.js";
import { DirUsageCache } from "./dir-usage.js";
import type { NetInterfaceSample } from "./net-dev.js";

/** A CRI `ContainerStats` init shape. @public */
export type ContainerStatsInit = MessageInitShape<typeof ContainerStatsSchema>;
/** A CRI `PodSandboxStats` init shape. @public */
export type PodSandboxStatsInit = MessageInitShape<typeof PodSandboxStatsSchema>;

/**
 * A container to report on.
 *
 * @public
 */
export interface ContainerStatsSubject {
  /** Container ID; keys the CPU baseline, writable-layer cache and cgroup location (pass it to `forget`). */
  id: string;
  /** Reported as is in CRI `ContainerStats.attributes`. */
  attributes: MessageInitShape<typeof ContainerAttributesSchema>;
  /** The container's init process while it is created or running; undefined once it has exited. */
  pid?: number | undefined;
  /** The writable layer directory (the overlay upper dir). */
  writableLayerDir?: string | undefined;
}

/**
 * A pod to report on.
 *
 * @public
 */
export interface PodStatsSubject {
  /** Pod sandbox ID; keys the pod's CPU baseline and cgroup locations (pass it to `forget`). */
  id: string;
  /** Reported as is in CRI `PodSandboxStats.attributes`. */
  attributes: MessageInitShape<typeof PodSandboxAttributesSchema>;
  /** Whether the pod is ready; a pod that is not gets attributes and its containers only. */
  ready: boolean;
  /** The pod's own cgroup path (see `podCgroupPath`), when it has one. */
  cgroupPath?: string | undefined;
  /** Running processes of the pod outside its containers (the infra process). */
  podPids: readonly number[];
  /** Whether the pod has its own network namespace (not the host's). */
  ownNetwork: boolean;
  /** Its containers. */
  containers: readonly ContainerStatsSubject[];
}

/**
 * A container to report metrics on.
 *
 * @public
 */
export interface ContainerMetricsSubject extends ContainerStatsSubject {
  /** Its metric labels (see `pod-metrics.ts`). */
  labels: MetricLabelValues;
  /** When it started, in ns since the epoch. */
  startedAtNs?: bigint | undefined;
}

/**
 * A pod to report metrics on.
 *
 * @public
 */
export interface PodMetricsSubject extends Omit<PodStatsSubject, "containers"> {
  /** Its metric labels (see `pod-metrics.ts`). */
  labels: MetricLabelValues;
  /** Its containers. */
  containers: readonly ContainerMetricsSubject[];
}

/**
 * Options of {@link StatsCollector}.
 *
 * @public
 */
export interface StatsCollectorOptions {
  /** The cgroup reader. @defaultValue `createCgroupReader()` */
  reader?: CgroupReader;
  /** How long a writable layer's usage stays fresh, in ms. @defaultValue 10000 */
  writableLayerPeriodMs?: number;
  /** Minimum window of a CPU rate, in ms (see {@link CpuRateTracker}). @defaultValue 100 */
  minRateWindowMs?: number;
  /** Wall clock in ns. @defaultValue a microsecond-precision clock */
  nowNs?: () => bigint;
  /** Called when a background writable-layer walk fails. */
  onError?: (id: string, err: unknown) => void;
}

/**
 * Containers read in one event-loop turn by the list calls: the default
 * reader's file reads are synchronous (tens of µs per container with its
 * files kept open), so a turn stays near a millisecond and other calls are
 * served in between.
 *
 * @public
 */
export const CONTAINERS_PER_TURN = 16;

function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

interface ContainerReading {
  stats: ContainerStatsInit;
  sample?: CgroupSample | undefined;
}

/**
 * Collects CRI container and pod stats. State (CPU
 *
 * ## What a subject gets
 *
 * - container: attributes always; cpu, memory and swap while its init
 *   process runs and its cgroup is readable; the writable layer always
 *   (walked at most once per period, see {@link DirUsageCache});
 * - pod: attributes; cpu, memory and process count from the pod's own
 *   cgroup (its `cgroup_parent`, as the kubelet sets it) or, without one,
 *   the sum of its running members' cgroups (containers and infra
 *   process); network from `/proc/<pid>/net/dev` of any running process in
 *   the pod's network namespace; the containers' stats.
 *
 * `usage_nano_cores` comes from the previous reading of the same object
 * ({@link CpuRateTracker}); the first reading has none.
 *
 * A process's cgroup location is cached per (object, pid): a container's
 * cgroup does not move while its init process lives.
 * baselines, writable-layer cache, cgroup locations) lives as long as the
 * collector; call {@link StatsCollector.forget} when an object is removed.
 *
 * @public
 */
export class StatsCollector {
  readonly #reader: CgroupReader;
  readonly #rates: CpuRateTracker;
  readonly #layers: DirUsageCache;
  readonly #now: () => bigint;
  readonly #locations = new Map<string, { pid: number; loc: Promise<CgroupLocation | undefined> }>();
  readonly #podCgroups = new Map<string, { path: string; loc: Promise<CgroupLocation> }>();

  constructor(options: StatsCollectorOptions = {}) {
    this.#reader = options.reader ?? createCgroupReader();
    this.#rates = new CpuRateTracker(options.minRateWindowMs !== undefined ? { minWindowMs: options.minRateWindowMs } : {});
    this.#layers = new DirUsageCache({ periodMs: options.writableLayerPeriodMs ?? 10_000, ...(options.onError ? { onError: options.onError } : {}) });
    this.#now = options.nowNs ?? wallClockNs;
  }

  /** Stats of one container. */
  async containerStats(subject: ContainerStatsSubject): Promise<ContainerStatsInit> {
    return (await this.#container(subject, false)).stats;
  }

  /** Stats of several containers, in the given order, {@link CONTAINERS_PER_TURN} per event-loop turn. */
  async listContainerStats(subjects: readonly ContainerStatsSubject[]): Promise<ContainerStatsInit[]> {
    const out: ContainerStatsInit[] = [];
    for (let i = 0; i < subjects.length; i += CONTAINERS_PER_TURN) {
      if (i > 0) await nextTurn();
      for (const r of await Promise.all(subjects.slice(i, i + CONTAINERS_PER_TURN).map((s) => this.#container(s, false)))) out.push(r.stats);
    }
    return out;
  }

  /** Stats of one pod and its containers. */
  async podStats(subject: PodStatsSubject): Promise<PodSandboxStatsInit> {
    const readings = await Promise.all(subject.containers.map((c) => this.#container(c, true)));
    const containers = readings.map((r) => r.stats);
    this.#dropPodProcesses(subject.id, subject.ready ? subject.podPids : []);
    if (!subject.ready) {
      this.#dropPodCgroup(subject.id);
      return { attributes: subject.attributes, linux: { containers } };
    }
    const [sample, network] = await Promise.all([this.#podSample(subject, readings), this.#network(subject)]);
    const linux: NonNullable<PodSandboxStatsInit["linux"]> = { containers };
    if (sample !== undefined) {
      const t = sample.timestampNs;
      if (sample.cpuUsageNs !== undefined) linux.cpu = toCpuUsage(sample.cpuUsageNs, this.#rates.observe(`pod:${subject.id}`, sample.cpuUsageNs, t), t);
      if (sample.memory !== undefined) linux.memory = toMemoryUsage(sample.memory, t);
      if (sample.pids !== undefined) linux.process = toProcessUsage(sample.pids, t);
    }
    if (network !== undefined) linux.network = network;
    return { attributes: subject.attributes, linux };
  }

  /** Stats of several pods, in the given order, about {@link CONTAINERS_PER_TURN} containers' worth per event-loop turn. */
  listPodStats(subjects: readonly PodStatsSubject[]): Promise<PodSandboxStatsInit[]> {
    return podsInTurns(subjects, (s) => this.podStats(s));
  }

  /** Drops what is kept for a removed container or pod. */
  forget(id: string): void {
    this.#rates.forget(id);
    this.#rates.forget(`pod:${id}`);
    this.#layers.forget(id);
    this.#dropLocation(id);
    this.#dropPodProcesses(id, []);
    this.#dropPodCgroup(id);
  }

  /** Drops the cached locations of a pod's processes other than `keep`. */
  #dropPodProcesses(podId: string, keep: readonly number[]): void {
    const prefix = `pod-process:${podId}:`;
    for (const k of [...this.#locations.keys()]) if (k.startsWith(prefix) && !keep.includes(Number(k.slice(prefix.length)))) this.#dropLocation(k);
  }

  #dropPodCgroup(podId: string): void {
    const pod = this.#podCgroups.get(podId);
    if (pod === undefined) return;
    this.#podCgroups.delete(podId);
    void pod.loc.then((l) => this.#reader.release?.(l));
  }

  /** Lets go of everything kept (the reader's open files included). */
  close(): void {
    this.#locations.clear();
    this.#podCgroups.clear();
    this.#reader.close?.();
  }

  #dropLocation(key: string): void {
    const cached = this.#locations.get(key);
    if (cached === undefined) return;
    this.#locations.delete(key);
    void cached.loc.then((l) => {
      if (l !== undefined) this.#reader.release?.(l);
    });
  }

  async #podSample(p: Omit<PodStatsSubject, "containers">, readings: readonly ContainerReading[], detail = false): Promise<CgroupSample | undefined> {
    const opts: CgroupReadOptions = detail ? { pids: true, detail: true } : { pids: true };
    if (p.cgroupPath !== undefined) {
      let cached = this.#podCgroups.get(p.id);
      if (cached === undefined || cached.path !== p.cgroupPath) {
        cached = { path: p.cgroupPath, loc: this.#reader.locatePath(p.cgroupPath) };
        this.#podCgroups.set(p.id, cached);
      }
      const own = await this.#reader.read(await cached.loc, opts);
      if (own !== undefined) return own;
    }
    const parts = readings.map((r) => r.sample).filter((s): s is CgroupSample => s !== undefined);
    for (const pid of p.podPids) {
      const s = await this.#readPid(`pod-process:${p.id}:${pid}`, pid, opts);
      if (s !== undefined) parts.push(s);
    }
    if (parts.length === 0) return undefined;
    const sum = sumSamples(parts, this.#now());
    if (detail) sum.detail = sumDetails(parts.map((x) => x.detail).filter((x): x is CgroupDetail => x !== undefined));
    return sum;
  }

  async #network(p: PodStatsSubject): Promise<NonNullable<PodSandboxStatsInit["linux"]>["network"]> {
    const at = this.#now();
    const ifaces = await this.#interfaces(p);
    return ifaces === undefined ? undefined : toNetworkUsage(ifaces, at);
  }

  /** The interfaces of the pod's network namespace, read through any running process in it. */
  async #interfaces(p: Pick<PodStatsSubject, "ownNetwork" | "podPids"> & { containers: readonly ContainerStatsSubject[] }): Promise<NetInterfaceSample[] | undefined> {
    if (!p.ownNetwork) return undefined;
    const pids = [...p.podPids, ...p.containers.map((c) => c.pid).filter((x): x is number => x !== undefined && x > 0)];
    for (const pid of pids) {
      const ifaces = await this.#reader.netDev(pid);
      if (ifaces !== undefined) return ifaces;
    }
    return undefined;
  }

  /**
   * The CRI metrics of one pod and its containers (see `pod-metrics.ts`).
   * Unlike the stats calls it leaves the CPU rate baselines alone.
   */
  async podMetrics(subject: PodMetricsSubject): Promise<PodSandboxMetricsInit> {
    const opts: CgroupReadOptions = { pids: true, detail: true };
    const readings = await Promise.all(
      subject.containers.map(async (c) => {
        if ((c.pid === undefined || c.pid <= 0) && this.#locations.has(c.id)) this.#dropLocation(c.id);
        const [sample, layer] = await Promise.all([
          c.pid !== undefined && c.pid > 0 ? this.#readPid(c.id, c.pid, opts) : Promise.resolve(undefined),
          c.writableLayerDir !== undefined ? this.#layers.get(c.id, c.writableLayerDir).catch(() => undefined) : Promise.resolve(undefined),
        ]);
        return { c, sample, layer };
      }),
    );
    this.#dropPodProcesses(subject.id, subject.ready ? subject.podPids : []);
    const [sample, network] = subject.ready
      ? await Promise.all([this.#podSample(subject, readings.map((r) => ({ stats: {}, sample: r.sample })), true), this.#interfaces(subject)])
      : [undefined, undefined];
    return toPodSandboxMetrics({
      labels: subject.labels,
      sample,
      network,
      nowNs: this.#now(),
      containers: readings.map(({ c, sample: s, layer }) => ({
        labels: c.labels,
        sample: s,
        ...(layer !== undefined && c.writableLayerDir !== undefined ? { writableLayer: { dir: c.writableLayerDir, usedBytes: layer.usedBytes } } : {}),
        ...(c.startedAtNs !== undefined ? { startedAtNs: c.startedAtNs } : {}),
      })),
    });
  }

  /** The metrics of several pods, in the given order, about {@link CONTAINERS_PER_TURN} containers' worth per event-loop turn. */
  listPodMetrics(subjects: readonly PodMetricsSubject[]): Promise<PodSandboxMetricsInit[]> {
    return podsInTurns(subjects, (s) => this.podMetrics(s));
  }

  async #readPid(key: string, pid: number, opts: CgroupReadOptions): Promise<CgroupSample | undefined> {
    let cached = this.#locations.get(key);
    if (cached === undefined || cached.pid !== pid) {
      this.#dropLocation(key);
      cached = { pid, loc: this.#reader.locateProcess(pid) };
      this.#locations.set(key, cached);
    }
    const loc = await cached.loc;
    if (loc === undefined) {
      this.#locations.delete(key);
      return undefined;
    }
    const s = await this.#reader.read(loc, opts);
    if (s === undefined) this.#dropLocation(key);
    return s;
  }

  async #container(c: ContainerStatsSubject, pids: boolean): Promise<ContainerReading> {
    // A container that no longer runs keeps no open files.
    if ((c.pid === undefined || c.pid <= 0) && this.#locations.has(c.id)) this.#dropLocation(c.id);
    const [sample, layer] = await Promise.all([
      c.pid !== undefined && c.pid > 0 ? this.#readPid(c.id, c.pid, { pids }) : Promise.resolve(undefined),
      c.writableLayerDir !== undefined ? this.#layers.get(c.id, c.writableLayerDir).catch(() => undefined) : Promise.resolve(undefined),
    ]);
    const stats: ContainerStatsInit = { attributes: c.attributes };
    if (sample !== undefined) {
      const t = sample.timestampNs;
      if (sample.cpuUsageNs !== undefined) stats.cpu = toCpuUsage(sample.cpuUsageNs, this.#rates.observe(c.id, sample.cpuUsageNs, t), t);
      if (sample.memory !== undefined) stats.memory = toMemoryUsage(sample.memory, t);
      if (sample.swap !== undefined) stats.swap = toSwapUsage(sample.swap, t);
    }
    if (layer !== undefined && c.writableLayerDir !== undefined) stats.writableLayer = toFilesystemUsage(c.writableLayerDir, layer.usedBytes, layer.inodesUsed, layer.timestampNs);
    return { stats, sample };
  }
}

/** `read` of each pod, in order, about {@link CONTAINERS_PER_TURN} containers' worth per event-loop turn. */
async function podsInTurns<S extends { containers: readonly unknown[] }, R>(subjects: readonly S[], read: (s: S) => Promise<R>): Promise<R[]> {
  const out: R[] = [];
  let batch: Promise<R>[] = [];
  let weight = 0;
  for (const s of subjects) {
    batch.push(read(s));
    weight += 1 + s.containers.length;
    if (weight >= CONTAINERS_PER_TURN) {
      out.push(...(await Promise.all(batch)));
      batch = [];
      weight = 0;
      await nextTurn();
    }
  }
  out.push(...(await Promise.all(batch)));
  return out;
}
