/**
 * The defaults a CRI runtime's OCI spec starts from (containerd's CRI
 * plugin's values): mounts, masked and read-only paths, rlimits, `PATH`.
 *
 * @packageDocumentation
 */
import { DEFAULT_CAPABILITIES } from "./capabilities.js";
import type { OciMount, OciRlimit, OciSpec } from "./oci-types.js";
import { OCI_VERSION } from "./oci-types.js";

/** @public The default `PATH` of a container. */
export const DEFAULT_PATH_ENV = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/** @public Paths masked (made empty or unreadable) in non-privileged containers. */
export const DEFAULT_MASKED_PATHS: readonly string[] = Object.freeze([
  "/proc/acpi",
  "/proc/asound",
  "/proc/kcore",
  "/proc/keys",
  "/proc/latency_stats",
  "/proc/timer_list",
  "/proc/timer_stats",
  "/proc/sched_debug",
  "/sys/firmware",
  "/sys/devices/virtual/powercap",
  "/proc/scsi",
]);

/** @public Paths made read-only in non-privileged containers. */
export const DEFAULT_READONLY_PATHS: readonly string[] = Object.freeze([
  "/proc/bus",
  "/proc/fs",
  "/proc/irq",
  "/proc/sys",
  "/proc/sysrq-trigger",
]);

/**
 * @public The default rlimits: none, so the container inherits the OCI
 * runtime's limits, as containerd does (under its service unit that is
 * 1048576 open files, which is what Kubernetes workloads expect). A runtime
 * sets its own through {@link CommonSpecInput.rlimits} (crikitd: the
 * `default_ulimits` config key). A fixed 1024:1024 here used to keep servers
 * and databases from raising their open-file limit.
 */
export const DEFAULT_RLIMITS: readonly OciRlimit[] = Object.freeze([]);

/** @public The default size of a per-pod `/dev/shm`, bytes (64 MiB). */
export const DEFAULT_SHM_SIZE = 64 * 1024 * 1024;

/**
 * The default mounts of a container: proc, a tmpfs `/dev`, devpts, shm,
 * mqueue, a read-only sysfs and a read-only cgroup mount.
 *
 * @public
 */
export function defaultMounts(): OciMount[] {
  return [
    { destination: "/proc", type: "proc", source: "proc", options: ["nosuid", "noexec", "nodev"] },
    { destination: "/dev", type: "tmpfs", source: "tmpfs", options: ["nosuid", "strictatime", "mode=755", "size=65536k"] },
    {
      destination: "/dev/pts",
      type: "devpts",
      source: "devpts",
      options: ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"],
    },
    { destination: "/dev/shm", type: "tmpfs", source: "shm", options: ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"] },
    { destination: "/dev/mqueue", type: "mqueue", source: "mqueue", options: ["nosuid", "noexec", "nodev"] },
    { destination: "/sys", type: "sysfs", source: "sysfs", options: ["nosuid", "noexec", "nodev", "ro"] },
    { destination: "/sys/fs/cgroup", type: "cgroup", source: "cgroup", options: ["nosuid", "noexec", "nodev", "relatime", "ro"] },
  ];
}

/**
 * The spec every container and sandbox spec starts from: root user, `/`
 * as working directory, default `PATH`, capabilities, rlimits, mounts,
 * masked and read-only paths, new namespaces (pid, ipc, uts, mount,
 * network) and a deny-all device cgroup (the OCI runtime adds its standard
 * allowed devices).
 *
 * @public
 */
export function createBaseSpec(rootfsPath: string): OciSpec {
  return {
    ociVersion: OCI_VERSION,
    root: { path: rootfsPath, readonly: false },
    process: {
      terminal: false,
      user: { uid: 0, gid: 0 },
      args: [],
      env: [DEFAULT_PATH_ENV],
      cwd: "/",
      capabilities: {
        bounding: [...DEFAULT_CAPABILITIES],
        effective: [...DEFAULT_CAPABILITIES],
        permitted: [...DEFAULT_CAPABILITIES],
      },
      noNewPrivileges: false,
    },
    mounts: defaultMounts(),
    annotations: {},
    linux: {
      resources: { devices: [{ allow: false, access: "rwm" }] },
      namespaces: [{ type: "pid" }, { type: "ipc" }, { type: "uts" }, { type: "mount" }, { type: "network" }],
      maskedPaths: [...DEFAULT_MASKED_PATHS],
      readonlyPaths: [...DEFAULT_READONLY_PATHS],
    },
  };
}
