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
  path: string;
  args?: string[];
  env?: string[];
  /** Seconds; at least 1. */
  timeout?: number;
}

/** @public Lifecycle hooks. `prestart` is deprecated in the spec. */
export interface OciHooks {
  prestart?: OciHook[];
  createRuntime?: OciHook[];
  createContainer?: OciHook[];
  startContainer?: OciHook[];
  poststart?: OciHook[];
  poststop?: OciHook[];
}

/** @public A user or group ID mapping (user namespaces, idmapped mounts). */
export interface OciIdMapping {
  containerID: number;
  hostID: number;
  size: number;
}

/** @public A mount. */
export interface OciMount {
  destination: string;
  source?: string;
  options?: string[];
  type?: string;
  uidMappings?: OciIdMapping[];
  gidMappings?: OciIdMapping[];
}

/** @public The container's root filesystem. */
export interface OciRoot {
  path: string;
  readonly?: boolean;
}

/** @public Console size for a terminal process. */
export interface OciConsoleSize {
  height: number;
  width: number;
}

/** @public The user a process runs as. */
export interface OciUser {
  uid?: number;
  gid?: number;
  umask?: number;
  additionalGids?: number[];
  /** Windows only. */
  username?: string;
}

/** @public Capability sets; each entry is a name such as `CAP_CHOWN`. */
export interface OciCapabilities {
  bounding?: string[];
  permitted?: string[];
  effective?: string[];
  inheritable?: string[];
  ambient?: string[];
}

/** @public An rlimit; `type` matches `^RLIMIT_[A-Z]+$`. */
export interface OciRlimit {
  type: string;
  soft: number;
  hard: number;
}

/** @public I/O priority of the process. */
export interface OciIoPriority {
  class: "IOPRIO_CLASS_RT" | "IOPRIO_CLASS_BE" | "IOPRIO_CLASS_IDLE";
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
  policy: OciSchedulerPolicy;
  nice?: number;
  priority?: number;
  flags?: OciSchedulerFlag[];
  runtime?: number;
  deadline?: number;
  period?: number;
}

/** @public CPU affinity applied at exec time (lists such as `0-3,7`). */
export interface OciExecCpuAffinity {
  initial?: string;
  final?: string;
}

/** @public The container process. */
export interface OciProcess {
  cwd: string;
  args?: string[];
  /** Windows only: the whole command line. */
  commandLine?: string;
  consoleSize?: OciConsoleSize;
  env?: string[];
  terminal?: boolean;
  user?: OciUser;
  capabilities?: OciCapabilities;
  apparmorProfile?: string;
  oomScoreAdj?: number;
  selinuxLabel?: string;
  ioPriority?: OciIoPriority;
  noNewPrivileges?: boolean;
  scheduler?: OciScheduler;
  rlimits?: OciRlimit[];
  execCPUAffinity?: OciExecCpuAffinity;
}

/** @public A Linux namespace type. */
export type OciNamespaceType = "mount" | "pid" | "network" | "uts" | "ipc" | "user" | "cgroup" | "time";

/** @public A namespace to create (no `path`) or join (`path`). */
export interface OciNamespace {
  type: OciNamespaceType;
  path?: string;
}

/** @public A device node created in the container. `type` is `c`, `b`, `u` or `p`. */
export interface OciLinuxDevice {
  type: string;
  path: string;
  fileMode?: number;
  major?: number;
  minor?: number;
  uid?: number;
  gid?: number;
}

/** @public A device cgroup rule. */
export interface OciLinuxDeviceCgroup {
  allow: boolean;
  type?: string;
  major?: number;
  minor?: number;
  access?: string;
}

/** @public Memory cgroup settings. */
export interface OciLinuxMemory {
  kernel?: number;
  kernelTCP?: number;
  limit?: number;
  reservation?: number;
  swap?: number;
  swappiness?: number;
  disableOOMKiller?: boolean;
  useHierarchy?: boolean;
  checkBeforeUpdate?: boolean;
}

/** @public CPU cgroup settings. */
export interface OciLinuxCpu {
  cpus?: string;
  mems?: string;
  period?: number;
  quota?: number;
  burst?: number;
  realtimePeriod?: number;
  realtimeRuntime?: number;
  shares?: number;
  idle?: number;
}

/** @public A hugetlb limit; `pageSize` matches `^[1-9][0-9]*[KMG]B$`. */
export interface OciLinuxHugepageLimit {
  pageSize: string;
  limit: number;
}

/** @public A block device's major and minor numbers. */
export interface OciLinuxBlockIoDevice {
  major: number;
  minor: number;
}

/** @public A per-device block I/O weight. */
export interface OciLinuxWeightDevice extends OciLinuxBlockIoDevice {
  weight?: number;
  leafWeight?: number;
}

/** @public A per-device block I/O throttle. */
export interface OciLinuxThrottleDevice extends OciLinuxBlockIoDevice {
  rate?: number;
}

/** @public Block I/O cgroup settings. */
export interface OciLinuxBlockIo {
  weight?: number;
  leafWeight?: number;
  weightDevice?: OciLinuxWeightDevice[];
  throttleReadBpsDevice?: OciLinuxThrottleDevice[];
  throttleWriteBpsDevice?: OciLinuxThrottleDevice[];
  throttleReadIOPSDevice?: OciLinuxThrottleDevice[];
  throttleWriteIOPSDevice?: OciLinuxThrottleDevice[];
}

/** @public A network interface priority. */
export interface OciLinuxInterfacePriority {
  name: string;
  priority: number;
}

/** @public Network cgroup settings. */
export interface OciLinuxNetwork {
  classID?: number;
  priorities?: OciLinuxInterfacePriority[];
}

/** @public RDMA cgroup limits for one device. */
export interface OciLinuxRdma {
  hcaHandles?: number;
  hcaObjects?: number;
}

/** @public Linux cgroup resources. */
export interface OciLinuxResources {
  unified?: Record<string, string>;
  devices?: OciLinuxDeviceCgroup[];
  pids?: { limit: number };
  blockIO?: OciLinuxBlockIo;
  cpu?: OciLinuxCpu;
  hugepageLimits?: OciLinuxHugepageLimit[];
  memory?: OciLinuxMemory;
  network?: OciLinuxNetwork;
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
  index: number;
  value: number;
  valueTwo?: number;
  op: OciSeccompOperator;
}

/** @public A seccomp rule for a group of syscalls. */
export interface OciSeccompSyscall {
  names: string[];
  action: OciSeccompAction;
  errnoRet?: number;
  args?: OciSeccompArg[];
}

/** @public A seccomp profile. */
export interface OciSeccomp {
  defaultAction: OciSeccompAction;
  defaultErrnoRet?: number;
  flags?: OciSeccompFlag[];
  listenerPath?: string;
  listenerMetadata?: string;
  architectures?: OciSeccompArch[];
  syscalls?: OciSeccompSyscall[];
}

/** @public Intel RDT (resctrl) settings. */
export interface OciLinuxIntelRdt {
  closID?: string;
  l3CacheSchema?: string;
  memBwSchema?: string;
  enableCMT?: boolean;
  enableMBM?: boolean;
}

/** @public Execution domain (personality) of the process. */
export interface OciLinuxPersonality {
  domain?: "LINUX" | "LINUX32";
  flags?: string[];
}

/** @public A time-namespace clock offset. */
export interface OciLinuxTimeOffset {
  secs?: number;
  nanosecs?: number;
}

/** @public The rootfs mount propagation. */
export type OciRootfsPropagation = "private" | "shared" | "slave" | "unbindable";

/** @public Linux-specific configuration. */
export interface OciLinux {
  devices?: OciLinuxDevice[];
  uidMappings?: OciIdMapping[];
  gidMappings?: OciIdMapping[];
  namespaces?: OciNamespace[];
  resources?: OciLinuxResources;
  cgroupsPath?: string;
  rootfsPropagation?: OciRootfsPropagation;
  seccomp?: OciSeccomp;
  sysctl?: Record<string, string>;
  maskedPaths?: string[];
  readonlyPaths?: string[];
  mountLabel?: string;
  intelRdt?: OciLinuxIntelRdt;
  personality?: OciLinuxPersonality;
  timeOffsets?: { boottime?: OciLinuxTimeOffset; monotonic?: OciLinuxTimeOffset };
}

/** @public A Windows device. */
export interface OciWindowsDevice {
  id: string;
  idType: "class";
}

/** @public Windows-specific configuration. */
export interface OciWindows {
  layerFolders: string[];
  devices?: OciWindowsDevice[];
  resources?: {
    memory?: { limit?: number };
    cpu?: { count?: number; shares?: number; maximum?: number; affinity?: { mask?: number; group?: number } };
    storage?: { iops?: number; bps?: number; sandboxSize?: number };
  };
  network?: {
    endpointList?: string[];
    allowUnqualifiedDNSQuery?: boolean;
    DNSSearchList?: string[];
    networkSharedContainerName?: string;
    networkNamespace?: string;
  };
  credentialSpec?: Record<string, unknown>;
  servicing?: boolean;
  ignoreFlushesDuringBoot?: boolean;
  hyperv?: { utilityVMPath?: string };
}

/** @public Solaris-specific configuration. */
export interface OciSolaris {
  milestone?: string;
  limitpriv?: string;
  maxShmMemory?: string;
  cappedCPU?: { ncpus?: string };
  cappedMemory?: { physical?: string; swap?: string };
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
  hypervisor?: { path: string; parameters?: string[] };
  kernel: { path: string; parameters?: string[]; initrd?: string };
  image?: { path: string; format: "raw" | "qcow2" | "vdi" | "vmdk" | "vhd" };
}

/** @public z/OS-specific configuration. */
export interface OciZos {
  namespaces?: Array<{ type: "mount" | "pid" | "uts" | "ipc"; path?: string }>;
}

/**
 * An OCI runtime-spec v1.2.1 `config.json`.
 *
 * @public
 */
export interface OciSpec {
  ociVersion: string;
  hooks?: OciHooks;
  annotations?: Record<string, string>;
  hostname?: string;
  domainname?: string;
  mounts?: OciMount[];
  root?: OciRoot;
  process?: OciProcess;
  linux?: OciLinux;
  solaris?: OciSolaris;
  windows?: OciWindows;
  vm?: OciVm;
  zos?: OciZos;
}
