/**
 * The options, requests and results of `CniManager`.
 *
 * @packageDocumentation
 */
import type { Logger } from "../logger.js";
import type { CniAttachmentCache } from "./attachment-cache.js";
import type { CniPodIdentity, DnsInput, PortMappingInput } from "./cni-args.js";
import type { CniConfigFileError } from "./cni-config.js";
import type { CniExec } from "./cni-exec.js";
import type { CniResult } from "./cni-result.js";

/**
 * The SDK's one logger contract (see `Logger`), under this module's former name.
 *
 * @public
 */
export type CniLogger = Logger;

/**
 * Options of {@link CniManager}.
 *
 * @public
 */
export interface CniManagerOptions {
  /**
   * The conf dir holding `.conf`, `.conflist` and `.json` files.
   * @defaultValue "/etc/cni/net.d"
   */
  readonly confDir?: string;
  /**
   * Directories searched for plugin binaries, in order (also `CNI_PATH`).
   * @defaultValue ["/opt/cni/bin", "/usr/lib/cni"]
   */
  readonly binDirs?: readonly string[];
  /**
   * Where attachments are cached between ADD and DEL (ignored when `cache` is given).
   * @defaultValue "/var/lib/cni/crikit"
   */
  readonly cacheDir?: string;
  /**
   * The pod-side interface name of the default network.
   * @defaultValue "eth0"
   */
  readonly ifName?: string;
  /**
   * Timeout of each plugin call, in ms; a plugin still running then is killed.
   * @defaultValue 60000
   */
  readonly pluginTimeoutMs?: number;
  /**
   * Time allowed for the DEL that rolls back a failed ADD, in ms.
   * @defaultValue 30000
   */
  readonly rollbackTimeoutMs?: number;
  /**
   * Bring `lo` up in every pod with the `loopback` plugin.
   * @defaultValue true
   */
  readonly loopback?: boolean;
  /**
   * Check that the default network's plugin binaries exist when computing status.
   * @defaultValue true
   */
  readonly checkBinaries?: boolean;
  /** How plugins are run. @defaultValue {@link createCniExec}() */
  readonly exec?: CniExec;
  /** Where attachments are kept. @defaultValue a file cache in `cacheDir` */
  readonly cache?: CniAttachmentCache;
  /** Logger; silent by default. */
  readonly logger?: CniLogger;
}

/**
 * A pod to attach.
 *
 * @public
 */
export interface PodNetworkRequest extends CniPodIdentity {
  /** The pod's pinned netns path (see {@link NetnsManager}). */
  readonly netnsPath: string;
  /** Host-network pods skip CNI. */
  readonly hostNetwork?: boolean;
  /** CRI port mappings (portMappings capability). */
  readonly portMappings?: readonly PortMappingInput[];
  /** Pod annotations (bandwidth capability). */
  readonly annotations?: Readonly<Record<string, string>>;
  /** CRI DNSConfig (dns capability). */
  readonly dns?: DnsInput;
  /** Further capability arguments, passed to plugins declaring them. */
  readonly extraCapabilityArgs?: Readonly<Record<string, unknown>>;
}

/**
 * A pod to detach. Only `id` is required: what was used at ADD is cached.
 *
 * @public
 */
export interface PodNetworkTeardownRequest extends Partial<Omit<CniPodIdentity, "id">> {
  /** Pod sandbox ID (`CNI_CONTAINERID`); the cached attachment is looked up by it. */
  readonly id: string;
  /** The netns path; defaults to the one cached at ADD. */
  readonly netnsPath?: string;
  /** The pod uses the node's network: nothing to tear down, no plugin runs. @defaultValue false */
  readonly hostNetwork?: boolean;
}

/**
 * The outcome of {@link CniManager.setUpPod}.
 *
 * @public
 */
export interface PodNetworkSetup {
  /** The network attached, or `undefined` for a host-network pod. */
  readonly network: string | undefined;
  /** The pod's IPs, primary first (PodSandboxNetworkStatus.ip, then additional_ips). */
  readonly ips: readonly string[];
  /** The final result of the chain, or `undefined` for a host-network pod. */
  readonly result: CniResult | undefined;
}

/**
 * Network readiness, for the CRI `NetworkReady` condition.
 *
 * @public
 */
export interface CniNetworkStatus {
  /**
   * Whether the default network is usable: a valid config, its plugin binaries found and, for CNI 1.1.0, each
   * plugin's STATUS succeeded.
   */
  readonly ready: boolean;
  /** `""` when ready, else a CamelCase reason (`NetworkPluginNotReady`). */
  readonly reason: string;
  /** `""` when ready, else what is wrong. */
  readonly message: string;
  /** The default network's name. */
  readonly defaultNetwork: string | undefined;
  /** All valid networks in file order. */
  readonly networks: readonly string[];
  /** Config files that were skipped, with why. */
  readonly errors: readonly CniConfigFileError[];
}

/**
 * A plugin's VERSION answer.
 *
 * @public
 */
export interface CniVersionInfo {
  /** CNI spec version of the answer itself. */
  readonly cniVersion: string;
  /** CNI spec versions the plugin can speak. */
  readonly supportedVersions: readonly string[];
}

/** @public The reason crikit gives when the network is not ready. */
export const networkNotReadyReason = "NetworkPluginNotReady";
