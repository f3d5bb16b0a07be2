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

/** @public A device node created in the container. `type` is `c`, `b`, `u` or `p`. */
export interface OciLinuxDevice {
  /** `c` (character), `b` (block), `u` (unbuffered character) or `p` (FIFO). */
  type: string;
  /** Path of the device node inside the container (CRI `Device.container_path`). */
  path: string;
  /** Permission bits of the node, such as `0o666`. */
  fileMode?: number;
  /** Major number (not for `p`). */
  major?: number;
  /** Minor number (not for `p`). */
  minor?: number;
  /** Owner user ID of the node. */
  uid?: number;
  /** Owner group ID of the node. */
  gid?: number;
}

/** @public A device cgroup rule. */
export interface OciLinuxDeviceCgroup {
  /** Allow (true) or deny (false) the matching devices. */
  allow: boolean;
  /** `a` (all), `c` (character) or `b` (block). @defaultValue "a" */
  type?: string;
  /** Major number; omitted matches all. */
  major?: number;
  /** Minor number; omitted matches all. */
  minor?: number;
  /** Any of `r` (read), `w` (write) and `m` (mknod), such as `rwm` (CRI `Device.permissions`). */
  access?: string;
}

/** @public Memory cgroup settings. */
export interface OciLinuxMemory {
  /** Deprecated kernel memory limit, bytes (cgroup v1; ignored by recent kernels and runtimes). */
  kernel?: number;
  /** Kernel TCP buffer memory limit, bytes (cgroup v1). */
  kernelTCP?: number;
  /** Memory limit, bytes (`memory.max` on cgroup v2) (CRI `memory_limit_in_bytes`); a `bigint` beyond 2^53. */
  limit?: number | bigint;
  /** Memory soft limit, bytes (`memory.low` on cgroup v2). */
  reservation?: number;
  /** Memory plus swap limit, bytes; -1 means unlimited (CRI `memory_swap_limit_in_bytes`); a `bigint` beyond 2^53. */
  swap?: number | bigint;
  /** Swap tendency, 0 to 100 (cgroup v1). */
  swappiness?: number;
  /** Pause tasks at the limit instead of OOM-killing them (cgroup v1). */
  disableOOMKiller?: boolean;
  /** Account child cgroups' usage in this cgroup (cgroup v1 `memory.use_hierarchy`). */
  useHierarchy?: boolean;
  /** On update, refuse a `limit` below the cgroup's current usage. */
  checkBeforeUpdate?: boolean;
}

/** @public CPU cgroup settings. */
export interface OciLinuxCpu {
  /** CPUs the container may use, as a list such as `0-3,7` (CRI `cpuset_cpus`). */
  cpus?: string;
  /** Memory nodes the container may use, as a list such as `0-1` (CRI `cpuset_mems`). */
  mems?: string;
  /** CFS period, microseconds (CRI `cpu_period`). */
  period?: number | bigint;
  /** CPU time allowed per `period`, microseconds; -1 means unlimited (CRI `cpu_quota`); a `bigint` beyond 2^53. */
  quota?: number | bigint;
  /** CPU time, microseconds, the cgroup may accumulate and spend beyond `quota` in a period. */
  burst?: number;
  /** Real-time scheduling period, microseconds (cgroup v1). */
  realtimePeriod?: number;
  /** Real-time CPU time allowed per `realtimePeriod`, microseconds (cgroup v1). */
  realtimeRuntime?: number;
  /**
   * Relative CPU weight (cgroup v1 `cpu.shares`, 1024 by default; runtimes convert it to `cpu.weight` on
   * cgroup v2) (CRI `cpu_shares`).
   */
  shares?: number | bigint;
  /** 1 makes the cgroup SCHED_IDLE (`cpu.idle`), 0 leaves it normal. */
  idle?: number;
}

/** @public A hugetlb limit; `pageSize` matches `^[1-9][0-9]*[KMG]B$`. */
export interface OciLinuxHugepageLimit {
  /** Huge page size, such as `2MB` or `1GB` (CRI `HugepageLimit.page_size`). */
  pageSize: string;
  /** Limit on huge page usage of that size, bytes (CRI `HugepageLimit.limit`); a `bigint` beyond 2^53. */
  limit: number | bigint;
}

/** @public A block device's major and minor numbers. */
export interface OciLinuxBlockIoDevice {
  /** Device major number. */
  major: number;
  /** Device minor number. */
  minor: number;
}

/** @public A per-device block I/O weight. */
export interface OciLinuxWeightDevice extends OciLinuxBlockIoDevice {
  /** Weight of this device, 10 to 1000; overrides the cgroup's `weight`. */
  weight?: number;
  /**
   * Weight of this device for the cgroup's own tasks when competing with its children (cgroup v1 CFQ only).
   */
  leafWeight?: number;
}

/** @public A per-device block I/O throttle. */
export interface OciLinuxThrottleDevice extends OciLinuxBlockIoDevice {
  /** Limit: bytes per second in the `*Bps*` lists, I/O operations per second in the `*IOPS*` lists. */
  rate?: number;
}

/** @public Block I/O cgroup settings. */
export interface OciLinuxBlockIo {
  /** Default block I/O weight of the cgroup, 10 to 1000. */
  weight?: number;
  /** Weight of the cgroup's own tasks when competing with its children (cgroup v1 CFQ only). */
  leafWeight?: number;
  /** Per-device weights. */
  weightDevice?: OciLinuxWeightDevice[];
  /** Per-device read limits, bytes per second. */
  throttleReadBpsDevice?: OciLinuxThrottleDevice[];
  /** Per-device write limits, bytes per second. */
  throttleWriteBpsDevice?: OciLinuxThrottleDevice[];
  /** Per-device read limits, operations per second. */
  throttleReadIOPSDevice?: OciLinuxThrottleDevice[];
  /** Per-device write limits, operations per second. */
  throttleWriteIOPSDevice?: OciLinuxThrottleDevice[];
}

/** @public A network interface priority. */
export interface OciLinuxInterfacePriority {
  /** Network interface name, such as `eth0`. */
  name: string;
  /** `net_prio` priority of traffic through that interface. */
  priority: number;
}

/** @public Network cgroup settings. */
export interface OciLinuxNetwork {
  /** `net_cls` class identifier tagged on the cgroup's packets. */
  classID?: number;
  /** Per-interface `net_prio` priorities. */
  priorities?: OciLinuxInterfacePriority[];
}

/** @public RDMA cgroup limits for one device. */
export interface OciLinuxRdma {
  /** Maximum number of HCA handles. */
  hcaHandles?: number;
  /** Maximum number of HCA objects. */
  hcaObjects?: number;
}

/** @public Linux cgroup resources. */
export interface OciLinuxResources {
  /**
   * cgroup v2 interface files and the values to write, such as `{"memory.high": "1073741824"}` (CRI
   * `unified`).
   */
  unified?: Record<string, string>;
  /** Device access rules, applied in order; a later rule overrides an earlier one. */
  devices?: OciLinuxDeviceCgroup[];
  /** Process limit: `limit` is the maximum number of tasks, -1 for unlimited. */
  pids?: { limit: number };
  /** Block I/O weights and throttles. */
  blockIO?: OciLinuxBlockIo;
  /** CPU and cpuset settings. */
  cpu?: OciLinuxCpu;
  /** Huge page limits, one per page size (CRI `hugepage_limits`). */
  hugepageLimits?: OciLinuxHugepageLimit[];
  /** Memory limits. */
  memory?: OciLinuxMemory;
  /** `net_cls` and `net_prio` settings. */
  network?: OciLinuxNetwork;
  /** RDMA limits keyed by device name, such as `mlx5_1`. */
  rdma?: Record<string, OciLinuxRdma>;
}

/** @public A seccomp action. */
export type OciSeccompAction =
  | "SCMP_ACT_KILL"
  | "SCMP_ACT_KILL_PROCESS"
  | "SCMP_ACT_KILL_THREAD"
  | "SCMP_ACT_TRAP"
  | "SCMP_ACT_ERRNO"
  | "SCMP_ACT_TRACE"
  | "SCMP_ACT_ALLOW"
  | "SCMP_ACT_LOG"
  | "SCMP_ACT_NOTIFY";

/** @public A seccomp architecture. */
export type OciSeccompArch =
  | "SCMP_ARCH_X86"
  | "SCMP_ARCH_X86_64"
  | "SCMP_ARCH_X32"
  | "SCMP_ARCH_ARM"
  | "SCMP_ARCH_AARCH64"
  | "SCMP_ARCH_LOONGARCH64"
  | "SCMP_ARCH_M68K"
  | "SCMP_ARCH_MIPS"
  | "SCMP_ARCH_MIPS64"
  | "SCMP_ARCH_MIPS64N32"
  | "SCMP_ARCH_MIPSEL"
  | "SCMP_ARCH_MIPSEL64"
  | "SCMP_ARCH_MIPSEL64N32"
  | "SCMP_ARCH_PPC"
  | "SCMP_ARCH_PPC64"
  | "SCMP_ARCH_PPC64LE"
  | "SCMP_ARCH_S390"
  | "SCMP_ARCH_S390X"
  | "SCMP_ARCH_SH"
  | "SCMP_ARCH_SHEB"
  | "SCMP_ARCH_PARISC"
  | "SCMP_ARCH_PARISC64"
  | "SCMP_ARCH_RISCV64";

/** @public A seccomp filter flag. */
export type OciSeccompFlag =
  | "SECCOMP_FILTER_FLAG_TSYNC"
  | "SECCOMP_FILTER_FLAG_LOG"
  | "SECCOMP_FILTER_FLAG_SPEC_ALLOW"
  | "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV";

/** @public A seccomp argument comparison operator. */
export type OciSeccompOperator =
  | "SCMP_CMP_NE"
  | "SCMP_CMP_LT"
  | "SCMP_CMP_LE"
  | "SCMP_CMP_EQ"
  | "SCMP_CMP_GE"
  | "SCMP_CMP_GT"
  | "SCMP_CMP_MASKED_EQ";

/** @public A condition on one syscall argument. */
export interface OciSeccompArg {
  /** Index of the syscall argument, 0 to 5. */
  index: number;
  /** Value compared with the argument; for `SCMP_CMP_MASKED_EQ`, the mask. */
  value: number;
  /** Second value; for `SCMP_CMP_MASKED_EQ`, what the masked argument must equal. */
  valueTwo?: number;
  /** Comparison operator. */
  op: OciSeccompOperator;
}

/** @public A seccomp rule for a group of syscalls. */
export interface OciSeccompSyscall {
  /** Syscall names the rule applies to, such as `clone3`. */
  names: string[];
  /** What happens when one of the syscalls is called and all `args` match. */
  action: OciSeccompAction;
  /** errno returned for `SCMP_ACT_ERRNO` and `SCMP_ACT_TRACE`. @defaultValue EPERM (1) */
  errnoRet?: number;
  /** Conditions on the arguments; all must match. */
  args?: OciSeccompArg[];
}

/** @public A seccomp profile. */
export interface OciSeccomp {
  /** Action for syscalls that no rule matches. */
  defaultAction: OciSeccompAction;
  /** errno returned when `defaultAction` is `SCMP_ACT_ERRNO`. @defaultValue EPERM (1) */
  defaultErrnoRet?: number;
  /** Flags passed to `seccomp(2)` when the filter is loaded. */
  flags?: OciSeccompFlag[];
  /**
   * Unix socket to which the runtime sends the seccomp notify file descriptor (needed by `SCMP_ACT_NOTIFY`).
   */
  listenerPath?: string;
  /** Opaque string the runtime sends to the listener with the file descriptor. */
  listenerMetadata?: string;
  /** Architectures the filter applies to, in addition to the native one. */
  architectures?: OciSeccompArch[];
  /** Rules, in order. */
  syscalls?: OciSeccompSyscall[];
}

/** @public Intel RDT (resctrl) settings. */
export interface OciLinuxIntelRdt {
  /** resctrl group (class of service) the container joins. @defaultValue the container ID */
  closID?: string;
  /** L3 cache allocation schema, such as `L3:0=ffff0;1=3ff`. */
  l3CacheSchema?: string;
  /** Memory bandwidth allocation schema, such as `MB:0=20;1=70`. */
  memBwSchema?: string;
  /** Enable cache monitoring (CMT) for the group. */
  enableCMT?: boolean;
  /** Enable memory bandwidth monitoring (MBM) for the group. */
  enableMBM?: boolean;
}

/** @public Execution domain (personality) of the process. */
export interface OciLinuxPersonality {
  /** Execution domain: `LINUX`, or `LINUX32` for a 32-bit `uname` on 64-bit hosts. */
  domain?: "LINUX" | "LINUX32";
  /** Extra personality flags (none are defined yet). */
  flags?: string[];
}

/** @public A time-namespace clock offset. */
export interface OciLinuxTimeOffset {
  /** Offset of the clock, seconds. */
  secs?: number;
  /** Offset of the clock, nanoseconds (added to `secs`). */
  nanosecs?: number;
}

/** @public The rootfs mount propagation. */
export type OciRootfsPropagation = "private" | "shared" | "slave" | "unbindable";

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

/** @public A Windows device. */
export interface OciWindowsDevice {
  /** Device interface class GUID. */
  id: string;
  /** How `id` is interpreted; only `class` is defined. */
  idType: "class";
}

/** @public Windows-specific configuration. */
export interface OciWindows {
  /**
   * Layer folders the image relies on, from the topmost layer to the base, the last entry being the scratch
   * layer.
   */
  layerFolders: string[];
  /** Devices assigned to the container. */
  devices?: OciWindowsDevice[];
  /**
   * Limits: memory (bytes), CPU (count, shares, maximum) and storage (IOPS, bytes per second, sandbox size in
   * bytes).
   */
  resources?: {
    memory?: { limit?: number };
    cpu?: { count?: number; shares?: number; maximum?: number; affinity?: { mask?: number; group?: number } };
    storage?: { iops?: number; bps?: number; sandboxSize?: number };
  };
  /** Network settings: HNS endpoints, DNS search list, shared network namespace. */
  network?: {
    endpointList?: string[];
    allowUnqualifiedDNSQuery?: boolean;
    DNSSearchList?: string[];
    networkSharedContainerName?: string;
    networkNamespace?: string;
  };
  /** Group Managed Service Account credential spec (JSON). */
  credentialSpec?: Record<string, unknown>;
  /** The container is started to service the host (apply updates). */
  servicing?: boolean;
  /** Ignore disk flushes while the container boots. */
  ignoreFlushesDuringBoot?: boolean;
  /** Run the container in a Hyper-V utility VM (Hyper-V isolation). */
  hyperv?: { utilityVMPath?: string };
}

/** @public Solaris-specific configuration. */
export interface OciSolaris {
  /** SMF FMRI that must be online before the container's process starts. */
  milestone?: string;
  /** Maximum set of privileges the zone's processes may have. */
  limitpriv?: string;
  /** Maximum shared memory of the zone. */
  maxShmMemory?: string;
  /** CPU cap of the zone, in CPUs. */
  cappedCPU?: { ncpus?: string };
  /** Physical and swap memory caps of the zone. */
  cappedMemory?: { physical?: string; swap?: string };
  /** Automatic virtual network interfaces of the zone. */
  anet?: Array<{
    linkname?: string;
    lowerLink?: string;
    allowedAddress?: string;
    configureAllowedAddress?: string;
    defrouter?: string;
    macAddress?: string;
    linkProtection?: string;
  }>;
}

/** @public Configuration for virtual-machine-based containers. */
export interface OciVm {
  /** Hypervisor executable and its parameters. */
  hypervisor?: { path: string; parameters?: string[] };
  /** Guest kernel, its parameters and initrd. */
  kernel: { path: string; parameters?: string[]; initrd?: string };
  /** Guest root disk image and its format. */
  image?: { path: string; format: "raw" | "qcow2" | "vdi" | "vmdk" | "vhd" };
}

/** @public z/OS-specific configuration. */
export interface OciZos {
  /** Namespaces to create or join, as {@link OciLinux.namespaces}. */
  namespaces?: Array<{ type: "mount" | "pid" | "uts" | "ipc"; path?: string }>;
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
