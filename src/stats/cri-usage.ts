/**
 * Conversion of samples to the CRI stats messages (pure), as init shapes
 * ready for a response.
 *
 * ## Definitions (what the kubelet and containerd use)
 *
 * - working set = usage − inactive file pages, never below 0;
 * - available = limit − working set when there is a limit (never below 0),
 *   absent otherwise; swap available likewise from the swap limit;
 * - network: the default interface is `eth0` (else the first one found);
 *   `interfaces` lists the others.
 *
 * @packageDocumentation
 */
import type { MessageInitShape } from "@bufbuild/protobuf";
import type {
  CpuUsageSchema,
  FilesystemUsageSchema,
  MemoryUsageSchema,
  NetworkUsageSchema,
  ProcessUsageSchema,
  SwapUsageSchema,
} from "../cri.js";
import type { MemorySample, SwapSample } from "./cgroup-sample.js";
import type { NetInterfaceSample } from "./net-dev.js";

/** A CRI `CpuUsage` init shape. @public */
export type CpuUsageInit = MessageInitShape<typeof CpuUsageSchema>;
/** A CRI `MemoryUsage` init shape. @public */
export type MemoryUsageInit = MessageInitShape<typeof MemoryUsageSchema>;
/** A CRI `SwapUsage` init shape. @public */
export type SwapUsageInit = MessageInitShape<typeof SwapUsageSchema>;
/** A CRI `NetworkUsage` init shape. @public */
export type NetworkUsageInit = MessageInitShape<typeof NetworkUsageSchema>;
/** A CRI `ProcessUsage` init shape. @public */
export type ProcessUsageInit = MessageInitShape<typeof ProcessUsageSchema>;
/** A CRI `FilesystemUsage` init shape. @public */
export type FilesystemUsageInit = MessageInitShape<typeof FilesystemUsageSchema>;

/** The name of the pod's default network interface. @public */
export const DEFAULT_POD_INTERFACE = "eth0";

const u64 = (value: bigint): { value: bigint } => ({ value });

/**
 * The working set: usage minus inactive file pages, floored at 0.
 *
 * @public
 */
export function workingSetBytes(m: MemorySample): bigint {
  const ws = m.usage - m.inactiveFile;
  return ws < 0n ? 0n : ws;
}

/**
 * A CRI `CpuUsage`; `usage_nano_cores` only when a rate is known.
 *
 * @public
 */
export function toCpuUsage(usageNs: bigint, nanoCores: bigint | undefined, timestampNs: bigint): CpuUsageInit {
  return { timestamp: timestampNs, usageCoreNanoSeconds: u64(usageNs), ...(nanoCores !== undefined ? { usageNanoCores: u64(nanoCores) } : {}) };
}

/**
 * A CRI `MemoryUsage`: working set = usage − inactive file pages (never
 * below 0); available = limit − working set when there is a limit (never
 * below 0), absent otherwise.
 *
 * @public
 */
export function toMemoryUsage(m: MemorySample, timestampNs: bigint): MemoryUsageInit {
  const ws = workingSetBytes(m);
  const available = m.limit !== undefined ? (m.limit > ws ? m.limit - ws : 0n) : undefined;
  return {
    timestamp: timestampNs,
    workingSetBytes: u64(ws),
    ...(available !== undefined ? { availableBytes: u64(available) } : {}),
    usageBytes: u64(m.usage),
    rssBytes: u64(m.rss),
    pageFaults: u64(m.pageFaults),
    majorPageFaults: u64(m.majorPageFaults),
  };
}

/**
 * A CRI `SwapUsage`; `swap_available_bytes` only with a swap limit.
 *
 * @public
 */
export function toSwapUsage(s: SwapSample, timestampNs: bigint): SwapUsageInit {
  const available = s.limit !== undefined ? (s.limit > s.usage ? s.limit - s.usage : 0n) : undefined;
  return { timestamp: timestampNs, swapUsageBytes: u64(s.usage), ...(available !== undefined ? { swapAvailableBytes: u64(available) } : {}) };
}

/**
 * A CRI `NetworkUsage` from a network namespace's interfaces (loopback
 * already left out); undefined when there is none.
 *
 * @public
 */
export function toNetworkUsage(ifaces: readonly NetInterfaceSample[], timestampNs: bigint, defaultName = DEFAULT_POD_INTERFACE): NetworkUsageInit | undefined {
  if (ifaces.length === 0) return undefined;
  const def = ifaces.find((i) => i.name === defaultName) ?? (ifaces[0] as NetInterfaceSample);
  const conv = (i: NetInterfaceSample) => ({ name: i.name, rxBytes: u64(i.rxBytes), rxErrors: u64(i.rxErrors), txBytes: u64(i.txBytes), txErrors: u64(i.txErrors) });
  return { timestamp: timestampNs, defaultInterface: conv(def), interfaces: ifaces.filter((i) => i !== def).map(conv) };
}

/**
 * A CRI `ProcessUsage`.
 *
 * @public
 */
export function toProcessUsage(count: bigint, timestampNs: bigint): ProcessUsageInit {
  return { timestamp: timestampNs, processCount: u64(count) };
}

/**
 * A CRI `FilesystemUsage` of a directory.
 *
 * @public
 */
export function toFilesystemUsage(dir: string, usedBytes: bigint, inodesUsed: bigint, timestampNs: bigint): FilesystemUsageInit {
  return { timestamp: timestampNs, fsId: { mountpoint: dir }, usedBytes: u64(usedBytes), inodesUsed: u64(inodesUsed) };
}
