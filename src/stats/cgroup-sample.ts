/**
 * One reading of a cgroup's CPU, memory, swap and process counters, built
 * from the text of its interface files (pure). All values are bigint, as
 * the CRI's uint64 fields are.
 *
 * ## Files read
 *
 * ```
 *            v1                                         v2
 * cpu        cpuacct.usage (ns)                         cpu.stat usage_usec (µs)
 * memory     memory.usage_in_bytes, .limit_in_bytes     memory.current, memory.max
 *            memory.stat total_inactive_file,           memory.stat inactive_file, anon,
 *              total_rss, total_pgfault, total_pgmajfault  pgfault, pgmajfault
 * swap       memory.stat total_swap,                    memory.swap.current, memory.swap.max
 *            hierarchical_memsw_limit - hierarchical_memory_limit
 *            (or memory.memsw.* when given)
 * processes  pids.current                               pids.current
 * ```
 *
 * @packageDocumentation
 */
import { keyedValue, parseCgroupLimit, parseCgroupValue } from "./cgroup-files.js";
import type { CgroupDetail } from "./cgroup-detail.js";

/**
 * Memory counters of a cgroup.
 *
 * @public
 */
export interface MemorySample {
  /** Total memory in use, page cache included. */
  usage: bigint;
  /** The limit; undefined when unlimited. */
  limit?: bigint | undefined;
  /** Inactive file-backed pages (reclaimable first; excluded from the working set). */
  inactiveFile: bigint;
  /** Anonymous and swap cache memory. */
  rss: bigint;
  /** Cumulative minor page faults. */
  pageFaults: bigint;
  /** Cumulative major page faults. */
  majorPageFaults: bigint;
}

/**
 * Swap counters of a cgroup.
 *
 * @public
 */
export interface SwapSample {
  /** Swap in use, in bytes (CRI `SwapUsage.swap_usage_bytes`). */
  usage: bigint;
  /** The swap limit; undefined when unlimited. */
  limit?: bigint | undefined;
}

/**
 * One reading of a cgroup; a part whose files are missing is absent.
 *
 * @public
 */
export interface CgroupSample {
  /** When it was read, in ns since the epoch. */
  timestampNs: bigint;
  /** Cumulative CPU time, in ns. */
  cpuUsageNs?: bigint | undefined;
  /** Memory counters (CRI `MemoryUsage`); absent when the usage file is missing. */
  memory?: MemorySample | undefined;
  /** Swap counters (CRI `SwapUsage`); absent without swap accounting. */
  swap?: SwapSample | undefined;
  /** Number of processes (tasks). */
  pids?: bigint | undefined;
  /** The counters beyond the CRI stats (see `cgroup-detail.ts`), when asked for. */
  detail?: CgroupDetail | undefined;
}

/**
 * The v1 memory files of a cgroup, as text (absent when unreadable).
 *
 * @public
 */
export interface MemoryV1Files {
  /** `memory.usage_in_bytes`; without it there is no memory sample. */
  usage?: string | undefined;
  /** `memory.limit_in_bytes`. */
  limit?: string | undefined;
  /** `memory.stat`; also the swap source when `memswUsage` is absent. */
  stat?: string | undefined;
  /** `memory.memsw.usage_in_bytes` (memory plus swap); swap is this minus `usage`. */
  memswUsage?: string | undefined;
  /** `memory.memsw.limit_in_bytes` (memory plus swap); used only with `memswUsage`. */
  memswLimit?: string | undefined;
}

/**
 * The v2 memory files of a cgroup, as text (absent when unreadable).
 *
 * @public
 */
export interface MemoryV2Files {
  /** `memory.current`; without it there is no memory sample. */
  current?: string | undefined;
  /** `memory.max` (`max` when unlimited). */
  max?: string | undefined;
  /** `memory.stat`. */
  stat?: string | undefined;
  /** `memory.swap.current`; without it there is no swap sample. */
  swapCurrent?: string | undefined;
  /** `memory.swap.max` (`max` when unlimited). */
  swapMax?: string | undefined;
}

/**
 * CPU time in ns from v1 `cpuacct.usage`.
 *
 * @public
 */
export function cpuFromV1(cpuacctUsage: string | undefined): bigint | undefined {
  return parseCgroupValue(cpuacctUsage);
}

/**
 * CPU time in ns from v2 `cpu.stat` (`usage_usec`).
 *
 * @public
 */
export function cpuFromV2(cpuStat: string | undefined): bigint | undefined {
  const usec = keyedValue(cpuStat, "usage_usec");
  return usec === undefined ? undefined : usec * 1000n;
}

/**
 * Memory and swap from v1 files. Memory is undefined without
 * `memory.usage_in_bytes`. Swap needs swap accounting: from
 * `memory.memsw.*` when given, else from `memory.stat` (`total_swap`, and
 * the limit as `hierarchical_memsw_limit` − `hierarchical_memory_limit`),
 * which saves two reads per container.
 *
 * @public
 */
export function memoryFromV1(files: MemoryV1Files): { memory?: MemorySample; swap?: SwapSample } {
  const usage = parseCgroupValue(files.usage);
  if (usage === undefined) return {};
  const limit = parseCgroupLimit(files.limit);
  const st = files.stat;
  const pick = (key: string): bigint => keyedValue(st, `total_${key}`) ?? keyedValue(st, key) ?? 0n;
  const memory: MemorySample = {
    usage,
    limit,
    inactiveFile: pick("inactive_file"),
    rss: pick("rss"),
    pageFaults: pick("pgfault"),
    majorPageFaults: pick("pgmajfault"),
  };
  const memsw = parseCgroupValue(files.memswUsage);
  if (memsw !== undefined) {
    const memswLimit = parseCgroupLimit(files.memswLimit);
    const swapLimit = memswLimit !== undefined && limit !== undefined ? nonNegative(memswLimit - limit) : undefined;
    return { memory, swap: { usage: nonNegative(memsw - usage), limit: swapLimit } };
  }
  const swap = keyedValue(st, "total_swap") ?? keyedValue(st, "swap");
  if (swap === undefined) return { memory };
  const hMem = parseCgroupLimit(keyedValue(st, "hierarchical_memory_limit")?.toString());
  const hSw = parseCgroupLimit(keyedValue(st, "hierarchical_memsw_limit")?.toString());
  return { memory, swap: { usage: swap, limit: hMem !== undefined && hSw !== undefined ? nonNegative(hSw - hMem) : undefined } };
}

/**
 * Memory and swap from v2 files. Memory is undefined without
 * `memory.current`; swap needs `memory.swap.current`.
 *
 * @public
 */
export function memoryFromV2(files: MemoryV2Files): { memory?: MemorySample; swap?: SwapSample } {
  const usage = parseCgroupValue(files.current);
  if (usage === undefined) return {};
  const st = files.stat;
  const memory: MemorySample = {
    usage,
    limit: parseCgroupLimit(files.max),
    inactiveFile: keyedValue(st, "inactive_file") ?? 0n,
    rss: keyedValue(st, "anon") ?? 0n,
    pageFaults: keyedValue(st, "pgfault") ?? 0n,
    majorPageFaults: keyedValue(st, "pgmajfault") ?? 0n,
  };
  const swap = parseCgroupValue(files.swapCurrent);
  if (swap === undefined) return { memory };
  return { memory, swap: { usage: swap, limit: parseCgroupLimit(files.swapMax) } };
}

function nonNegative(v: bigint): bigint {
  return v < 0n ? 0n : v;
}

/**
 * The sum of several cgroups' samples (a pod without a cgroup of its own:
 * its containers). A part is present when any sample has it; limits are
 * dropped (a sum of limits is no limit of anything). The timestamp is the
 * latest one.
 *
 * @public
 */
export function sumSamples(samples: readonly CgroupSample[], timestampNs: bigint): CgroupSample {
  const out: CgroupSample = { timestampNs };
  for (const s of samples) {
    if (s.timestampNs > out.timestampNs) out.timestampNs = s.timestampNs;
    if (s.cpuUsageNs !== undefined) out.cpuUsageNs = (out.cpuUsageNs ?? 0n) + s.cpuUsageNs;
    if (s.pids !== undefined) out.pids = (out.pids ?? 0n) + s.pids;
    if (s.memory !== undefined) {
      const m = out.memory ?? { usage: 0n, inactiveFile: 0n, rss: 0n, pageFaults: 0n, majorPageFaults: 0n };
      out.memory = {
        usage: m.usage + s.memory.usage,
        inactiveFile: m.inactiveFile + s.memory.inactiveFile,
        rss: m.rss + s.memory.rss,
        pageFaults: m.pageFaults + s.memory.pageFaults,
        majorPageFaults: m.majorPageFaults + s.memory.majorPageFaults,
      };
    }
    if (s.swap !== undefined) out.swap = { usage: (out.swap?.usage ?? 0n) + s.swap.usage };
  }
  return out;
}
