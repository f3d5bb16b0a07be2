/**
 * TypeScript types of the Linux-specific parts of the OCI runtime
 * specification v1.2.1 `config.json` (`config-linux.json`): devices,
 * resources, seccomp and the rest that `OciLinux` holds. See `oci-types.ts`.
 *
 * @packageDocumentation
 */
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
  /** Memory limit, bytes (`memory.max` on cgroup v2) (CRI `memory_limit_in_bytes`). */
  limit?: number;
  /** Memory soft limit, bytes (`memory.low` on cgroup v2). */
  reservation?: number;
  /** Memory plus swap limit, bytes; -1 means unlimited (CRI `memory_swap_limit_in_bytes`). */
  swap?: number;
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
  period?: number;
  /** CPU time allowed per `period`, microseconds; -1 means unlimited (CRI `cpu_quota`). */
  quota?: number;
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
  shares?: number;
  /** 1 makes the cgroup SCHED_IDLE (`cpu.idle`), 0 leaves it normal. */
  idle?: number;
}

/** @public A hugetlb limit; `pageSize` matches `^[1-9][0-9]*[KMG]B$`. */
export interface OciLinuxHugepageLimit {
  /** Huge page size, such as `2MB` or `1GB` (CRI `HugepageLimit.page_size`). */
  pageSize: string;
  /** Limit on huge page usage of that size, bytes (CRI `HugepageLimit.limit`). */
  limit: number;
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
