/**
 * crikit: building blocks for Kubernetes CRI runtimes.
 *
 * Everything public is listed here by name. The optional CRI server lives in
 * `crikit/transport`.
 *
 * @packageDocumentation
 */

// --- CRI types (generated from runtime.v1) ----------------------------------
export * as cri from "./cri.js";

// --- logging ---
export { silentLogger } from "./logger.js";
export type { Logger } from "./logger.js";

// --- errors -----------------------------------------------------------------
export { CrikitError, ErrorCode, isCrikitError, hasErrorCode, errorCodeOf, notFound, alreadyExists, invalidArgument, failedPrecondition, unimplemented } from "./errors.js";
export type { ErrorCodeName } from "./errors.js";

// --- status, references, runtime options ---
export { ExitReason, SandboxState, SpecialExitCode, containerStateName, exitReason, parseContainerState, parsePodSandboxState, podSandboxStateName, resourcesFromSpec, toCriSandboxState, unknownContainerStatus, unknownSandboxState } from "./status/index.js";
export type { ContainerStateName, ExitFacts, PodSandboxStateName, SpecInteger, SpecLinuxResourcesInput, SpecResourcesInput, SpecWindowsResourcesInput, UnknownContainerStatus } from "./status/index.js";
export { DEFAULT_REGISTRY_DOMAIN, DEFAULT_IMAGE_TAG, MAX_REFERENCE_NAME_LENGTH, familiarName, formatReference, isImageIdReference, normalizeReference, parseDigest, parseImageUser, parseReference, repoDigest, repoTag, repositoryName, splitRepoTagsAndDigests } from "./reference/index.js";
export type { ImageGroupPart, ImageUser, ImageUserPart, ParsedReference, RepoTagsAndDigests } from "./reference/index.js";
export { GenericRuntimeOptionsSchema, LegacyRuncOptionsSchema, RuncOptionsSchema, RuntimeOptionsTypeUrl, RuntimeType, createRuntimeOptionsRegistry, decodeRuntimeOptions, runtimeOptionsFromAny, runtimeOptionsToAny } from "./runtime-options/index.js";
export type { DecodedRuntimeOptions, GenericRuntimeOptions, LegacyRuncOptions, RuncOptions, RuntimeOptionsRegistry, RuntimeOptionsSection } from "./runtime-options/index.js";
// --- end status, references, runtime options ---

// --- image ---
export { MediaType, layerCompression, manifestAccept, isSha256Digest, digestHex, sha256Digest, chainIds, ContentStore, applyLayer, Snapshotter, hostPlatform, platformMatches, selectPlatform, RegistryClient, parseChallenge, ImageService, imageSpecConfig, toCriImage, toCriFilesystemUsage, fromCriAuthConfig, criImageVerboseInfo } from "./image/index.js";
export type { LayerCompression, Platform, Descriptor, ImageManifest, ImageIndex, ImageRuntimeConfig, ImageConfigFile, ContentStoreOptions, IngestOptions, BlobSource, ApplyLayerOptions, ApplyLayerResult, OverlayMountOptions, RegistryAuth, RegistryHostConfig, RegistryClientOptions, RegistryCallOptions, FetchedManifest, PullProgress, ImageLogger, ImageServiceOptions, PullOptions, PullResult, ImageSpecConfig, ImageFsUsage, ImageRecord, ImageDetails } from "./image/index.js";
// --- end image ---

// --- spec ---
export { OCI_VERSION, parseExactJson, specInt, stringifyExactJson, applySpecOptions, defaultContainerSpecOptions, defaultSandboxSpecOptions, generateContainerSpec, generateSandboxSpec, containerSpecInput, DEFAULT_PATH_ENV, DEFAULT_MASKED_PATHS, DEFAULT_READONLY_PATHS, DEFAULT_RLIMITS, DEFAULT_SHM_SIZE, defaultMounts, createBaseSpec, ALL_CAPABILITIES, DEFAULT_CAPABILITIES, normalizeCapability, capabilityMask, computeCapabilities, parsePasswd, parseGroup, resolveUser, buildHostnameFile, buildHostsFile, buildResolvConf, withContainerRoot, containerArgs, withProcessArgs, withWorkingDir, withTerminal, mergeEnv, podHostname, withEnv, withUser, withCapabilities, withNoNewPrivileges, effectiveOomScoreAdj, withOomScoreAdj, withDefaultRlimits, anonymousVolumes, withContainerMounts, withSandboxMounts, withContainerNamespaces, withSandboxNamespaces, resourcesToOci, withResources, SANDBOX_CPU_SHARES, withSandboxResources, cgroupsPath, withContainerCgroupsPath, withSandboxCgroupsPath, withContainerSysctls, withSandboxSysctls, withDevices, withMaskedAndReadonlyPaths, withSandboxMaskedAndReadonlyPaths, legacySecurityProfile, withContainerSeccomp, withSandboxSeccomp, withContainerApparmor, withSandboxApparmor, selinuxLabels, withContainerSelinux, withSandboxSelinux, withPrivilegedCheck, CriAnnotations, ContainerTypes, withContainerAnnotations, withSandboxAnnotations, DEFAULT_PAUSE_ARGS, SANDBOX_OOM_SCORE_ADJ, withSandboxRoot, withSandboxProcess, withSandboxHostname, withSandboxUser, withSandboxSecurity, goPathMatch, passthroughAnnotations, DEFAULT_LABEL_PREFIX, MAX_LABEL_BYTES, labelError, buildLabels, cleanPath, isInCriMounts, isHostNetwork, validateTargetContainer, resolveInRootfs } from "./spec/index.js";
export type { OciSpec, OciHook, OciHooks, OciIdMapping, OciMount, OciRoot, OciConsoleSize, OciUser, OciCapabilities, OciRlimit, OciIoPriority, OciSchedulerPolicy, OciSchedulerFlag, OciScheduler, OciExecCpuAffinity, OciProcess, OciNamespaceType, OciNamespace, OciLinuxDevice, OciLinuxDeviceCgroup, OciLinuxMemory, OciLinuxCpu, OciLinuxHugepageLimit, OciLinuxBlockIoDevice, OciLinuxWeightDevice, OciLinuxThrottleDevice, OciLinuxBlockIo, OciLinuxInterfacePriority, OciLinuxNetwork, OciLinuxRdma, OciLinuxResources, OciSeccompAction, OciSeccompArch, OciSeccompFlag, OciSeccompOperator, OciSeccompArg, OciSeccompSyscall, OciSeccomp, OciLinuxIntelRdt, OciLinuxPersonality, OciLinuxTimeOffset, OciRootfsPropagation, OciLinux, OciWindowsDevice, OciWindows, OciSolaris, OciVm, OciZos, SpecLogger, HostPathInfo, SpecHost, RootfsReader, ImageConfigInput, SpecFeatures, CgroupDriver, SandboxFiles, NamespacePaths, CommonSpecInput, ContainerSpecInput, SandboxSpecInput, SpecOption, ContainerSpecInit, SandboxSpecInit, GenerateSpecOptions, CapabilityRequest, PasswdEntry, GroupEntry, UserRequest, HostsFileOptions, DnsConfigInput, AnonymousVolume, PathMatchResult, BuildLabelsOptions, ContainerKind, SandboxNetworkView, TargetContainerInfo, SymlinkReader } from "./spec/index.js";
export { DEFAULT_SECCOMP_TEMPLATE, createDefaultSeccompProfile } from "./seccomp/index.js";
export type { SeccompTemplate, SeccompTemplateRule, DefaultSeccompOptions } from "./seccomp/index.js";
// --- end spec ---

// --- network ---
export { CniManager, networkNotReadyReason, createNetnsManager, createCniExec, CniPluginError, CniErrorCode, isCniPluginError, parseCniErrorJson, CniConfDir, buildCniConfigSet, isCniConfigFileName, parseCniConfigFile, toCniNetworkConfigList, parseCniResult, selectPodIps, bandwidthFromAnnotations, buildCapabilityArgs, buildCniArgs, buildPluginStdin, formatCniArgs, toCniPortMappings, ingressBandwidthAnnotation, egressBandwidthAnnotation, cniVersionHas, compareCniVersions, isSupportedCniVersion, supportedCniVersions, createFileAttachmentCache, forwardPort } from "./network/index.js";
export type { CniLogger, CniManagerOptions, CniNetworkStatus, CniVersionInfo, PodNetworkRequest, PodNetworkSetup, PodNetworkTeardownRequest, NetnsManager, NetnsManagerOptions, CniExec, CniExecOptions, CniExecOutput, CniExecRequest, CniErrorJson, CniPluginErrorInit, CniConfigFileError, CniConfigSet, CniNetworkConfigList, CniPluginConfig, CniDns, CniInterface, CniIpConfig, CniResult, CniRoute, CapabilityInput, CniBandwidth, CniPodIdentity, CniPortMapping, DnsInput, PortMappingInput, CniCommand, CniVersion, CniAttachment, CniAttachmentCache, ForwardPortInput } from "./network/index.js";
// --- end network ---

// --- process spawning ---
export { createSpawner, acquireSharedSpawner, defaultRunner, directRunner, runCommand } from "./process/index.js";
export type { Spawner, SpawnerOptions, ProcessRunner, RunRequest, RunResult, RunCommandOptions } from "./process/index.js";
// --- end process spawning ---

// --- oci runtime ---
export { OciRuntime, createRuntimeCli, RuntimeCommandError, isRuntimeCommandError, classifyRuntimeError, runtimeErrorMessage, buildConmonArgs, parseConmonSyncMessage, runConmon, runExecSync, parseCriLogLine, parseCriLog, joinCriLogLines, formatCriLog, criLogTime, runExecStream, attachToConmon } from "./oci/index.js";
export type { OciRuntimeOptions, OciLogger, OciCreateContainerInput, OciCallOptions, OciContainerStatus, OciRecoveryResult, RuntimeCli, RuntimeCliOptions, RuntimeCallOptions, RuntimeState, RuntimeErrorKind, RuntimeCommandFailure, ConmonArgsInput, RunConmonOptions, ExecSyncInput, ExecSyncResult, CriLogRecord, ExecStreamInput, AttachInput } from "./oci/index.js";
export { startSandbox, stopSandbox, removeSandbox, loadSandbox, generateInfraSpec, pinNamespaces, unpinNamespaces, mountPodShm, unmountPodShm } from "./sandbox/index.js";
export type { SandboxMode, SandboxInput, SandboxHandle, InfraSpecInit, PinNamespacesInput, PinnedNamespaces, PinnableNamespace } from "./sandbox/index.js";
// --- end oci runtime ---

// --- runtime handlers (extension points) ---
export { createSandboxController, createDirSandboxController } from "./sandbox/index.js";
export type { ContainerRuntime, ContainerCallOptions, ContainerCreateInput, RuntimeContainerStatus, RuntimeRecovery, ExitWatch, ExitWatchOptions, RuntimeExecResult, SandboxController, LifecycleHooks, LifecycleEvent, LifecycleStep, ContainerSpecContext, RuntimeHandler } from "./runtime/index.js";
// --- end runtime handlers ---
// --- validation ---
export { MIN_MEMORY_LIMIT_BYTES, RESOURCE_RANGES, parseCpuset, validateContainerConfig, validateCriMessage, validateCriRequest, validateExecTimeout, validateLinuxResources, validateLogDirectory, validateLogPath, validateMessageFields, validatePodSandboxConfig } from "./validation/index.js";
export type { ValidationHost } from "./validation/index.js";
// --- end validation ---

// --- naming and stores ---
export { makeSandboxName, makeContainerName, parseSandboxName, parseContainerName, validateSandboxMetadata, validateContainerMetadata, generateId, createRandomIdGenerator, isFullId, ID_LENGTH, createObjectDirs } from "./naming/index.js";
export type { SandboxNameMetadata, ContainerNameMetadata, ParsedContainerName, IdGenerator, RandomIdGeneratorOptions, ObjectDirs, ObjectDirsOptions } from "./naming/index.js";
export { Registrar, TruncIndex, isAmbiguousPrefixError, ObjectLocks, Store, ContainerStore, containerState, newContainerStatus, SandboxStore, sandboxState, newSandboxStatus, ImageStore } from "./stores/index.js";
export type { TruncIndexOptions, StoreRecord, StoreOptions, StatusUpdate, AsyncStatusUpdate, UpdateAsyncOptions, ContainerMetadata, ContainerStatus, DerivedContainerState, ContainerRecord, ContainerRuntimeFacts, SandboxMetadata, SandboxStatus, DerivedSandboxState, SandboxRecord, SandboxRuntimeFacts, ParkedResult, ImageStoreRecord, NewImage, ImageReferences } from "./stores/index.js";
// --- end naming and stores ---

// --- server ---
export { CriService, createCriService, createCniPodNetwork, createMonotonicClock, RUNTIME_RPCS, IMAGE_RPCS, EventBroadcaster, LateResults, DirSyncer, RecordDir, recordFromJson, recordToJson, writeFileAtomic, ExitMonitor, createNodeSpecHost, createDirRootfsReader, nodeValidationHost, defaultCniConflist, ensureDefaultCniConfig, createOciStreamingRuntime } from "./server/index.js";
export type { CriServiceOptions, CriServiceDeps, CriServiceRpcs, CriServiceMethod, CriImmediateRpc, CallContext, ServiceLogger, PodNetwork, ImageBackend, ResolvedHandler, SpecEnvironment, RecordStore, WriteOptions, SandboxFileRecord, ContainerFileRecord, IntentRecord, SandboxCreateIntent, ContainerCreateIntent, ObjectIntent, Clock, EventBroadcasterOptions, LateResultsOptions, ExitMonitorOptions, DefaultCniOptions, OciStreamingRuntimeOptions, StreamingContainerTarget, StreamingSandboxTarget } from "./server/index.js";
export { daemonConfigSchema, defaultDaemonConfig, parseDaemonConfig, resolveDaemonConfig, runtimeHandlerSettings, parseUlimit, parseHostPort } from "./config/index.js";
export type { DaemonConfig, RegistryAuthConfig, RegistryMirrorConfig, RuntimeHandlerConfig, RuntimeHandlerSettings } from "./config/index.js";
// The handler shapes CriService.handlers() returns (types only: nothing of the transport is loaded).
export type { RuntimeServiceImpl, ImageServiceImpl } from "./transport/service-impl.js";
// --- end server ---

// --- streaming ---
export { StreamingServer, SPDY_REMOTE_COMMAND_PROTOCOLS, SPDY_PORT_FORWARD_PROTOCOL, WEBSOCKET_REMOTE_COMMAND_PROTOCOLS, WEBSOCKET_PORT_FORWARD_PROTOCOLS } from "./streaming/index.js";
export type { StreamingServerOptions, StreamingTlsOptions, ExecInit, AttachInit, PortForwardInit, StreamingRuntime, StreamingIO, TerminalSize, StreamingLogger, StreamRequest, StreamExecRequest, StreamAttachRequest, StreamPortForwardRequest } from "./streaming/index.js";
// --- end streaming ---

// --- stats ---
export { StatsCollector, CONTAINERS_PER_TURN, createCgroupReader, wallClockNs, CpuRateTracker, DirUsageCache, dirUsage, CGROUP_V1_UNLIMITED_FLOOR, parseCgroupValue, parseCgroupLimit, parseKeyedValues, keyedValue, parseProcCgroup, parseCgroupMounts, locateProcCgroups, locateCgroupPath, podCgroupPath, cpuFromV1, cpuFromV2, memoryFromV1, memoryFromV2, sumSamples, parseNetDev, DEFAULT_POD_INTERFACE, workingSetBytes, toCpuUsage, toMemoryUsage, toSwapUsage, toNetworkUsage, toProcessUsage, toFilesystemUsage, USER_HZ, countLines, detailFromV1, detailFromV2, sumDetails, METRIC_BASE_LABELS, METRIC_SPECS, metricDescriptors, toPodSandboxMetrics } from "./stats/index.js";
export type { StatsCollectorOptions, ContainerStatsSubject, PodStatsSubject, ContainerStatsInit, PodSandboxStatsInit, CgroupReader, CgroupReaderOptions, CgroupReadOptions, CpuRateTrackerOptions, DirUsage, DirUsageCacheOptions, ProcCgroupEntry, CgroupMount, StatsController, CgroupDir, CgroupLocation, MemorySample, SwapSample, CgroupSample, MemoryV1Files, MemoryV2Files, NetInterfaceSample, CpuUsageInit, MemoryUsageInit, SwapUsageInit, NetworkUsageInit, ProcessUsageInit, FilesystemUsageInit, ContainerMetricsSubject, PodMetricsSubject, CgroupDetail, DetailV1Files, DetailV2Files, MetricSpec, MetricLabelValues, ContainerMetricsInput, PodMetricsInput, MetricDescriptorInit, MetricInit, PodSandboxMetricsInit } from "./stats/index.js";
// --- end stats ---

// --- telemetry ---
export { runStep, stepChannelName } from "./telemetry/index.js";
export type { StepMessage, StepName } from "./telemetry/index.js";
// --- end telemetry ---
// --- handler context (crikit's own types, assignable from connect's) ---
export type { CriContextKey, CriContextValues, CriHandlerContext, CriMethodImpl } from "./transport/service-impl.js";
// --- end handler context ---

// --- daemon configuration in code (camelCase over the TOML keys) ---
export { createDaemonConfig, daemonConfigTable } from "./config/index.js";
export type { CamelCase, CamelCaseInput, DaemonConfigInput } from "./config/index.js";
// --- end daemon configuration in code ---
