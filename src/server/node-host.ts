/**
 * The real host effects the pure spec layer asks for, over `node:fs`: a
 * `SpecHost` (host files, stats, device nodes), a `RootfsReader` over an
 * unpacked rootfs directory (symlinks resolved inside the rootfs), and the
 * process facts spec generation needs (bounding capabilities, own
 * oom_score_adj).
 *
 * @packageDocumentation
 */
import { mkdirSync, readFileSync, readdirSync, readlinkSync, statSync, statfsSync } from "node:fs";
import { join } from "node:path";
import type { HostPathInfo, OciLinuxDevice, RootfsReader, SpecHost } from "../spec/index.js";
import { resolveInRootfs } from "../spec/index.js";
import type { ValidationHost } from "../validation/index.js";

function devMajor(rdev: number): number {
  return Number(((BigInt(rdev) >> 8n) & 0xfffn) | ((BigInt(rdev) >> 32n) & ~0xfffn));
}
function devMinor(rdev: number): number {
  return Number((BigInt(rdev) & 0xffn) | ((BigInt(rdev) >> 12n) & ~0xffn));
}

function pathInfo(path: string): HostPathInfo | undefined {
  let st;
  try {
    st = statSync(path);
  } catch {
    return undefined;
  }
  const base = { mode: st.mode & 0o7777, uid: st.uid, gid: st.gid };
  if (st.isDirectory()) return { type: "directory", ...base };
  if (st.isFile()) return { type: "file", ...base };
  if (st.isCharacterDevice()) return { type: "char-device", major: devMajor(st.rdev), minor: devMinor(st.rdev), ...base };
  if (st.isBlockDevice()) return { type: "block-device", major: devMajor(st.rdev), minor: devMinor(st.rdev), ...base };
  if (st.isFIFO()) return { type: "fifo", ...base };
  if (st.isSocket()) return { type: "socket", ...base };
  return { type: "other", ...base };
}

/**
 * A {@link SpecHost} over `node:fs`.
 *
 * @public
 */
export function createNodeSpecHost(): SpecHost {
  return {
    readFile(p) {
      try {
        return readFileSync(p);
      } catch {
        return undefined;
      }
    },
    stat: pathInfo,
    listDevices() {
      const out: OciLinuxDevice[] = [];
      const walk = (d: string): void => {
        let names: string[];
        try {
          names = readdirSync(d);
        } catch {
          return;
        }
        for (const n of names) {
          const p = join(d, n);
          if (p === "/dev/pts" || p === "/dev/shm" || p === "/dev/mqueue") continue;
          const i = pathInfo(p);
          if (i?.type === "directory") walk(p);
          else if (i?.type === "char-device" || i?.type === "block-device") {
            out.push({ path: p, type: i.type === "char-device" ? "c" : "b", major: i.major ?? 0, minor: i.minor ?? 0, fileMode: (i.mode ?? 0) & 0o777, uid: i.uid ?? 0, gid: i.gid ?? 0 });
          }
        }
      };
      walk("/dev");
      return out;
    },
    mkdirAll(p) {
      mkdirSync(p, { recursive: true });
    },
  };
}

/**
 * A {@link RootfsReader} over a rootfs directory (or mounted overlay);
 * symlinks stay inside the rootfs.
 *
 * @public
 */
export function createDirRootfsReader(rootfs: string): RootfsReader {
  const links = {
    readlink(p: string): string | undefined {
      try {
        return readlinkSync(p);
      } catch {
        return undefined;
      }
    },
  };
  return {
    readFile(p) {
      try {
        return readFileSync(resolveInRootfs(rootfs, p, links));
      } catch {
        return undefined;
      }
    },
  };
}

/**
 * The capability names of this process' bounding set, from
 * `/proc/self/status`, out of `all` (ordered by capability number).
 *
 * @public
 */
export function boundingCapabilities(all: readonly string[]): string[] {
  const line = readFileSync("/proc/self/status", "utf8").split("\n").find((l) => l.startsWith("CapBnd:"));
  const mask = BigInt(`0x${(line ?? "CapBnd:\t0").split(/\s+/)[1] ?? "0"}`);
  return all.filter((_, bit) => (mask >> BigInt(bit)) & 1n);
}

/**
 * This process' `oom_score_adj` (0 if unreadable).
 *
 * @public
 */
export function ownOomScoreAdj(): number {
  try {
    return Number(readFileSync("/proc/self/oom_score_adj", "utf8").trim()) || 0;
  } catch {
    return 0;
  }
}

/** `/proc/self/limits` row names by rlimit type. */
const LIMIT_ROWS: Readonly<Record<string, string>> = {
  RLIMIT_CPU: "Max cpu time",
  RLIMIT_FSIZE: "Max file size",
  RLIMIT_DATA: "Max data size",
  RLIMIT_STACK: "Max stack size",
  RLIMIT_CORE: "Max core file size",
  RLIMIT_RSS: "Max resident set",
  RLIMIT_NPROC: "Max processes",
  RLIMIT_NOFILE: "Max open files",
  RLIMIT_MEMLOCK: "Max locked memory",
  RLIMIT_AS: "Max address space",
  RLIMIT_LOCKS: "Max file locks",
  RLIMIT_SIGPENDING: "Max pending signals",
  RLIMIT_MSGQUEUE: "Max msgqueue size",
  RLIMIT_NICE: "Max nice priority",
  RLIMIT_RTPRIO: "Max realtime priority",
  RLIMIT_RTTIME: "Max realtime timeout",
};

const CAP_SYS_RESOURCE = 24n;

/**
 * The rlimits an OCI runtime started by this process can actually set:
 * raising a hard limit above one's own needs CAP_SYS_RESOURCE, so without
 * it each hard limit is clamped to this process' own (from
 * `/proc/self/limits`) and each soft limit to its hard limit; `clamped`
 * lists what was lowered, for a warning. With the capability the input
 * comes back unchanged.
 *
 * @public
 */
export function grantableRlimits<T extends { type: string; soft: number; hard: number }>(rlimits: readonly T[]): { rlimits: T[]; clamped: string[] } {
  const status = readFileSync("/proc/self/status", "utf8").split("\n").find((l) => l.startsWith("CapEff:"));
  const eff = BigInt(`0x${(status ?? "CapEff:\t0").split(/\s+/)[1] ?? "0"}`);
  if ((eff >> CAP_SYS_RESOURCE) & 1n) return { rlimits: rlimits.map((r) => ({ ...r })), clamped: [] };
  let rows: string[] = [];
  try {
    rows = readFileSync("/proc/self/limits", "utf8").split("\n");
  } catch {
    return { rlimits: rlimits.map((r) => ({ ...r })), clamped: [] };
  }
  const own = (type: string): number | undefined => {
    const label = LIMIT_ROWS[type];
    const row = label === undefined ? undefined : rows.find((l) => l.startsWith(label));
    const hard = row?.slice(label?.length ?? 0).trim().split(/\s+/)[1];
    return hard === undefined || hard === "unlimited" ? undefined : Number(hard);
  };
  const clamped: string[] = [];
  const out = rlimits.map((r) => {
    const max = own(r.type);
    if (max === undefined || r.hard <= max) return { ...r };
    clamped.push(`${r.type} ${r.soft}:${r.hard} -> ${Math.min(r.soft, max)}:${max}`);
    return { ...r, hard: max, soft: Math.min(r.soft, max) };
  });
  return { rlimits: out, clamped };
}

/**
 * Whether the host can limit swap: cgroup v1 with swap accounting
 * (`memory.memsw.limit_in_bytes` in the memory hierarchy's root) or cgroup
 * v2 (`memory.swap.max` in this process' own cgroup).
 *
 * @public
 */
export function swapControllerAvailable(cgroupRoot = "/sys/fs/cgroup"): boolean {
  try {
    statSync(join(cgroupRoot, "memory", "memory.memsw.limit_in_bytes"));
    return true;
  } catch {
    // no v1 memory hierarchy with swap accounting
  }
  try {
    const own = readFileSync("/proc/self/cgroup", "utf8").split("\n").find((l) => l.startsWith("0::"))?.slice(3);
    if (own === undefined) return false;
    const base = statSync(join(cgroupRoot, "cgroup.controllers"), { throwIfNoEntry: false }) ? cgroupRoot : join(cgroupRoot, "unified");
    // In a hybrid layout the v2 hierarchy holds no memory controller.
    if (!readFileSync(join(base, "cgroup.controllers"), "utf8").split(/\s+/).includes("memory")) return false;
    statSync(join(base, own, "memory.swap.max"));
    return true;
  } catch {
    return false;
  }
}

/**
 * The node facts request validation needs (see `ValidationHost`): huge page
 * sizes from `/sys/kernel/mm/hugepages`, online CPUs and memory nodes, and
 * whether `/sys/fs/cgroup` is the cgroup v2 unified hierarchy. A fact that
 * cannot be read is left out (its rule then checks syntax only).
 *
 * @public
 */
export function nodeValidationHost(): ValidationHost {
  const host: ValidationHost = {};
  try {
    host.hugepageSizes = readdirSync("/sys/kernel/mm/hugepages")
      .map((d) => /^hugepages-([0-9]+)kB$/.exec(d)?.[1])
      .filter((kb): kb is string => kb !== undefined)
      .map((kb) => {
        const n = Number(kb);
        return n % 1048576 === 0 ? `${n / 1048576}GB` : n % 1024 === 0 ? `${n / 1024}MB` : `${n}KB`;
      });
  } catch {
    // no huge page support: leave the sizes unknown
  }
  for (const [key, file] of [["onlineCpus", "/sys/devices/system/cpu/online"], ["onlineMems", "/sys/devices/system/node/online"]] as const) {
    try {
      host[key] = readFileSync(file, "utf8").trim();
    } catch {
      // unknown
    }
  }
  try {
    host.cgroupV2 = statfsSync("/sys/fs/cgroup").type === CGROUP2_SUPER_MAGIC;
  } catch {
    // unknown
  }
  return host;
}

const CGROUP2_SUPER_MAGIC = 0x63677270;
