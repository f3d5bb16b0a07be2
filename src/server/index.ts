/**
 * The CRI service layer and its parts: the transport-agnostic
 * {@link CriService}, the event broadcaster, late results, durable records,
 * the exit monitor and the real host effects for spec generation.
 *
 * @packageDocumentation
 */
export { CriService } from "./cri-service.js";
export type { CriServiceDeps } from "./service-context.js";
export type { CriServiceRpcs, CriServiceMethod, CriImmediateRpc } from "./rpc-table.js";
export { createCriService } from "./create-cri-service.js";
export { createCniPodNetwork } from "./cni-pod-network.js";
export type { CriServiceOptions, ServiceLogger } from "./create-cri-service.js";
export type { CallContext, PodNetwork, ImageBackend, ResolvedHandler, SpecEnvironment } from "./service-context.js";
export type { RecordStore, SandboxFileRecord, ContainerFileRecord } from "./record-codec.js";
export type { IntentRecord, SandboxCreateIntent, ContainerCreateIntent, ObjectIntent } from "./intents.js";
export { createMonotonicClock } from "./clock.js";
export type { Clock } from "./clock.js";
export { RUNTIME_RPCS, IMAGE_RPCS } from "./rpc-names.js";
export { EventBroadcaster } from "./event-broadcaster.js";
export type { EventBroadcasterOptions } from "./event-broadcaster.js";
export { LateResults } from "./late-results.js";
export type { LateResultsOptions } from "./late-results.js";
export { DirSyncer, RecordDir, recordFromJson, recordToJson, writeFileAtomic, type WriteOptions } from "./records.js";
export { ExitMonitor } from "../oci/exit-monitor.js";
export type { ExitMonitorOptions } from "../oci/exit-monitor.js";
export { createNodeSpecHost, createDirRootfsReader, boundingCapabilities, nodeValidationHost, ownOomScoreAdj, grantableRlimits, swapControllerAvailable } from "./node-host.js";
export {
  matchLabels,
  criSandboxState,
  criContainerState,
  signalName,
  signalValue,
  sandboxMatches,
  containerMatches,
  imageUser,
  criImageOf,
  containerImageNames,
  toCriContainerStatus,
} from "./cri-convert.js";
export type { SandboxFilterInput, ContainerFilterInput, ContainerStatusFacts } from "./cri-convert.js";
export { defaultCniConflist, ensureDefaultCniConfig } from "./default-cni.js";
export { createOciStreamingRuntime } from "./streaming-runtime.js";
export type { OciStreamingRuntimeOptions, StreamingContainerTarget, StreamingSandboxTarget } from "./streaming-runtime.js";
export type { DefaultCniOptions } from "./default-cni.js";
