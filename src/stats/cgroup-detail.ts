/**
 * The counters of a cgroup beyond what the CRI stats messages carry, for
 * the CRI metrics RPCs (cAdvisor's container metrics): CPU time split in
 * user and system, CFS throttling, page cache, mapped files, the memory
 * limit's hit count and high-water mark, OOM kills, tasks and processes
 * (pure: text in, values out).
 *
 * ## Files read
 *
 * ```
 *                      v1                                   v2
 * user/system time     cpuacct.stat user, system (USER_HZ)   cpu.stat user_usec, system_usec
 * CFS periods          cpu.stat nr_periods, nr_throttled,    cpu.stat nr_periods, nr_throttled,
 *                        throttled_time (ns)                   throttled_usec
 * cache, mapped file   memory.stat total_cache,              memory.stat file, file_mapped
 *                        total_mapped_file
 * limit hits           memory.failcnt                        memory.events max
 * high-water mark      memory.max_usage_in_bytes             memory.peak (Linux 5.19+)
 * OOM kills            memory.oom_control oom_kill (4.13+)   memory.events oom_kill
 * tasks (threads)      pids.current, pids.max                pids.current, pids.max
 * processes            cgroup.procs (one pid a line)         cgroup.procs
 * ```
 *
 * A value whose file or key is missing stays undefined (and its metric is
 * left out).
 *
 * @packageDocumentation
 */
import { keyedValue, parseCgroupLimit, parseCgroupValue } from "./cgroup-files.js";

/**
 * The extra counters of one cgroup reading; see the file header.
 *
 * @public
 */
export interface CgroupDetail {
  /** Cumulative user CPU time, in ns. */
  cpuUserNs?: bigint | undefined;
  /** Cumulative system CPU time, in ns. */
  cpuSystemNs?: bigint | undefined;
  /** Elapsed CFS enforcement periods. */
  cfsPeriods?: bigint | undefined;
  /** CFS periods in which the cgroup was throttled. */
  cfsThrottledPeriods?: bigint | undefined;
  /** Total time throttled, in ns. */
  cfsThrottledNs?: bigint | undefined;
  /** Page cache, in bytes. */
  cacheBytes?: bigint | undefined;
  /** Memory-mapped files, in bytes. */
  mappedFileBytes?: bigint | undefined;
  /** Times the memory usage hit the limit. */
  memoryFailcnt?: bigint | undefined;
  /** Highest memory usage recorded, in bytes. */
  memoryMaxUsageBytes?: bigint | undefined;
  /** OOM kills in the cgroup. */
  oomKills?: bigint | undefined;
  /** Tasks (threads) in the cgroup: `pids.current`. */
  threads?: bigint | undefined;
  /** The task limit: `pids.max`; undefined when unlimited. */
  threadsMax?: bigint | undefined;
  /** Processes in the cgroup: lines of `cgroup.procs`. */
  processes?: bigint | undefined;
}

/**
 * The v1 files {@link detailFromV1} reads, as text (absent when unreadable).
 *
 * @public
 */
export interface DetailV1Files {
  /** `cpuacct.stat`. */
  cpuacctStat?: string | undefined;
  /** `cpu.stat` of the cpu controller. */
  cpuStat?: string | undefined;
  /** `memory.stat`. */
  memoryStat?: string | undefined;
  /** `memory.failcnt`. */
  memoryFailcnt?: string | undefined;
  /** `memory.max_usage_in_bytes`. */
  memoryMaxUsage?: string | undefined;
  /** `memory.oom_control`. */
  memoryOomControl?: string | undefined;
  /** `pids.current`. */
  pidsCurrent?: string | undefined;
  /** `pids.max`. */
  pidsMax?: string | undefined;
  /** `cgroup.procs`. */
  procs?: string | undefined;
}

/**
 * The v2 files {@link detailFromV2} reads, as text (absent when unreadable).
 *
 * @public
 */
export interface DetailV2Files {
  /** `cpu.stat`. */
  cpuStat?: string | undefined;
  /** `memory.stat`. */
  memoryStat?: string | undefined;
  /** `memory.events`. */
  memoryEvents?: string | undefined;
  /** `memory.peak`. */
  memoryPeak?: string | undefined;
  /** `pids.current`. */
  pidsCurrent?: string | undefined;
  /** `pids.max`. */
  pidsMax?: string | undefined;
  /** `cgroup.procs`. */
  procs?: string | undefined;
}

/**
 * Clock ticks per second of `cpuacct.stat` (USER_HZ, 100 on Linux for
 * every architecture the kernel exports it to user space on).
 *
 * @public
 */
export const USER_HZ = 100n;

/**
 * Lines of a file that lists one entry a line (`cgroup.procs`); undefined
 * for an absent file.
 *
 * @public
 */
export function countLines(text: string | undefined): bigint | undefined {
  if (text === undefined) return undefined;
  let n = 0n;
  for (const line of text.split("\n")) if (line.trim() !== "") n++;
  return n;
}

/** Drops the undefined values, so an absent counter is an absent key. */
function defined(d: CgroupDetail): CgroupDetail {
  const out: Record<string, bigint> = {};
  for (const [k, v] of Object.entries(d)) if (v !== undefined) out[k] = v as bigint;
  return out as CgroupDetail;
}

/**
 * The extra counters from v1 files.
 *
 * @public
 */
export function detailFromV1(f: DetailV1Files): CgroupDetail {
  const ticks = (key: string): bigint | undefined => {
    const v = keyedValue(f.cpuacctStat, key);
    return v === undefined ? undefined : (v * 1_000_000_000n) / USER_HZ;
  };
  const stat = (key: string): bigint | undefined => keyedValue(f.memoryStat, `total_${key}`) ?? keyedValue(f.memoryStat, key);
  return defined({
    cpuUserNs: ticks("user"),
    cpuSystemNs: ticks("system"),
    cfsPeriods: keyedValue(f.cpuStat, "nr_periods"),
    cfsThrottledPeriods: keyedValue(f.cpuStat, "nr_throttled"),
    cfsThrottledNs: keyedValue(f.cpuStat, "throttled_time"),
    cacheBytes: stat("cache"),
    mappedFileBytes: stat("mapped_file"),
    memoryFailcnt: parseCgroupValue(f.memoryFailcnt),
    memoryMaxUsageBytes: parseCgroupValue(f.memoryMaxUsage),
    oomKills: keyedValue(f.memoryOomControl, "oom_kill"),
    threads: parseCgroupValue(f.pidsCurrent),
    threadsMax: parseCgroupLimit(f.pidsMax),
    processes: countLines(f.procs),
  });
}

/**
 * The extra counters from v2 files.
 *
 * @public
 */
export function detailFromV2(f: DetailV2Files): CgroupDetail {
  const usec = (key: string): bigint | undefined => {
    const v = keyedValue(f.cpuStat, key);
    return v === undefined ? undefined : v * 1000n;
  };
  return defined({
    cpuUserNs: usec("user_usec"),
    cpuSystemNs: usec("system_usec"),
    cfsPeriods: keyedValue(f.cpuStat, "nr_periods"),
    cfsThrottledPeriods: keyedValue(f.cpuStat, "nr_throttled"),
    cfsThrottledNs: usec("throttled_usec"),
    cacheBytes: keyedValue(f.memoryStat, "file"),
    mappedFileBytes: keyedValue(f.memoryStat, "file_mapped"),
    memoryFailcnt: keyedValue(f.memoryEvents, "max"),
    memoryMaxUsageBytes: parseCgroupValue(f.memoryPeak),
    oomKills: keyedValue(f.memoryEvents, "oom_kill"),
    threads: parseCgroupValue(f.pidsCurrent),
    threadsMax: parseCgroupLimit(f.pidsMax),
    processes: countLines(f.procs),
  });
}

/**
 * The sum of several cgroups' details (a pod without a cgroup of its own);
 * a counter is present when any part has it; the high-water mark and the
 * task limit are left out (a sum of them means nothing).
 *
 * @public
 */
export function sumDetails(parts: readonly CgroupDetail[]): CgroupDetail {
  const out: Record<string, bigint> = {};
  for (const p of parts) {
    for (const [k, v] of Object.entries(p)) {
      if (v === undefined || k === "memoryMaxUsageBytes" || k === "threadsMax") continue;
      out[k] = (out[k] ?? 0n) + (v as bigint);
    }
  }
  return out as CgroupDetail;
}
