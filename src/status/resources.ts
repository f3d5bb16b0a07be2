/**
 * Resource status from an OCI runtime spec.
 *
 * ContainerStatus reports the resources a container actually runs with. They
 * are read back from the OCI spec the container was created (or last updated)
 * with, field by field, in the way CRI-O's `Container.SetResources` and
 * containerd's CRI plugin do:
 *
 * | CRI `LinuxContainerResources` | OCI runtime spec                         |
 * | ----------------------------- | ---------------------------------------- |
 * | cpu_period                    | linux.resources.cpu.period               |
 * | cpu_quota                     | linux.resources.cpu.quota                |
 * | cpu_shares                    | linux.resources.cpu.shares               |
 * | cpuset_cpus / cpuset_mems     | linux.resources.cpu.cpus / .mems         |
 * | memory_limit_in_bytes         | linux.resources.memory.limit             |
 * | memory_swap_limit_in_bytes    | linux.resources.memory.swap              |
 * | hugepage_limits[]             | linux.resources.hugepageLimits[]         |
 * | unified                       | linux.resources.unified                  |
 * | oom_score_adj                 | process.oomScoreAdj                      |
 *
 * | CRI `WindowsContainerResources` | OCI runtime spec                       |
 * | ------------------------------- | -------------------------------------- |
 * | cpu_shares / cpu_count / cpu_maximum | windows.resources.cpu.shares / .count / .maximum |
 * | memory_limit_in_bytes           | windows.resources.memory.limit         |
 *
 * Hugepage sizes pass through unchanged: the runtime spec and the CRI both
 * write them as `<size><unit-prefix>B` ("64KB", "2MB", "1GB").
 *
 * Choice where the peers differ: CRI-O reports `oom_score_adj` only when the
 * spec has `linux.resources`; here the Linux part is also reported when only
 * `process.oomScoreAdj` is set, because the value is real and the kubelet
 * compares it. A spec with neither gives no Linux part, and one with no
 * resources at all gives `undefined`.
 *
 * The input is typed structurally ({@link SpecResourcesInput}) so any full
 * OCI spec type satisfies it; numbers may be `number` or `bigint`.
 *
 * The messages are written as object literals (a protobuf-es message is a
 * plain object with `$typeName` and every field), not with `create()`, so that
 * crikit/status does not build the CRI descriptor; the compiler checks that
 * no field is missing, and a test compares them with `create()`'s.
 *
 * @packageDocumentation
 */
import type { ContainerResources, HugepageLimit, LinuxContainerResources, WindowsContainerResources } from "../cri.js";

/**
 * An integer from a parsed OCI spec: JSON gives `number`, a 64-bit aware
 * parser may give `bigint`.
 *
 * @public
 */
export type SpecInteger = number | bigint;

/**
 * The parts of `linux.resources` (runtime-spec v1.2) that resource status reads.
 *
 * @public
 */
export interface SpecLinuxResourcesInput {
  /**
   * CPU settings: `shares`, `quota` and `period` (microseconds) become CRI `cpu_shares`, `cpu_quota` and
   * `cpu_period`; `cpus` and `mems` become `cpuset_cpus` and `cpuset_mems`.
   */
  readonly cpu?: {
    readonly shares?: SpecInteger | undefined;
    readonly quota?: SpecInteger | undefined;
    readonly period?: SpecInteger | undefined;
    readonly cpus?: string | undefined;
    readonly mems?: string | undefined;
  } | undefined;
  /**
   * Memory settings, bytes: `limit` becomes CRI `memory_limit_in_bytes`, `swap` `memory_swap_limit_in_bytes`.
   */
  readonly memory?: {
    readonly limit?: SpecInteger | undefined;
    readonly swap?: SpecInteger | undefined;
  } | undefined;
  /** Huge page limits (`pageSize` such as `2MB`, `limit` in bytes), copied to CRI `hugepage_limits`. */
  readonly hugepageLimits?: ReadonlyArray<{ readonly pageSize: string; readonly limit: SpecInteger }> | undefined;
  /** cgroup v2 file values, copied to CRI `unified`. */
  readonly unified?: Readonly<Record<string, string>> | undefined;
}

/**
 * The parts of `windows.resources` (runtime-spec v1.2) that resource status reads.
 *
 * @public
 */
export interface SpecWindowsResourcesInput {
  /** CPU settings: `count`, `shares` and `maximum` become CRI `cpu_count`, `cpu_shares` and `cpu_maximum`. */
  readonly cpu?: {
    readonly count?: SpecInteger | undefined;
    readonly shares?: SpecInteger | undefined;
    readonly maximum?: SpecInteger | undefined;
  } | undefined;
  /** Memory settings: `limit` (bytes) becomes CRI `memory_limit_in_bytes`. */
  readonly memory?: {
    readonly limit?: SpecInteger | undefined;
  } | undefined;
}

/**
 * The minimal structural view of an OCI runtime spec that
 * {@link resourcesFromSpec} reads. A full runtime-spec type satisfies it.
 *
 * @public
 */
export interface SpecResourcesInput {
  /** The process; its `oomScoreAdj` becomes CRI `oom_score_adj`. */
  readonly process?: { readonly oomScoreAdj?: SpecInteger | undefined } | undefined;
  /** The Linux part; its `resources` become CRI `LinuxContainerResources`. */
  readonly linux?: { readonly resources?: SpecLinuxResourcesInput | undefined } | undefined;
  /** The Windows part; its `resources` become CRI `WindowsContainerResources`. */
  readonly windows?: { readonly resources?: SpecWindowsResourcesInput | undefined } | undefined;
}

/**
 * A spec number as int64; a non-integer JSON number is truncated, not thrown
 * on, and a value outside int64 wraps as Go's decoder would refuse it (read
 * the spec with `parseExactJson` to keep values beyond 2^53 exact).
 */
function int64(v: SpecInteger | undefined): bigint {
  if (v === undefined) return 0n;
  if (typeof v === "bigint") return BigInt.asIntN(64, v);
  return Number.isFinite(v) ? BigInt.asIntN(64, BigInt(Math.trunc(v))) : 0n;
}

function linuxFromSpec(
  res: SpecLinuxResourcesInput | undefined,
  oomScoreAdj: SpecInteger | undefined,
): LinuxContainerResources | undefined {
  if (res === undefined && oomScoreAdj === undefined) return undefined;
  const hugepageLimits: HugepageLimit[] = (res?.hugepageLimits ?? []).map((h) =>
    ({ $typeName: "runtime.v1.HugepageLimit", pageSize: h.pageSize, limit: BigInt.asUintN(64, int64(h.limit)) }),
  );
  return {
    $typeName: "runtime.v1.LinuxContainerResources",
    cpuPeriod: int64(res?.cpu?.period),
    cpuQuota: int64(res?.cpu?.quota),
    cpuShares: int64(res?.cpu?.shares),
    cpusetCpus: res?.cpu?.cpus ?? "",
    cpusetMems: res?.cpu?.mems ?? "",
    memoryLimitInBytes: int64(res?.memory?.limit),
    memorySwapLimitInBytes: int64(res?.memory?.swap),
    oomScoreAdj: int64(oomScoreAdj),
    hugepageLimits,
    unified: { ...(res?.unified ?? {}) },
  };
}

function windowsFromSpec(res: SpecWindowsResourcesInput | undefined): WindowsContainerResources | undefined {
  if (res === undefined) return undefined;
  return {
    $typeName: "runtime.v1.WindowsContainerResources",
    cpuShares: int64(res.cpu?.shares),
    cpuCount: int64(res.cpu?.count),
    cpuMaximum: int64(res.cpu?.maximum),
    memoryLimitInBytes: int64(res.memory?.limit),
    rootfsSizeInBytes: 0n,
    affinityCpus: [],
  };
}

/**
 * The CRI `ContainerResources` a container runs with, read from its OCI spec.
 *
 * @remarks
 * Returns `undefined` when the spec has no Linux resources, no
 * `process.oomScoreAdj` and no Windows resources. Fields the spec leaves out
 * are the CRI zero values ("not specified").
 *
 * @example
 * ```ts
 * const resources = resourcesFromSpec(JSON.parse(configJson));
 * resources?.linux?.memoryLimitInBytes; // 268435456n
 * ```
 *
 * @public
 */
export function resourcesFromSpec(spec: SpecResourcesInput): ContainerResources | undefined {
  const linux = linuxFromSpec(spec.linux?.resources, spec.process?.oomScoreAdj);
  const windows = windowsFromSpec(spec.windows?.resources);
  if (linux === undefined && windows === undefined) return undefined;
  return {
    $typeName: "runtime.v1.ContainerResources",
    ...(linux === undefined ? {} : { linux }),
    ...(windows === undefined ? {} : { windows }),
  };
}
