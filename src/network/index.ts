/**
 * Pod networking: the CNI adapter and pinned network namespaces.
 *
 * @packageDocumentation
 */
export { CniManager, networkNotReadyReason } from "./cni-manager.js";
export type {
  CniLogger,
  CniManagerOptions,
  CniNetworkStatus,
  CniVersionInfo,
  PodNetworkRequest,
  PodNetworkSetup,
  PodNetworkTeardownRequest,
} from "./cni-manager.js";
export { createNetnsManager } from "./netns.js";
export type { NetnsManager, NetnsManagerOptions } from "./netns.js";
export { createCniExec } from "./cni-exec.js";
export type { CniExec, CniExecOptions, CniExecOutput, CniExecRequest } from "./cni-exec.js";
export { CniPluginError, CniErrorCode, isCniPluginError, parseCniErrorJson } from "./cni-error.js";
export type { CniErrorJson, CniPluginErrorInit } from "./cni-error.js";
export { buildCniConfigSet, isCniConfigFileName, parseCniConfigFile, toCniNetworkConfigList } from "./cni-config.js";
export type { CniConfigFileError, CniConfigSet, CniNetworkConfigList, CniPluginConfig } from "./cni-config.js";
export { CniConfDir } from "./conf-dir.js";
export { parseCidr, parseCniResult, selectPodIps } from "./cni-result.js";
export type { CniDns, CniInterface, CniIpConfig, CniResult, CniRoute } from "./cni-result.js";
export {
  bandwidthFromAnnotations,
  buildCapabilityArgs,
  buildCniArgs,
  buildPluginStdin,
  egressBandwidthAnnotation,
  formatCniArgs,
  ingressBandwidthAnnotation,
  parseQuantity,
  toCniPortMappings,
} from "./cni-args.js";
export type { CapabilityInput, CniBandwidth, CniPodIdentity, CniPortMapping, DnsInput, PortMappingInput } from "./cni-args.js";
export { cniVersionHas, compareCniVersions, isSupportedCniVersion, supportedCniVersions } from "./cni-version.js";
export type { CniCommand, CniVersion } from "./cni-version.js";
export { createFileAttachmentCache } from "./attachment-cache.js";
export type { CniAttachment, CniAttachmentCache } from "./attachment-cache.js";
export { KeyedMutex } from "./keyed-mutex.js";
export { forwardPort } from "./port-forward.js";
export type { ForwardPortInput } from "./port-forward.js";
export { parseMountInfo } from "./mountinfo.js";
export type { MountInfoEntry } from "./mountinfo.js";
