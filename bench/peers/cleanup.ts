/**
 * Cleanup of what the benchmark peers create outside their processes:
 * mounts under a temp root, network namespaces holding an address of the
 * bench's exclusive subnet, the bench bridge, iptables rules naming that
 * subnet, and the bench's cgroup parent in every v1 controller.
 *
 * Every step is idempotent and tolerant (it reports what it could not
 * remove instead of throwing), so it can run in `finally` and from signal
 * handlers after a partial failure.
 */
import { readdir, readFile, rmdir, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { execa } from "execa";

/** The bench's exclusive subnet, bridge and network name. */
export const BENCH_NET = { subnet: "10.204.0.0/16", prefix: "10.204.", bridge: "crkb0", name: "crikit-bench" } as const;

/** The mount points at or below `dir`, deepest first. */
export async function mountsUnder(dir: string): Promise<string[]> {
  const text = await readFile("/proc/self/mountinfo", "utf8");
  const points = text
    .split("\n")
    .map((l) => l.split(" ")[4] ?? "")
    .map((p) => p.replace(/\\040/g, " "))
    .filter((p) => p === dir || p.startsWith(`${dir}/`));
  return [...new Set(points)].sort((a, b) => b.length - a.length);
}

/** Unmount everything at or below `dir` (lazily when busy). Returns what stayed mounted. */
export async function unmountUnder(dir: string): Promise<string[]> {
  for (let round = 0; round < 3; round++) {
    const points = await mountsUnder(dir);
    if (points.length === 0) return [];
    for (const p of points) {
      const r = await execa("umount", [p], { reject: false });
      if (r.exitCode !== 0) await execa("umount", ["-l", p], { reject: false });
    }
  }
  return mountsUnder(dir);
}

/** Unmount and remove a temp dir. Returns problems, if any. */
export async function removeTree(dir: string): Promise<string[]> {
  const problems: string[] = [];
  const left = await unmountUnder(dir);
  if (left.length > 0) problems.push(`still mounted: ${left.join(", ")}`);
  try {
    await rm(dir, { recursive: true, force: true, maxRetries: 3 });
  } catch (e) {
    problems.push(`rm ${dir}: ${(e as Error).message}`);
  }
  return problems;
}

/** Whether the netns at `path` holds an IPv4 address in the bench subnet. */
async function netnsIsOurs(path: string): Promise<boolean> {
  const r = await execa("nsenter", [`--net=${path}`, "ip", "-4", "-o", "addr"], { reject: false });
  return r.exitCode === 0 && String(r.stdout).includes(`inet ${BENCH_NET.prefix}`);
}

/**
 * Remove network namespaces in `dir` that are ours: every entry when `all`
 * (a netns dir the bench created), else only those holding an address of
 * the bench subnet (containerd 1.6 always uses /var/run/netns).
 */
export async function removeNetns(dir: string, options: { all?: boolean; onlyNew?: ReadonlySet<string> } = {}): Promise<string[]> {
  const removed: string[] = [];
  let entries: string[];
  try {
    entries = await readdir(dir);
  } catch {
    return removed;
  }
  for (const e of entries) {
    if (options.onlyNew?.has(e)) continue;
    const p = join(dir, e);
    if (!options.all && !(await netnsIsOurs(p))) continue;
    await execa("umount", [p], { reject: false });
    await execa("umount", ["-l", p], { reject: false });
    await rm(p, { force: true });
    removed.push(p);
  }
  return removed;
}

/** Names of the netns entries in a dir now (to tell new ones apart later). */
export async function netnsSnapshot(dir = "/var/run/netns"): Promise<Set<string>> {
  return new Set(await readdir(dir).catch(() => [] as string[]));
}

/** Delete the bench bridge and iptables rules that name the bench subnet. */
export async function removeBridgeAndRules(): Promise<string[]> {
  const problems: string[] = [];
  const link = await execa("ip", ["link", "show", BENCH_NET.bridge], { reject: false });
  if (link.exitCode === 0) {
    const del = await execa("ip", ["link", "del", BENCH_NET.bridge], { reject: false });
    if (del.exitCode !== 0) problems.push(`ip link del ${BENCH_NET.bridge}: ${String(del.stderr)}`);
  }
  for (const table of ["nat", "filter"]) {
    const rules = await execa("iptables", ["-t", table, "-S"], { reject: false });
    if (rules.exitCode !== 0) continue;
    for (const line of String(rules.stdout).split("\n")) {
      if (!line.startsWith("-A ") || !line.includes(BENCH_NET.prefix)) continue;
      const args = line.slice(3).match(/"[^"]*"|\S+/g)?.map((a) => a.replace(/^"|"$/g, "")) ?? [];
      const r = await execa("iptables", ["-t", table, "-D", ...args], { reject: false });
      if (r.exitCode !== 0) problems.push(`iptables -t ${table} -D ${args.join(" ")}: ${String(r.stderr)}`);
    }
  }
  return problems;
}

/** Remove a cgroup parent (relative to each v1 controller root), deepest first. */
export async function removeCgroupParent(parent: string): Promise<string[]> {
  const problems: string[] = [];
  const rel = parent.replace(/^\/+/, "");
  if (rel === "" || rel.includes("..")) return [`refusing to remove cgroup ${parent}`];
  const controllers = await readdir("/sys/fs/cgroup").catch(() => [] as string[]);
  for (const c of controllers) {
    const base = join("/sys/fs/cgroup", c, rel);
    try {
      if (!(await stat(base)).isDirectory()) continue;
    } catch {
      continue;
    }
    const dirs: string[] = [];
    const walk = async (d: string): Promise<void> => {
      dirs.push(d);
      for (const e of await readdir(d, { withFileTypes: true }).catch(() => [])) if (e.isDirectory()) await walk(join(d, e.name));
    };
    await walk(base);
    for (const d of dirs.sort((a, b) => b.length - a.length)) {
      await rmdir(d).catch((e: Error) => problems.push(`rmdir ${d}: ${e.message}`));
    }
  }
  return problems;
}
