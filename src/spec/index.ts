/**
 * OCI runtime-spec generation from CRI configs (Linux), and the pure CRI
 * helpers around it: passthrough annotations, labels, mount and namespace
 * checks.
 *
 * @packageDocumentation
 */
export { OCI_VERSION } from "./oci-types.js";
export { parseExactJson, specInt, stringifyExactJson } from "./exact-json.js";
export type {
  OciSpec,
  OciHook,
  OciHooks,
  OciIdMapping,
  OciMount,
  OciRoot,
  OciConsoleSize,
  OciUser,
  OciCapabilities,
  OciRlimit,
  OciIoPriority,
  OciSchedulerPolicy,
  OciSchedulerFlag,
  OciScheduler,
  OciExecCpuAffinity,
  OciProcess,
  OciNamespaceType,
  OciNamespace,
  OciLinuxDevice,
  OciLinuxDeviceCgroup,
  OciLinuxMemory,
  OciLinuxCpu,
  OciLinuxHugepageLimit,
  OciLinuxBlockIoDevice,
  OciLinuxWeightDevice,
  OciLinuxThrottleDevice,
  OciLinuxBlockIo,
  OciLinuxInterfacePriority,
  OciLinuxNetwork,
  OciLinuxRdma,
  OciLinuxResources,
  OciSeccompAction,
  OciSeccompArch,
  OciSeccompFlag,
  OciSeccompOperator,
  OciSeccompArg,
  OciSeccompSyscall,
  OciSeccomp,
  OciLinuxIntelRdt,
  OciLinuxPersonality,
  OciLinuxTimeOffset,
  OciRootfsPropagation,
  OciLinux,
  OciWindowsDevice,
  OciWindows,
  OciSolaris,
  OciVm,
  OciZos,
} from "./oci-types.js";

export type {
  SpecLogger,
  HostPathInfo,
  SpecHost,
  RootfsReader,
  ImageConfigInput,
  SpecFeatures,
  CgroupDriver,
  SandboxFiles,
  NamespacePaths,
  CommonSpecInput,
  ContainerSpecInput,
  SandboxSpecInput,
} from "./input.js";

export { applySpecOptions } from "./spec-option.js";
export type { SpecOption } from "./spec-option.js";

export {
  defaultContainerSpecOptions,
  defaultSandboxSpecOptions,
  generateContainerSpec,
  generateSandboxSpec,
  containerSpecInput,
} from "./generate.js";
export type { ContainerSpecInit, SandboxSpecInit, GenerateSpecOptions } from "./generate.js";

export {
  DEFAULT_PATH_ENV,
  DEFAULT_MASKED_PATHS,
  DEFAULT_READONLY_PATHS,
  DEFAULT_RLIMITS,
  DEFAULT_SHM_SIZE,
  defaultMounts,
  createBaseSpec,
} from "./defaults.js";

export { ALL_CAPABILITIES, DEFAULT_CAPABILITIES, normalizeCapability, capabilityMask, computeCapabilities } from "./capabilities.js";
export type { CapabilityRequest } from "./capabilities.js";

export { parsePasswd, parseGroup, resolveUser } from "./user.js";
export type { PasswdEntry, GroupEntry, UserRequest } from "./user.js";

export { buildHostnameFile, buildHostsFile, buildResolvConf } from "./pod-files.js";
export type { HostsFileOptions, DnsConfigInput } from "./pod-files.js";

export {
  withContainerRoot,
  containerArgs,
  withProcessArgs,
  withWorkingDir,
  withTerminal,
  mergeEnv,
  podHostname,
  withEnv,
  withUser,
  withCapabilities,
  withNoNewPrivileges,
  effectiveOomScoreAdj,
  withOomScoreAdj,
  withDefaultRlimits,
} from "./process-options.js";

export { anonymousVolumes, withContainerMounts, withSandboxMounts } from "./mount-options.js";
export type { AnonymousVolume } from "./mount-options.js";

export {
  withContainerNamespaces,
  withSandboxNamespaces,
  resourcesToOci,
  withResources,
  SANDBOX_CPU_SHARES,
  withSandboxResources,
  cgroupsPath,
  withContainerCgroupsPath,
  withSandboxCgroupsPath,
  withContainerSysctls,
  withSandboxSysctls,
  withDevices,
  withMaskedAndReadonlyPaths,
  withSandboxMaskedAndReadonlyPaths,
} from "./linux-options.js";

export {
  legacySecurityProfile,
  withContainerSeccomp,
  withSandboxSeccomp,
  withContainerApparmor,
  withSandboxApparmor,
  selinuxLabels,
  withContainerSelinux,
  withSandboxSelinux,
  withPrivilegedCheck,
} from "./security-options.js";

export { CriAnnotations, ContainerTypes, withContainerAnnotations, withSandboxAnnotations } from "./annotation-options.js";

export {
  DEFAULT_PAUSE_ARGS,
  SANDBOX_OOM_SCORE_ADJ,
  withSandboxRoot,
  withSandboxProcess,
  withSandboxHostname,
  withSandboxUser,
  withSandboxSecurity,
} from "./sandbox-options.js";

export { goPathMatch, passthroughAnnotations } from "./path-match.js";
export type { PathMatchResult } from "./path-match.js";

export { DEFAULT_LABEL_PREFIX, MAX_LABEL_BYTES, labelError, buildLabels } from "./labels.js";
export type { BuildLabelsOptions, ContainerKind } from "./labels.js";

export { resolveInRootfs } from "./rootfs-path.js";
export type { SymlinkReader } from "./rootfs-path.js";

export { cleanPath, isInCriMounts, isHostNetwork, validateTargetContainer } from "./helpers.js";
export type { SandboxNetworkView, TargetContainerInfo } from "./helpers.js";
