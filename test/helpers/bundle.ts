/**
 * Test helper: OCI bundles with a busybox-static rootfs and a minimal
 * config.json, the runtimes to parameterize suites over, and leak checks.
 *
 * - busybox: Debian's `busybox-static` conflicts with the installed
 *   `busybox` package, so the static binary is extracted (`dpkg-deb -x`)
 *   from its .deb (the apt cache, else `apt-get download`) once per machine
 *   into a cache dir under the OS temp dir.
 * - crun 1.8.1 refuses to run when cgroups are hybrid and cgroup v2 has a
 *   controller enabled (here `hugetlb` in /sys/fs/cgroup/unified:
 *   "cgroups in hybrid mode not supported, drop all controllers from
 *   cgroupv2"). For crun, tests then use a generated wrapper that runs crun in
 *   a private mount namespace with the cgroup2 mount detached, so crun sees
 *   plain cgroup v1, as runc already treats this machine. The wrapper changes
 *   nothing outside that private namespace.
 * - The minimal spec builder here stands in for src/spec (written
 *   concurrently by another helper).
 */
import { execFile } from "node:child_process";
import { access, chmod, rename, mkdir, mkdtemp, readFile, readdir, rm, rmdir, symlink, writeFile, copyFile } from "node:fs/promises";
import { existsSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

/** Where the extracted static busybox is cached. */
const cacheDir = join(tmpdir(), "crikit-test-cache");

/** Path of a statically linked busybox, extracted from Debian's busybox-static .deb. Fails clearly when it cannot be had. */
export async function staticBusybox(): Promise<string> {
  const bin = join(cacheDir, "busybox-static", "bin", "busybox");
  if (existsSync(bin)) return bin;
  await mkdir(cacheDir, { recursive: true });
  let deb = (await readdir("/var/cache/apt/archives").catch(() => [] as string[])).find((f) => /^busybox-static_.*\.deb$/.test(f));
  let debPath = deb ? join("/var/cache/apt/archives", deb) : undefined;
  if (!debPath) {
    const dl = await mkdtemp(join(cacheDir, "dl-"));
    try {
      await run("apt-get", ["download", "busybox-static"], { cwd: dl });
    } catch (e) {
      throw new Error(`test prerequisite missing: no busybox-static .deb in the apt cache and "apt-get download busybox-static" failed: ${String(e)}`);
    }
    deb = (await readdir(dl)).find((f) => f.endsWith(".deb"));
    if (!deb) throw new Error("test prerequisite missing: apt-get download busybox-static produced no .deb");
    debPath = join(dl, deb);
  }
  const out = await mkdtemp(join(cacheDir, "bbs-"));
  await run("dpkg-deb", ["-x", debPath, out]);
  const { stdout } = await run("file", ["-L", join(out, "bin", "busybox")]).catch(() => ({ stdout: "statically linked" }));
  if (!stdout.includes("statically linked")) throw new Error(`test prerequisite: ${join(out, "bin", "busybox")} is not static`);
  await rm(join(cacheDir, "busybox-static"), { recursive: true, force: true });
  await rename(out, join(cacheDir, "busybox-static"));
  return bin;
}

/** A runtime to run a suite with. */
export interface TestRuntime {
  /** "runc" or "crun". */
  name: string;
  /** The binary to hand the adapter (a wrapper for crun on hybrid cgroups). */
  binary: string;
}

/** runc and crun, as binaries the adapter can use on this machine (see the file header for crun's wrapper). */
export async function testRuntimes(): Promise<TestRuntime[]> {
  for (const b of ["runc", "crun", "conmon"]) {
    await run("which", [b]).catch(() => {
      throw new Error(`test prerequisite missing: ${b} is not installed (Debian package ${b})`);
    });
  }
  let crun = "crun";
  const controllers = await readFile("/sys/fs/cgroup/unified/cgroup.controllers", "utf8").catch(() => "");
  if (controllers.trim() !== "") {
    const dir = join(cacheDir, "crun-wrapper");
    await mkdir(dir, { recursive: true });
    crun = join(dir, "crun");
    const script = `#!/bin/sh\n# crun on hybrid cgroups with a v2 controller: hide cgroup2 in a private mount namespace.\nexec unshare --mount --propagation private sh -c 'umount -l /sys/fs/cgroup/unified 2>/dev/null; exec /usr/bin/crun "$@"' crun "$@"\n`;
    await writeFile(`${crun}.tmp`, script);
    await chmod(`${crun}.tmp`, 0o755);
    await rename(`${crun}.tmp`, crun);
  }
  return [
    { name: "runc", binary: "runc" },
    { name: "crun", binary: crun },
  ];
}

/** What {@link makeBundle} builds. */
export interface BundleInput {
  /** The container's command. */
  args: string[];
  /** Extra environment (KEY=VALUE). */
  env?: string[];
  /** cgroupsPath (cgroupfs form, e.g. /crikit-test-oci/ID). */
  cgroupsPath?: string;
  /** Memory limit in bytes. */
  memoryLimit?: number;
  /** Namespaces to join by path (type -> path); those not listed are new. */
  joinNamespaces?: Partial<Record<"ipc" | "uts" | "network" | "pid", string>>;
  /** Namespace types to leave out (share the host's). */
  omitNamespaces?: string[];
  hostname?: string;
  /** Extra mounts. */
  mounts?: { destination: string; source: string; type?: string; options?: string[] }[];
  /** Use this rootfs (a directory) instead of a busybox one. */
  rootfs?: string;
  /** process.oomScoreAdj. */
  oomScoreAdj?: number;
}

/** A built bundle. */
export interface TestBundle {
  dir: string;
  rootfs: string;
  config: Record<string, unknown>;
  /** Remove the bundle directory. */
  cleanup(): Promise<void>;
}

const defaultCaps = ["CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE"];

/** A minimal OCI runtime spec (stand-in for src/spec). */
export function minimalSpec(input: BundleInput, rootfs: string): Record<string, unknown> {
  const join_ = input.joinNamespaces ?? {};
  const omit = new Set(input.omitNamespaces ?? []);
  const namespaces = ["pid", "network", "ipc", "uts", "mount"]
    .filter((t) => !omit.has(t))
    .map((t) => {
      const p = join_[t as keyof typeof join_];
      return p !== undefined ? { type: t, path: p } : { type: t };
    });
  const resources: Record<string, unknown> = { devices: [{ allow: false, access: "rwm" }] };
  if (input.memoryLimit !== undefined) resources["memory"] = { limit: input.memoryLimit, swap: input.memoryLimit };
  const proc: Record<string, unknown> = {
    terminal: false,
    user: { uid: 0, gid: 0 },
    args: input.args,
    env: ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", ...(input.env ?? [])],
    cwd: "/",
    capabilities: { bounding: defaultCaps, effective: defaultCaps, permitted: defaultCaps },
    rlimits: [{ type: "RLIMIT_NOFILE", hard: 1024, soft: 1024 }],
    noNewPrivileges: true,
  };
  if (input.oomScoreAdj !== undefined) proc["oomScoreAdj"] = input.oomScoreAdj;
  return {
    ociVersion: "1.0.2",
    process: proc,
    root: { path: rootfs, readonly: false },
    hostname: input.hostname ?? "crikit-test",
    mounts: [
      { destination: "/proc", type: "proc", source: "proc" },
      { destination: "/dev", type: "tmpfs", source: "tmpfs", options: ["nosuid", "strictatime", "mode=755", "size=65536k"] },
      { destination: "/dev/pts", type: "devpts", source: "devpts", options: ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"] },
      { destination: "/dev/shm", type: "tmpfs", source: "shm", options: ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"] },
      { destination: "/dev/mqueue", type: "mqueue", source: "mqueue", options: ["nosuid", "noexec", "nodev"] },
      { destination: "/sys", type: "sysfs", source: "sysfs", options: ["nosuid", "noexec", "nodev", "ro"] },
      ...(input.mounts ?? []).map((m) => ({ destination: m.destination, source: m.source, type: m.type ?? "bind", options: m.options ?? ["rbind", "ro"] })),
    ],
    linux: {
      ...(input.cgroupsPath !== undefined ? { cgroupsPath: input.cgroupsPath } : {}),
      resources,
      namespaces,
      maskedPaths: ["/proc/kcore", "/proc/keys", "/proc/timer_list", "/sys/firmware"],
      readonlyPaths: ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"],
    },
  };
}

/** Build a busybox rootfs in `dir/rootfs` (bin/busybox plus one link per applet). */
export async function makeBusyboxRootfs(rootfs: string): Promise<void> {
  const bb = await staticBusybox();
  for (const d of ["bin", "proc", "dev", "sys", "tmp", "etc", "root"]) await mkdir(join(rootfs, d), { recursive: true });
  await copyFile(bb, join(rootfs, "bin", "busybox"));
  await chmod(join(rootfs, "bin", "busybox"), 0o755);
  const { stdout } = await run(bb, ["--list"]);
  for (const applet of stdout.split("\n").filter((a) => a !== "" && a !== "busybox")) {
    await symlink("busybox", join(rootfs, "bin", applet)).catch(() => undefined);
  }
  await writeFile(join(rootfs, "etc", "passwd"), "root:x:0:0:root:/root:/bin/sh\n");
  await writeFile(join(rootfs, "etc", "group"), "root:x:0:\n");
}

/** Build an OCI bundle in a new temp dir (busybox rootfs unless `rootfs` is given). */
export async function makeBundle(input: BundleInput, parent?: string): Promise<TestBundle> {
  const dir = await mkdtemp(join(parent ?? tmpdir(), "crikit-bundle-"));
  let rootfs = input.rootfs;
  if (rootfs === undefined) {
    rootfs = join(dir, "rootfs");
    await makeBusyboxRootfs(rootfs);
  }
  const config = minimalSpec(input, rootfs);
  await writeFile(join(dir, "config.json"), JSON.stringify(config, null, 1));
  return { dir, rootfs, config, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** Remove a test cgroup (`/PARENT/ID` in every v1 controller, then the parent when empty). */
export async function removeTestCgroup(cgroupsPath: string): Promise<void> {
  const controllers = await readdir("/sys/fs/cgroup").catch(() => [] as string[]);
  const parts = cgroupsPath.split("/").filter((p) => p !== "");
  for (let depth = parts.length; depth >= 1; depth--) {
    const rel = parts.slice(0, depth).join("/");
    for (const c of controllers) {
      const p = join("/sys/fs/cgroup", c, rel);
      if (!existsSync(p)) continue;
      // rmdir of a cgroup fails while it has children or processes; the parent goes once empty.
      for (let i = 0; i < 50; i++) {
        try {
          await rmdir(p);
          break;
        } catch (e) {
          const code = (e as NodeJS.ErrnoException).code;
          if (code === "ENOENT" || code === "ENOTEMPTY") break;
          if (depth < parts.length) break; // a parent still in use by another test
          await new Promise((r) => setTimeout(r, 20));
        }
      }
    }
  }
}

/** Cgroup dirs left for `cgroupsPath` under any controller. */
export function leftoverCgroups(cgroupsPath: string): string[] {
  const out: string[] = [];
  let controllers: string[] = [];
  try {
    controllers = readdirSync("/sys/fs/cgroup");
  } catch {
    return out;
  }
  for (const c of controllers) {
    const p = join("/sys/fs/cgroup", c, cgroupsPath);
    if (existsSync(p)) out.push(p);
  }
  return out;
}

/** Live (non-zombie) processes whose command line contains `needle`. */
export async function processesMatching(needle: string): Promise<{ pid: number; cmdline: string }[]> {
  const out: { pid: number; cmdline: string }[] = [];
  for (const name of await readdir("/proc")) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    try {
      const cmd = (await readFile(`/proc/${name}/cmdline`, "utf8")).split("\0").join(" ");
      if (!cmd.includes(needle)) continue;
      const stat = await readFile(`/proc/${name}/stat`, "utf8");
      const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
      if (state === "Z") continue;
      out.push({ pid: Number(name), cmdline: cmd.trim() });
    } catch {
      // gone
    }
  }
  return out;
}

/** Whether a pid is a live, non-zombie process. */
export async function pidAlive(pid: number): Promise<boolean> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, "utf8");
    const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
    return state !== "Z" && state !== "X";
  } catch {
    return false;
  }
}

/** Mount points (from /proc/self/mountinfo) whose path contains `needle`. */
export async function mountsMatching(needle: string): Promise<string[]> {
  const text = await readFile("/proc/self/mountinfo", "utf8");
  return text
    .split("\n")
    .map((l) => l.split(" ")[4] ?? "")
    .filter((m) => m.includes(needle));
}

/** Whether a path exists. */
export async function pathExists(p: string): Promise<boolean> {
  try {
    await access(p);
    return true;
  } catch {
    return false;
  }
}

/** Wait until `fn` returns true or `timeoutMs` passes; returns the last result. */
export async function waitFor(fn: () => Promise<boolean>, timeoutMs: number, stepMs = 20): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    if (await fn()) return true;
    if (Date.now() > until) return false;
    await new Promise((r) => setTimeout(r, stepMs));
  }
}
