/**
 * The CRI service layer and its parts: the transport-agnostic
 * {@link CriService}, the event broadcaster, late results, durable records,
 * the exit monitor and the real host effects for spec generation.
 *
 * @packageDocumentation
 */
export { CriService } from "./cri-service.js";
export type { CriServiceOptions, CallContext, ServiceLogger } from "./cri-service.js";
export { EventBroadcaster } from "./event-broadcaster.js";
export type { EventBroadcasterOptions } from "./event-broadcaster.js";
export { LateResults } from "./late-results.js";
export type { LateResultsOptions } from "./late-results.js";
export { RecordDir, recordFromJson, recordToJson, writeFileAtomic } from "./records.js";
export { ExitMonitor } from "../oci/exit-monitor.js";
export type { ExitMonitorOptions } from "../oci/exit-monitor.js";
export { createNodeSpecHost, createDirRootfsReader, boundingCapabilities, ownOomScoreAdj, grantableRlimits, swapControllerAvailable } from "./node-host.js";
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
export type { DefaultCniOptions } from "./default-cni.js";
