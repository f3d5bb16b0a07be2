/**
 * Where a cgroup's files are: cgroup mounts from `/proc/self/mountinfo`,
 * and the directory of each controller crikit reads (pure).
 *
 * ## Layouts
 *
 * ```
 * v2 only   /sys/fs/cgroup                       cgroup2   cpu.stat, memory.*, pids.current
 * v1 hybrid /sys/fs/cgroup/{cpuacct,memory,pids} cgroup    one hierarchy per controller (or co-mounted "cpu,cpuacct")
 *           /sys/fs/cgroup/unified               cgroup2   usually without controllers
 * ```
 *
 * A controller mounted as v1 is read there; otherwise from the v2 hierarchy.
 * A mountinfo line is `ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTS [OPTIONAL...] - FSTYPE SOURCE SUPEROPTS`;
 * v1 controllers are in SUPEROPTS; ROOT is the mounted subtree (a cgroup
 * path), so a cgroup at PATH is in `MOUNTPOINT + PATH without ROOT`.
 *
 * @packageDocumentation
 */
import { parseMountInfo } from "../network/mountinfo.js";
import type { ProcCgroupEntry } from "./cgroup-files.js";

/**
 * One cgroup filesystem mount.
 *
 * @public
 */
export interface CgroupMount {
  /** 1 for `cgroup`, 2 for `cgroup2`. */
  version: 1 | 2;
  /** Where it is mounted. */
  mountPoint: string;
  /** The cgroup path mounted there (`/` for the whole hierarchy). */
  root: string;
  /** v1 controllers (`cpu`, `cpuacct`, `name=systemd`, ...); empty for v2. */
  controllers: string[];
}

/**
 * The controllers crikit reads stats from: `cpu` (v1 `cpuacct`), `memory`, `pids`.
 *
 * @public
 */
export type StatsController = "cpu" | "memory" | "pids";

/**
 * A controller's directory and the cgroup version of its files.
 *
 * @public
 */
export interface CgroupDir {
  /** 1 when the controller is mounted as a v1 hierarchy, else 2; selects which files are read. */
  version: 1 | 2;
  /** Absolute path of the cgroup's directory in that controller's mount. */
  dir: string;
}

/**
 * The directories of one cgroup, per controller; a controller with no
 * mount is absent.
 *
 * @public
 */
export type CgroupLocation = Partial<Record<StatsController, CgroupDir>>;

const V1_NAME: Record<StatsController, string> = { cpu: "cpuacct", memory: "memory", pids: "pids" };
const GENERIC_OPTIONS = new Set(["rw", "ro", "relatime", "noatime", "nosuid", "nodev", "noexec", "clone_children", "xattr", "noprefix", "cpuset_v2_mode", "nsdelegate", "memory_recursiveprot", "memory_localevents", "favordynmods"]);

/**
 * The cgroup mounts in a `/proc/<pid>/mountinfo` text.
 *
 * @public
 */
export function parseCgroupMounts(mountinfo: string): CgroupMount[] {
  const out: CgroupMount[] = [];
  for (const m of parseMountInfo(mountinfo)) {
    if ((m.fsType !== "cgroup" && m.fsType !== "cgroup2") || m.mountPoint === "") continue;
    const controllers =
      m.fsType === "cgroup" ? m.superOptions.split(",").filter((o) => o.startsWith("name=") || (/^[a-z_]+$/.test(o) && !GENERIC_OPTIONS.has(o))) : [];
    out.push({ version: m.fsType === "cgroup" ? 1 : 2, mountPoint: m.mountPoint, root: m.root, controllers });
  }
  return out;
}

function under(mount: CgroupMount, path: string): string {
  const root = mount.root === "/" ? "" : mount.root.replace(/\/+$/, "");
  const rel = root !== "" && (path === root || path.startsWith(`${root}/`)) ? path.slice(root.length) : path;
  const base = mount.mountPoint.replace(/\/+$/, "");
  return rel === "" || rel === "/" ? base || "/" : `${base}${rel.startsWith("/") ? "" : "/"}${rel}`;
}

/** The mount of a hierarchy that holds `path`, preferring the longest matching root. */
function pick(mounts: readonly CgroupMount[], path: string): CgroupMount | undefined {
  let best: CgroupMount | undefined;
  let bestLen = -1;
  for (const m of mounts) {
    const r = m.root === "/" ? "" : m.root.replace(/\/+$/, "");
    const fits = r === "" || path === r || path.startsWith(`${r}/`);
    const len = fits ? r.length : -2;
    if (len > bestLen) {
      best = m;
      bestLen = len;
    }
  }
  return best;
}

/**
 * The controller directories of a process, from its `/proc/<pid>/cgroup`
 * entries and the cgroup mounts.
 *
 * @public
 */
export function locateProcCgroups(entries: readonly ProcCgroupEntry[], mounts: readonly CgroupMount[]): CgroupLocation {
  const loc: CgroupLocation = {};
  const v2Entry = entries.find((e) => e.hierarchy === 0 && e.controllers.length === 0);
  const v2Mounts = mounts.filter((m) => m.version === 2);
  for (const c of ["cpu", "memory", "pids"] as const) {
    const name = V1_NAME[c];
    const v1Mounts = mounts.filter((m) => m.version === 1 && m.controllers.includes(name));
    const v1Entry = entries.find((e) => e.controllers.includes(name));
    if (v1Mounts.length > 0) {
      const m = v1Entry ? pick(v1Mounts, v1Entry.path) : undefined;
      if (v1Entry && m) loc[c] = { version: 1, dir: under(m, v1Entry.path) };
      continue;
    }
    if (v2Entry !== undefined) {
      const m = pick(v2Mounts, v2Entry.path);
      if (m) loc[c] = { version: 2, dir: under(m, v2Entry.path) };
    }
  }
  return loc;
}

/**
 * The controller directories of a cgroup path (the same path in every
 * hierarchy, as runc's cgroupfs driver makes them).
 *
 * @public
 */
export function locateCgroupPath(path: string, mounts: readonly CgroupMount[]): CgroupLocation {
  const p = path.startsWith("/") ? path : `/${path}`;
  const entries: ProcCgroupEntry[] = [{ hierarchy: 0, controllers: [], path: p }];
  for (const c of ["cpu", "memory", "pids"] as const) entries.push({ hierarchy: -1, controllers: [V1_NAME[c]], path: p });
  return locateProcCgroups(entries, mounts);
}

/**
 * The cgroup path of a pod from its `cgroup_parent`: the path itself with
 * cgroupfs; with systemd, a slice name expands to its nesting
 * (`kubepods-burstable-pod1.slice` is
 * `/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod1.slice`).
 * Undefined for an empty parent.
 *
 * @public
 */
export function podCgroupPath(driver: "cgroupfs" | "systemd", cgroupParent: string): string | undefined {
  const parent = cgroupParent.trim();
  if (parent === "") return undefined;
  if (driver === "systemd" && !parent.includes("/") && parent.endsWith(".slice")) {
    const name = parent.slice(0, -".slice".length);
    if (name === "-" || name === "") return "/";
    const parts = name.split("-");
    const out: string[] = [];
    for (let i = 1; i <= parts.length; i++) out.push(`${parts.slice(0, i).join("-")}.slice`);
    return `/${out.join("/")}`;
  }
  return parent.startsWith("/") ? parent : `/${parent}`;
}
