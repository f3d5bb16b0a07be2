/**
 * TypeScript types for the OCI runtime specification v1.2.1 `config.json`,
 * written from the JSON schemas in `opencontainers/runtime-spec` v1.2.1
 * (`config-schema.json`, `config-linux.json`, `config-windows.json`,
 * `config-solaris.json`, `config-vm.json`, `config-zos.json` and the `defs*`
 * files). Field names are the JSON names. Integer fields are `number`: the
 * JSON schema's uint64/int64 fields hold values up to 2^53 safely, which
 * covers every value a CRI request can carry (memory limits, CPU periods).
 *
 * @packageDocumentation
 */

/** @public The OCI runtime-spec version crikit writes into `ociVersion`. */
export const OCI_VERSION = "1.2.1";

/** @public A hook run by the runtime at a lifecycle point. */
export interface OciHook {
  /** Absolute path of the executable, resolved in the runtime's mount namespace. */
  path: string;
  /** Full argv, `args[0]` included (as `execv` takes it). */
  args?: string[];
  /** Environment as `KEY=value` entries. */
  env?: string[];
  /** Seconds; at least 1. */
  timeout?: number;
}

/** @public Lifecycle hooks. `prestart` is deprecated in the spec. */
export interface OciHooks {
  /**
   * Deprecated: use `createRuntime`, `createContainer` or `startContainer`. Runs in the runtime namespace
   * after the container's namespaces exist, before `pivot_root`.
   */
  prestart?: OciHook[];
  /**
   * Run during `create` in the runtime namespace, after the environment is set up and before `pivot_root`.
   */
  createRuntime?: OciHook[];
  /**
   * Run during `create` in the container's namespaces, after `createRuntime` hooks and before `pivot_root`.
   */
  createContainer?: OciHook[];
  /** Run during `start` in the container, before the user process is executed. */
  startContainer?: OciHook[];
  /** Run in the runtime namespace after the user process has started, before `start` returns. */
  poststart?: OciHook[];
  /** Run in the runtime namespace after the container is deleted, before `delete` returns. */
  poststop?: OciHook[];
}

/** @public A user or group ID mapping (user namespaces, idmapped mounts). */
export interface OciIdMapping {
  /** First ID of the range inside the container (CRI `IDMapping.container_id`). */
  containerID: number;
  /** First ID of the range on the host (CRI `IDMapping.host_id`). */
  hostID: number;
  /** Number of consecutive IDs mapped (CRI `IDMapping.length`). */
  size: number;
}

/** @public A mount. */
export interface OciMount {
  /** Absolute path inside the container where the mount appears (CRI `Mount.container_path`). */
  destination: string;
  /**
   * What is mounted: a host path for bind mounts (CRI `Mount.host_path`), a device, or a filesystem-specific
   * string such as `tmpfs`; relative paths are relative to the bundle.
   */
  source?: string;
  /**
   * mount(8)-style options such as `rbind`, `ro`, `nosuid`, `rprivate`, or `rro` (recursive read-only,
   * runtime-spec 1.2).
   */
  options?: string[];
  /** Filesystem type as in `/proc/filesystems` (`proc`, `tmpfs`, ...); `bind` for bind mounts. */
  type?: string;
  /**
   * UID mapping of an idmapped mount (CRI `Mount.uidMappings`); needs {@link SpecFeatures.userNamespaces}.
   */
  uidMappings?: OciIdMapping[];
  /**
   * GID mapping of an idmapped mount (CRI `Mount.gidMappings`); needs {@link SpecFeatures.userNamespaces}.
   */
  gidMappings?: OciIdMapping[];
}

/** @public The container's root filesystem. */
export interface OciRoot {
  /**
   * Path of the root filesystem, absolute or relative to the bundle (crikit writes
   * {@link CommonSpecInput.rootfsPath}).
   */
  path: string;
  /** Mount the root filesystem read-only (CRI `readonly_rootfs`). @defaultValue false */
  readonly?: boolean;
}

/** @public Console size for a terminal process. */
export interface OciConsoleSize {
  /** Rows, in character cells. */
  height: number;
  /** Columns, in character cells. */
  width: number;
}

/** @public The user a process runs as. */
export interface OciUser {
  /**
   * User ID in the container's user namespace (CRI `run_as_user`, or resolved from the image's `User` through
   * `/etc/passwd`).
   */
  uid?: number;
  /**
   * Primary group ID in the container's user namespace (CRI `run_as_group`, or the user's group from
   * `/etc/passwd`).
   */
  gid?: number;
  /** File mode creation mask of the process, such as `0o022`. */
  umask?: number;
  /**
   * Supplementary group IDs (CRI `supplemental_groups` plus the user's groups from the image's `/etc/group`).
   */
  additionalGids?: number[];
  /** Windows only. */
  username?: string;
}

/** @public Capability sets; each entry is a name such as `CAP_CHOWN`. */
export interface OciCapabilities {
  /** Bounding set: the upper limit of capabilities the process and its children can ever gain. */
  bounding?: string[];
  /** Permitted set: the capabilities the process may make effective. */
  permitted?: string[];
  /** Effective set: the capabilities the kernel checks for permission. */
  effective?: string[];
  /** Inheritable set: capabilities kept across `execve` for files with matching inheritable bits. */
  inheritable?: string[];
  /** Ambient set: capabilities kept across `execve` of unprivileged programs. */
  ambient?: string[];
}

/** @public An rlimit; `type` matches `^RLIMIT_[A-Z]+$`. */
export interface OciRlimit {
  /** Resource name, such as `RLIMIT_NOFILE`. */
  type: string;
  /** Soft limit: the value the kernel enforces. */
  soft: number;
  /**
   * Hard limit: the ceiling up to which the process may raise the soft limit (raising it needs
   * CAP_SYS_RESOURCE).
   */
  hard: number;
}

/** @public I/O priority of the process. */
export interface OciIoPriority {
  /** Scheduling class: real-time, best-effort or idle. */
  class: "IOPRIO_CLASS_RT" | "IOPRIO_CLASS_BE" | "IOPRIO_CLASS_IDLE";
  /** Priority within the class, 0 (highest) to 7 (lowest). */
  priority?: number;
}

/** @public A Linux scheduler policy. */
export type OciSchedulerPolicy = "SCHED_OTHER" | "SCHED_FIFO" | "SCHED_RR" | "SCHED_BATCH" | "SCHED_ISO" | "SCHED_IDLE" | "SCHED_DEADLINE";

/** @public A Linux scheduler flag. */
export type OciSchedulerFlag =
  | "SCHED_FLAG_RESET_ON_FORK"
  | "SCHED_FLAG_RECLAIM"
  | "SCHED_FLAG_DL_OVERRUN"
  | "SCHED_FLAG_KEEP_POLICY"
  | "SCHED_FLAG_KEEP_PARAMS"
  | "SCHED_FLAG_UTIL_CLAMP_MIN"
  | "SCHED_FLAG_UTIL_CLAMP_MAX";

/** @public Scheduling attributes of the process. */
export interface OciScheduler {
  /** Scheduling policy passed to `sched_setattr(2)`. */
  policy: OciSchedulerPolicy;
  /** Nice value, -20 (highest) to 19, for `SCHED_OTHER` and `SCHED_BATCH`. */
  nice?: number;
  /** Static priority, 1 to 99, for `SCHED_FIFO` and `SCHED_RR`. */
  priority?: number;
  /** `sched_setattr(2)` flags. */
  flags?: OciSchedulerFlag[];
  /** `SCHED_DEADLINE` runtime per period, in nanoseconds. */
  runtime?: number;
  /** `SCHED_DEADLINE` relative deadline, in nanoseconds. */
  deadline?: number;
  /** `SCHED_DEADLINE` period, in nanoseconds. */
  period?: number;
}

/** @public CPU affinity applied at exec time (lists such as `0-3,7`). */
export interface OciExecCpuAffinity {
  /** CPUs the exec'd process is pinned to before it joins the container's cgroup. */
  initial?: string;
  /** CPUs the exec'd process is pinned to after it has joined the container's cgroup. */
  final?: string;
}

/** @public The container process. */
export interface OciProcess {
  /**
   * Absolute working directory inside the container (CRI `working_dir`, else the image's `WorkingDir`, else
   * `/`).
   */
  cwd: string;
  /**
   * argv of the process: CRI `command` and `args`, which replace the image's `Entrypoint` and `Cmd` (see
   * {@link containerArgs}).
   */
  args?: string[];
  /** Windows only: the whole command line. */
  commandLine?: string;
  /** Initial size of the terminal; only with `terminal`. */
  consoleSize?: OciConsoleSize;
  /**
   * Environment as `KEY=value` entries; crikit merges `PATH`, `HOSTNAME`, the image's `Env` and the CRI
   * `envs`, later ones winning.
   */
  env?: string[];
  /** Attach a pseudo-terminal to the process (CRI `tty`). @defaultValue false */
  terminal?: boolean;
  /** The user and groups the process runs as. */
  user?: OciUser;
  /** Capability sets of the process (CRI `capabilities`, or all host capabilities when privileged). */
  capabilities?: OciCapabilities;
  /** AppArmor profile name applied to the process (CRI `apparmor`); unset means unconfined. */
  apparmorProfile?: string;
  /** Value written to `/proc/<pid>/oom_score_adj`, -1000 to 1000 (CRI `oom_score_adj`). */
  oomScoreAdj?: number;
  /** SELinux label of the process, `user:role:type:level`. */
  selinuxLabel?: string;
  /** I/O scheduling class and priority (`ioprio_set(2)`). */
  ioPriority?: OciIoPriority;
  /**
   * Set `PR_SET_NO_NEW_PRIVS`, so `execve` cannot grant privileges (setuid bits, file capabilities) (CRI
   * `no_new_privs`).
   * @defaultValue false
   */
  noNewPrivileges?: boolean;
  /** Scheduling policy and attributes (`sched_setattr(2)`). */
  scheduler?: OciScheduler;
  /** Resource limits set with `setrlimit(2)`; by default none ({@link DEFAULT_RLIMITS}): the runtime's are inherited. */
  rlimits?: OciRlimit[];
  /** CPU affinity of processes started by the runtime's `exec`. */
  execCPUAffinity?: OciExecCpuAffinity;
}

/** @public A Linux namespace type. */
export type OciNamespaceType = "mount" | "pid" | "network" | "uts" | "ipc" | "user" | "cgroup" | "time";

/** @public A namespace to create (no `path`) or join (`path`). */
export interface OciNamespace {
  /** Which namespace. */
  type: OciNamespaceType;
  /**
   * Namespace file to join, such as `/proc/<pid>/ns/net`; when omitted the runtime creates a new namespace.
   */
  path?: string;
}

export type { OciLinuxDevice, OciLinuxDeviceCgroup, OciLinuxMemory, OciLinuxCpu, OciLinuxHugepageLimit, OciLinuxBlockIoDevice, OciLinuxWeightDevice, OciLinuxThrottleDevice, OciLinuxBlockIo, OciLinuxInterfacePriority, OciLinuxNetwork, OciLinuxRdma, OciLinuxResources, OciSeccompAction, OciSeccompArch, OciSeccompFlag, OciSeccompOperator, OciSeccompArg, OciSeccompSyscall, OciSeccomp, OciLinuxIntelRdt, OciLinuxPersonality, OciLinuxTimeOffset, OciRootfsPropagation } from "./oci-linux-types.js";
import type { OciLinuxDevice, OciLinuxResources, OciSeccomp, OciLinuxIntelRdt, OciLinuxPersonality, OciLinuxTimeOffset, OciRootfsPropagation } from "./oci-linux-types.js";
export type { OciWindowsDevice, OciWindows, OciSolaris, OciVm, OciZos } from "./oci-platform-types.js";
import type { OciWindows, OciSolaris, OciVm, OciZos } from "./oci-platform-types.js";

/** @public Linux-specific configuration. */
export interface OciLinux {
  /** Device nodes created in the container (CRI `devices`, or all host devices when privileged). */
  devices?: OciLinuxDevice[];
  /** UID mappings of the container's user namespace (CRI user-namespace options). */
  uidMappings?: OciIdMapping[];
  /** GID mappings of the container's user namespace (CRI user-namespace options). */
  gidMappings?: OciIdMapping[];
  /** Namespaces to create or join; a type that is absent is shared with the runtime (host). */
  namespaces?: OciNamespace[];
  /** cgroup limits (CRI `LinuxContainerResources`). */
  resources?: OciLinuxResources;
  /**
   * cgroup of the container: `/parent/id` with the cgroupfs driver, `slice:prefix:id` with systemd (see
   * {@link cgroupsPath}).
   */
  cgroupsPath?: string;
  /** Mount propagation of the root filesystem. */
  rootfsPropagation?: OciRootfsPropagation;
  /** Seccomp filter of the process (CRI `seccomp`). */
  seccomp?: OciSeccomp;
  /** Kernel parameters set in the container's namespaces, such as `net.ipv4.ip_forward` (CRI `sysctls`). */
  sysctl?: Record<string, string>;
  /**
   * Paths hidden from the container (a `/dev/null` or empty read-only mount over them) (CRI `masked_paths`,
   * else {@link DEFAULT_MASKED_PATHS}).
   */
  maskedPaths?: string[];
  /**
   * Paths remounted read-only in the container (CRI `readonly_paths`, else {@link DEFAULT_READONLY_PATHS}).
   */
  readonlyPaths?: string[];
  /** SELinux label of the container's mounts. */
  mountLabel?: string;
  /** Intel RDT cache and memory bandwidth allocation. */
  intelRdt?: OciLinuxIntelRdt;
  /** Execution domain of the process. */
  personality?: OciLinuxPersonality;
  /** Clock offsets of a new time namespace, for the `boottime` and `monotonic` clocks. */
  timeOffsets?: { boottime?: OciLinuxTimeOffset; monotonic?: OciLinuxTimeOffset };
}

/**
 * An OCI runtime-spec v1.2.1 `config.json`.
 *
 * @public
 */
export interface OciSpec {
  /**
   * Runtime-spec version (SemVer) the config complies with (see {@link CommonSpecInput.ociVersion}).
   * @defaultValue "1.2.1" (OCI_VERSION)
   */
  ociVersion: string;
  /** Hooks run at lifecycle points. */
  hooks?: OciHooks;
  /**
   * Arbitrary metadata for the runtime and tools; crikit writes the `io.kubernetes.cri.*` annotations plus
   * the pod and container annotations that match the configured patterns.
   */
  annotations?: Record<string, string>;
  /** Hostname in the container's UTS namespace (the pod's hostname; unset for host-network pods). */
  hostname?: string;
  /** NIS domain name in the container's UTS namespace. */
  domainname?: string;
  /** Mounts, performed in order after the root filesystem. */
  mounts?: OciMount[];
  /** Root filesystem. */
  root?: OciRoot;
  /** The container process; required to `start` the container. */
  process?: OciProcess;
  /** Linux platform settings. */
  linux?: OciLinux;
  /** Solaris platform settings. */
  solaris?: OciSolaris;
  /** Windows platform settings. */
  windows?: OciWindows;
  /** Virtual-machine settings, for VM-based runtimes. */
  vm?: OciVm;
  /** z/OS platform settings. */
  zos?: OciZos;
}
