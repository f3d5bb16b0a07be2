/**
 * The real cgroup reader: finds a process's cgroups from
 * `/proc/<pid>/cgroup` and the cgroup mounts, and reads a cgroup's files and
 * a network namespace's counters with `node:fs/promises`, all files of one
 * reading at once. No child process runs on this path: a reading costs a
 * handful of small file reads.
 *
 * The mount table is read once, on first use (cgroup mounts do not move
 * under a running node).
 *
 * @packageDocumentation
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { parseProcCgroup } from "./cgroup-files.js";
import { locateCgroupPath, locateProcCgroups, parseCgroupMounts, type CgroupDir, type CgroupLocation, type CgroupMount } from "./cgroup-mounts.js";
import { cpuFromV1, cpuFromV2, memoryFromV1, memoryFromV2, type CgroupSample } from "./cgroup-sample.js";
import { parseNetDev, type NetInterfaceSample } from "./net-dev.js";

/**
 * What to read besides CPU, memory and swap.
 *
 * @public
 */
export interface CgroupReadOptions {
  /** Read the process count too. @defaultValue false */
  pids?: boolean;
}

/**
 * Reads cgroups and network counters (the effects of stats collection).
 *
 * @public
 */
export interface CgroupReader {
  /** The cgroup of a process; undefined when the process is gone. */
  locateProcess(pid: number): Promise<CgroupLocation | undefined>;
  /** A cgroup by its path in the hierarchy (`/kubepods/pod1`). */
  locatePath(path: string): Promise<CgroupLocation>;
  /** One reading; undefined when nothing of the cgroup is readable (it is gone). */
  read(location: CgroupLocation, options?: CgroupReadOptions): Promise<CgroupSample | undefined>;
  /** Interfaces (loopback left out) of the network namespace `pid` is in; undefined when the process is gone. */
  netDev(pid: number): Promise<NetInterfaceSample[] | undefined>;
}

/**
 * Options of {@link createCgroupReader}.
 *
 * @public
 */
export interface CgroupReaderOptions {
  /** The proc filesystem. @defaultValue "/proc" */
  procRoot?: string;
  /** The mountinfo text to use instead of reading `<procRoot>/self/mountinfo`. */
  mountinfo?: string;
  /** Wall clock in ns. @defaultValue a microsecond-precision clock */
  nowNs?: () => bigint;
}

/**
 * A wall clock in ns with sub-millisecond precision.
 *
 * @public
 */
export function wallClockNs(): bigint {
  return BigInt(Math.round((performance.timeOrigin + performance.now()) * 1000)) * 1000n;
}

async function readOpt(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, "utf8");
  } catch {
    return undefined;
  }
}

function file(d: CgroupDir | undefined, name: string): Promise<string | undefined> {
  return d === undefined ? Promise.resolve(undefined) : readOpt(join(d.dir, name));
}

/**
 * The default {@link CgroupReader} over the proc filesystem and the mounted
 * cgroup hierarchies (v1, hybrid or v2).
 *
 * @public
 */
export function createCgroupReader(options: CgroupReaderOptions = {}): CgroupReader {
  const proc = options.procRoot ?? "/proc";
  const now = options.nowNs ?? wallClockNs;
  let mounts: Promise<CgroupMount[]> | undefined;
  const getMounts = (): Promise<CgroupMount[]> => {
    mounts ??= (options.mountinfo !== undefined ? Promise.resolve(options.mountinfo) : readFile(join(proc, "self", "mountinfo"), "utf8")).then(parseCgroupMounts);
    return mounts;
  };
  return {
    async locateProcess(pid) {
      const text = await readOpt(join(proc, String(pid), "cgroup"));
      if (text === undefined) return undefined;
      return locateProcCgroups(parseProcCgroup(text), await getMounts());
    },
    async locatePath(path) {
      return locateCgroupPath(path, await getMounts());
    },
    async read(loc, opts = {}) {
      const at = now();
      const { cpu, memory: mem, pids } = loc;
      const [cpuText, m1, m2, m3, m4, m5, pidsText] = await Promise.all([
        file(cpu, cpu?.version === 1 ? "cpuacct.usage" : "cpu.stat"),
        file(mem, mem?.version === 1 ? "memory.usage_in_bytes" : "memory.current"),
        file(mem, mem?.version === 1 ? "memory.limit_in_bytes" : "memory.max"),
        file(mem, "memory.stat"),
        file(mem, mem?.version === 1 ? "memory.memsw.usage_in_bytes" : "memory.swap.current"),
        file(mem, mem?.version === 1 ? "memory.memsw.limit_in_bytes" : "memory.swap.max"),
        opts.pids === true ? file(pids, "pids.current") : Promise.resolve(undefined),
      ]);
      const cpuUsageNs = cpu?.version === 1 ? cpuFromV1(cpuText) : cpuFromV2(cpuText);
      const { memory, swap } =
        mem?.version === 1 ? memoryFromV1({ usage: m1, limit: m2, stat: m3, memswUsage: m4, memswLimit: m5 }) : memoryFromV2({ current: m1, max: m2, stat: m3, swapCurrent: m4, swapMax: m5 });
      if (cpuUsageNs === undefined && memory === undefined) return undefined;
      const count = pidsText === undefined ? undefined : /^\d+$/.test(pidsText.trim()) ? BigInt(pidsText.trim()) : undefined;
      return { timestampNs: at, cpuUsageNs, memory, swap, pids: count };
    },
    async netDev(pid) {
      const text = await readOpt(join(proc, String(pid), "net", "dev"));
      return text === undefined ? undefined : parseNetDev(text);
    },
  };
}
