/**
 * The OCI spec of a sandbox's infra process: Debian's `catatonit -P`
 * (a static binary that sleeps until signalled and reaps zombies),
 * bind-mounted read-only from the host into an otherwise empty, read-only
 * rootfs, so no image is pulled. It holds the pod's new PID, IPC and UTS
 * namespaces (and mount namespace, as every container has its own), and
 * joins the network namespace by path when one is given.
 *
 * This file is pure.
 *
 * @packageDocumentation
 */

/**
 * Input of {@link buildInfraSpec}.
 *
 * @public
 */
export interface InfraSpecInput {
  /** Absolute path of the (empty) rootfs directory. */
  rootfs: string;
  /** Host path of the catatonit binary. @defaultValue `"/usr/bin/catatonit"` */
  catatonitPath?: string;
  /** Pod hostname. */
  hostname?: string;
  /** Network namespace to join by path; `"host"` shares the host's; omitted means a new, empty one. */
  netns?: string;
  /** Full cgroupsPath for the infra container. */
  cgroupsPath?: string;
  /** Namespaced sysctls (`net.*`, `kernel.shm*`, ...). */
  sysctls?: Record<string, string>;
}

/**
 * Where catatonit appears inside the infra rootfs.
 *
 * @public
 */
export const infraBinaryPath = "/catatonit";

/**
 * Build the infra container's OCI runtime spec.
 *
 * @public
 */
export function buildInfraSpec(input: InfraSpecInput): Record<string, unknown> {
  const namespaces: { type: string; path?: string }[] = [{ type: "pid" }, { type: "ipc" }, { type: "uts" }, { type: "mount" }];
  if (input.netns === undefined) namespaces.push({ type: "network" });
  else if (input.netns !== "host") namespaces.push({ type: "network", path: input.netns });
  return {
    ociVersion: "1.0.2",
    process: {
      terminal: false,
      user: { uid: 65535, gid: 65535 },
      args: [infraBinaryPath, "-P"],
      env: ["PATH=/"],
      cwd: "/",
      capabilities: { bounding: [], effective: [], permitted: [] },
      noNewPrivileges: true,
    },
    root: { path: input.rootfs, readonly: true },
    ...(input.hostname !== undefined ? { hostname: input.hostname } : {}),
    mounts: [
      { destination: "/proc", type: "proc", source: "proc", options: ["nosuid", "noexec", "nodev"] },
      { destination: "/dev", type: "tmpfs", source: "tmpfs", options: ["nosuid", "strictatime", "mode=755", "size=64k"] },
      { destination: infraBinaryPath, type: "bind", source: input.catatonitPath ?? "/usr/bin/catatonit", options: ["rbind", "ro", "nosuid", "nodev"] },
    ],
    linux: {
      ...(input.cgroupsPath !== undefined ? { cgroupsPath: input.cgroupsPath } : {}),
      ...(input.sysctls !== undefined ? { sysctl: { ...input.sysctls } } : {}),
      resources: { devices: [{ allow: false, access: "rwm" }] },
      namespaces,
      maskedPaths: ["/proc/kcore", "/proc/keys", "/proc/timer_list", "/sys/firmware"],
      readonlyPaths: ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"],
    },
  };
}
