/**
 * The one input object every spec option reads, and the small interfaces
 * through which the pure spec layer reaches files on the host and in the
 * image rootfs.
 *
 * Nothing in `src/spec` touches the file system: a caller passes a
 * {@link SpecHost} (host files, device nodes, the host path checker) and a
 * {@link RootfsReader} (the image rootfs' `/etc/passwd` and `/etc/group`).
 * Both are synchronous because spec options are plain `(spec, input) => void`
 * functions; the files they read are small.
 *
 * @packageDocumentation
 */
import type { ContainerConfig, PodSandboxConfig } from "../cri.js";
import type { OciLinuxDevice, OciRlimit, OciSeccomp } from "./oci-types.js";
import type { Logger } from "../logger.js";

/**
 * The SDK's one logger contract (see `Logger`), under this module's former name.
 *
 * @public
 */
export type SpecLogger = Logger;

/**
 * What {@link SpecHost.stat} reports about a host path (symlinks followed).
 *
 * @public
 */
export interface HostPathInfo {
  /** The kind of file. */
  type: "directory" | "file" | "char-device" | "block-device" | "fifo" | "socket" | "other";
  /** Device major number (devices only). */
  major?: number;
  /** Device minor number (devices only). */
  minor?: number;
  /** Permission bits, such as `0o666`. */
  mode?: number;
  /** Owner user ID; copied to the OCI device node's `uid`. */
  uid?: number;
  /** Owner group ID; copied to the OCI device node's `gid`. */
  gid?: number;
}

/**
 * The effects the spec layer may ask of the host, passed in by the caller.
 *
 * @remarks
 * A real implementation reads with `fs.readFileSync`, stats with
 * `fs.statSync` (following symlinks) and lists `/dev` recursively; a test
 * passes a table.
 *
 * @public
 */
export interface SpecHost {
  /** The bytes of a host file, or `undefined` when it does not exist. */
  readFile(path: string): Uint8Array | undefined;
  /** Facts about a host path, or `undefined` when it does not exist. */
  stat(path: string): HostPathInfo | undefined;
  /**
   * The host's device nodes, for privileged containers (everything under
   * `/dev` that is a character or block device).
   */
  listDevices(): OciLinuxDevice[];
  /**
   * Create a directory and its parents. Only called when
   * {@link SpecFeatures.missingHostPath} is `"create"`.
   */
  mkdirAll?(path: string): void;
}

/**
 * Reads files of the image rootfs by their path inside the rootfs
 * (for instance `/etc/passwd`). It must not follow symlinks out of the
 * rootfs.
 *
 * @public
 */
export interface RootfsReader {
  /** The bytes of the file, or `undefined` when it does not exist. */
  readFile(pathInRootfs: string): Uint8Array | undefined;
}

/**
 * The parts of an OCI image config (`config` in the image's config JSON)
 * that shape a container's spec.
 *
 * @public
 */
export interface ImageConfigInput {
  /** `user`, `uid`, `user:group` or `uid:gid`. */
  User?: string;
  /** `KEY=value` entries. */
  Env?: string[];
  /** The image's entrypoint; the CRI `command` replaces it (see {@link containerArgs}). */
  Entrypoint?: string[];
  /** The image's default arguments; used only when the CRI request sets neither `command` nor `args`. */
  Cmd?: string[];
  /** Working directory used when the CRI `working_dir` is empty. @defaultValue "/" */
  WorkingDir?: string;
  /** Anonymous volumes: container paths as keys. */
  Volumes?: Record<string, unknown>;
  /** The image's labels; not read by the spec options. */
  Labels?: Record<string, string>;
  /**
   * Signal that stops the container, such as `SIGTERM`; not read by the spec options (the runtime uses it to
   * stop the container).
   */
  StopSignal?: string;
}

/**
 * What the node, kernel and OCI runtime can do; each flag switches a
 * feature or its clear error.
 *
 * @public
 */
export interface SpecFeatures {
  /**
   * User namespaces (and idmapped mounts) work here. A request with
   * user-namespace mappings fails with InvalidArgument when false.
   * @defaultValue false
   */
  userNamespaces?: boolean;
  /**
   * The kernel (5.12 or later) and OCI runtime support recursive read-only
   * (`rro`) mounts. A mount asking for it fails with InvalidArgument when false.
   * @defaultValue false
   */
  recursiveReadOnlyMounts?: boolean;
  /** AppArmor is enabled on the host. @defaultValue false */
  apparmor?: boolean;
  /** SELinux is enabled on the host. @defaultValue false */
  selinux?: boolean;
  /**
   * Give containers a cgroup namespace (what containerd does on cgroup v2).
   * @defaultValue false
   */
  cgroupNamespace?: boolean;
  /**
   * The host can limit swap (cgroup v1 `memory.memsw.limit_in_bytes`, which
   * needs swap accounting, or cgroup v2 `memory.swap.max`). Then a memory
   * limit without a swap limit also sets the swap limit (memory plus swap)
   * to the memory limit, so the container cannot use swap, as containerd
   * does.
   * @defaultValue false
   */
  swapController?: boolean;
  /**
   * What to do with a CRI mount whose host path does not exist. The CRI says
   * such a mount is an error (the kubelet creates `DirectoryOrCreate` host
   * paths itself before it asks), so crikit's default is `"error"`, an
   * InvalidArgument naming `mounts[i].host_path`. `"create"` creates the
   * directory through {@link SpecHost.mkdirAll}, as containerd does.
   * @defaultValue "error"
   */
  missingHostPath?: "error" | "create";
}

/**
 * The cgroup driver: `cgroupfs` paths (`parent/id`) or systemd
 * (`slice:prefix:id`).
 *
 * @public
 */
export type CgroupDriver = "cgroupfs" | "systemd";

/**
 * Host paths of the pod-level files a container bind-mounts, as the
 * runtime wrote them when it ran the sandbox.
 *
 * @public
 */
export interface SandboxFiles {
  /** The pod's `/etc/hostname` file. */
  hostnamePath?: string;
  /** The pod's `/etc/hosts` file. */
  hostsPath?: string;
  /** The pod's `/etc/resolv.conf` file. */
  resolvConfPath?: string;
  /** The pod's `/dev/shm` (a tmpfs the runtime mounted), unless host IPC. */
  shmPath?: string;
}

/**
 * Explicit namespace paths to join, overriding the `/proc/<pid>/ns/*`
 * paths derived from {@link ContainerSpecInput.sandboxPid}.
 *
 * @public
 */
export interface NamespacePaths {
  // An empty path means the sandbox holds no such namespace (a sandbox of a
  // runtime whose containers join none, as WebAssembly's): the container gets its own.
  /** Network namespace file to join, such as `/proc/<pid>/ns/net`. */
  network?: string;
  /** IPC namespace file to join. */
  ipc?: string;
  /** UTS namespace file to join. */
  uts?: string;
  /** PID namespace file to join (pod PID mode). */
  pid?: string;
  /** User namespace file to join. */
  user?: string;
}

/**
 * Settings shared by the container and the sandbox inputs.
 *
 * @public
 */
export interface CommonSpecInput {
  /** Absolute host path of the container's root filesystem (`root.path`). */
  rootfsPath: string;
  /** The image config. */
  imageConfig?: ImageConfigInput;
  /** Reads the image rootfs (user and group resolution). */
  rootfs?: RootfsReader;
  /** Host effects. Needed for mounts, devices, privileged and Localhost seccomp. */
  host?: SpecHost;
  /** The cgroup driver. @defaultValue "cgroupfs" */
  cgroupDriver?: CgroupDriver;
  /**
   * The middle part of a systemd cgroup path (`slice:prefix:id`).
   * @defaultValue "crikit"
   */
  systemdCgroupPrefix?: string;
  /** Node and runtime features. */
  features?: SpecFeatures;
  /**
   * Clamp `oomScoreAdj` to at least {@link CommonSpecInput.currentOomScoreAdj}
   * (containerd's `restrict_oom_score_adj`). Needed where the runtime lacks
   * CAP_SYS_RESOURCE and so cannot lower the score.
   * @defaultValue false
   */
  restrictOomScoreAdj?: boolean;
  /** The runtime process' own oom_score_adj. @defaultValue 0 */
  currentOomScoreAdj?: number;
  /**
   * The capabilities the runtime itself holds (its bounding set, names such
   * as `CAP_CHOWN`). "All capabilities" (privileged, or `ALL` in
   * add_capabilities) means these. @defaultValue every capability crikit knows
   */
  hostCapabilities?: readonly string[];
  /**
   * The RuntimeDefault seccomp profile. @defaultValue crikit's default
   * profile (`src/seccomp/default.json`) for {@link CommonSpecInput.arch}
   */
  defaultSeccompProfile?: OciSeccomp;
  /**
   * The profile used when the request sets no seccomp profile at all.
   * @defaultValue "Unconfined" (as containerd's empty `unset_seccomp_profile`)
   */
  unsetSeccompProfile?: "Unconfined" | "RuntimeDefault";
  /** AppArmor profile for RuntimeDefault. @defaultValue "crikit-default" */
  defaultApparmorProfile?: string;
  /** Node.js-style CPU architecture for the seccomp architectures. @defaultValue "x64" */
  arch?: string;
  /** Pod annotation patterns (Go `path.Match`) passed through to the spec. */
  podAnnotationPatterns?: readonly string[];
  /** The node's hostname: the pod's hostname when its config names none (see `podHostname`). */
  nodeHostname?: string;
  /** Size of a per-pod `/dev/shm`, bytes. @defaultValue 67108864 (64 MiB) */
  shmSizeBytes?: number;
  /**
   * The process' rlimits (`process.rlimits`), such as
   * `[{ type: "RLIMIT_NOFILE", soft: 1048576, hard: 1048576 }]`. A hard
   * limit above the OCI runtime's own fails the container's start unless
   * the runtime holds CAP_SYS_RESOURCE.
   * @defaultValue {@link DEFAULT_RLIMITS} (none: inherited from the OCI runtime)
   */
  rlimits?: readonly OciRlimit[];
  /** Logger for warnings. */
  logger?: SpecLogger;
  /**
   * The `ociVersion` written into the spec. Some OCI runtimes refuse
   * versions newer than they know: crun 1.8.1 (Debian 12's) answers
   * "unknown version specified" to 1.2.x and takes 1.1.0, so pass `"1.1.0"`
   * for it; runc 1.1.5 accepts 1.2.1. crikit only emits 1.2 features (`rro`, idmapped
   * mounts) when a request asks for them and `features` allow them.
   * @defaultValue "1.2.1" (OCI_VERSION)
   */
  ociVersion?: string;
}

/**
 * The input of {@link generateContainerSpec} and of every container spec
 * option.
 *
 * @public
 */
export interface ContainerSpecInput extends CommonSpecInput {
  /** The container's ID. */
  id: string;
  /** The sandbox's ID. */
  sandboxId: string;
  /** The CreateContainer request's config. */
  config: ContainerConfig;
  /** The CreateContainer request's sandbox config. */
  sandboxConfig: PodSandboxConfig;
  /** The image name for the `io.kubernetes.cri.image-name` annotation. */
  imageName?: string;
  /** PID of the sandbox's (pause) process; its namespaces are joined. */
  sandboxPid?: number;
  /** Explicit namespace paths (override {@link ContainerSpecInput.sandboxPid}). */
  namespacePaths?: NamespacePaths;
  /** PID of the TARGET container's process, for PID mode TARGET. */
  targetPid?: number;
  /** The pod files to bind-mount. */
  sandboxFiles?: SandboxFiles;
  /**
   * Host paths where image volumes (CRI mounts with `image`) are mounted,
   * by image reference (`Mount.image.image`).
   */
  imageVolumeSources?: Readonly<Record<string, string>>;
  /**
   * Directory for the image config's anonymous volumes; each gets a
   * subdirectory named after its container path. Without it, image
   * `Volumes` are ignored.
   */
  volumeDir?: string;
  /** Container annotation patterns (Go `path.Match`) passed through to the spec. */
  containerAnnotationPatterns?: readonly string[];
}

/**
 * The input of {@link generateSandboxSpec} and of every sandbox spec option.
 *
 * @public
 */
export interface SandboxSpecInput extends CommonSpecInput {
  /** The sandbox's ID. */
  id: string;
  /** The RunPodSandbox request's config. */
  config: PodSandboxConfig;
  /** The pause image name for the `io.kubernetes.cri.podsandbox.image-name` annotation. */
  imageName?: string;
  /** The pause process' argv. @defaultValue ["/catatonit", "-P"] */
  pauseArgs?: readonly string[];
  /** A network namespace to join (made by the runtime for CNI); else a new one. */
  netnsPath?: string;
  /** The pod's `/dev/shm` host path to bind-mount (unless host IPC); else a tmpfs. */
  shmPath?: string;
  /**
   * Set `net.ipv4.ip_unprivileged_port_start=0` in the pod's network
   * namespace (containerd 2's `enable_unprivileged_ports`).
   * @defaultValue true
   */
  unprivilegedPorts?: boolean;
  /**
   * Set `net.ipv4.ping_group_range=0 2147483647` in the pod's network
   * namespace, except with a user namespace (containerd 2's
   * `enable_unprivileged_icmp`).
   * @defaultValue true
   */
  unprivilegedIcmp?: boolean;
}
