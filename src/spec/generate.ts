/**
 * Spec generation: the default option lists for a container and for the
 * sandbox (pause) process, and the two entry points that apply them.
 *
 * @packageDocumentation
 */
import { createRequire } from "node:module";
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { ContainerConfig, ContainerConfigSchema, PodSandboxConfig, PodSandboxConfigSchema } from "../cri.js";
import type * as CriMessages from "./cri-messages.js";
import { withContainerAnnotations, withSandboxAnnotations } from "./annotation-options.js";
import { createBaseSpec } from "./defaults.js";
import type { ContainerSpecInput, SandboxSpecInput } from "./input.js";
import {
  withContainerCgroupsPath,
  withContainerNamespaces,
  withContainerSysctls,
  withDevices,
  withMaskedAndReadonlyPaths,
  withResources,
  withSandboxCgroupsPath,
  withSandboxMaskedAndReadonlyPaths,
  withSandboxNamespaces,
  withSandboxResources,
  withSandboxSysctls,
} from "./linux-options.js";
import { withContainerMounts, withSandboxMounts } from "./mount-options.js";
import type { OciSpec } from "./oci-types.js";
import {
  withCapabilities,
  withContainerRoot,
  withDefaultRlimits,
  withEnv,
  withNoNewPrivileges,
  withOomScoreAdj,
  withProcessArgs,
  withTerminal,
  withUser,
  withWorkingDir,
} from "./process-options.js";
import {
  withSandboxHostname,
  withSandboxProcess,
  withSandboxRoot,
  withSandboxSecurity,
  withSandboxUser,
} from "./sandbox-options.js";
import {
  withContainerApparmor,
  withContainerSeccomp,
  withContainerSelinux,
  withPrivilegedCheck,
  withSandboxApparmor,
  withSandboxSeccomp,
  withSandboxSelinux,
} from "./security-options.js";
import { applySpecOptions, type SpecOption } from "./spec-option.js";

/**
 * The default container spec options, in order. Capabilities come before
 * seccomp (RuntimeDefault depends on them).
 *
 * @public
 */
export const defaultContainerSpecOptions: ReadonlyArray<SpecOption<ContainerSpecInput>> = Object.freeze([
  withPrivilegedCheck,
  withContainerRoot,
  withProcessArgs,
  withWorkingDir,
  withTerminal,
  withEnv,
  withUser,
  withCapabilities,
  withNoNewPrivileges,
  withOomScoreAdj,
  withDefaultRlimits,
  withContainerApparmor,
  withContainerSelinux,
  withContainerMounts,
  withContainerNamespaces,
  withResources,
  withContainerCgroupsPath,
  withContainerSysctls,
  withDevices,
  withMaskedAndReadonlyPaths,
  withContainerSeccomp,
  withContainerAnnotations,
]);

/**
 * The default sandbox (pause) spec options, in order.
 *
 * @public
 */
export const defaultSandboxSpecOptions: ReadonlyArray<SpecOption<SandboxSpecInput>> = Object.freeze([
  withSandboxRoot,
  withSandboxProcess,
  withSandboxHostname,
  withSandboxUser,
  withSandboxSecurity,
  withDefaultRlimits,
  withSandboxApparmor,
  withSandboxSelinux,
  withSandboxMounts,
  withSandboxNamespaces,
  withSandboxResources,
  withSandboxCgroupsPath,
  withSandboxSysctls,
  withSandboxMaskedAndReadonlyPaths,
  withSandboxSeccomp,
  withSandboxAnnotations,
]);

// The CRI descriptor is built only when an init object must become a message:
// a message passed in (what the server passes) is used as it is, as create()
// would. `require` of the ES module shares its instance with `import`.
const require = createRequire(import.meta.url);
let criMessages: typeof CriMessages | undefined;
const messages = (): typeof CriMessages => (criMessages ??= require("./cri-messages.js") as typeof CriMessages);

function isMessage<T extends string>(v: object, typeName: T): v is { $typeName: T } {
  return (v as { $typeName?: unknown }).$typeName === typeName;
}

function containerConfig(init: MessageInitShape<typeof ContainerConfigSchema>): ContainerConfig {
  return isMessage(init, "runtime.v1.ContainerConfig") ? (init as ContainerConfig) : messages().containerConfig(init);
}

function podSandboxConfig(init: MessageInitShape<typeof PodSandboxConfigSchema>): PodSandboxConfig {
  return isMessage(init, "runtime.v1.PodSandboxConfig") ? (init as PodSandboxConfig) : messages().podSandboxConfig(init);
}

/**
 * {@link ContainerSpecInput} with the CRI messages given as plain init
 * objects (`create()` is applied for you).
 *
 * @remarks
 * Messages (objects with a `$typeName`, as the server receives them) are used
 * as they are. The first init object given loads `crikit/cri`'s descriptor,
 * once per process; importing crikit/spec does not.
 *
 * @public
 */
export type ContainerSpecInit = Omit<ContainerSpecInput, "config" | "sandboxConfig"> & {
  config: MessageInitShape<typeof ContainerConfigSchema>;
  sandboxConfig: MessageInitShape<typeof PodSandboxConfigSchema>;
};

/**
 * {@link SandboxSpecInput} with the CRI message given as a plain init object.
 *
 * @public
 */
export type SandboxSpecInit = Omit<SandboxSpecInput, "config"> & {
  config: MessageInitShape<typeof PodSandboxConfigSchema>;
};

/**
 * Options of the generate functions.
 *
 * @public
 */
export interface GenerateSpecOptions<I> {
  /** The spec options to apply. @defaultValue the default list for the kind */
  specOptions?: ReadonlyArray<SpecOption<I>>;
  /** The spec to start from. @defaultValue createBaseSpec(input.rootfsPath) */
  base?: OciSpec;
}

/**
 * The normalized input for an init object (CRI messages created).
 *
 * @public
 */
export function containerSpecInput(init: ContainerSpecInit): ContainerSpecInput {
  return { ...init, config: containerConfig(init.config), sandboxConfig: podSandboxConfig(init.sandboxConfig) };
}

/**
 * The OCI runtime spec (`config.json`) of a container for a CreateContainer
 * request, the image config and the sandbox's facts.
 *
 * @throws CrikitError InvalidArgument naming the request field for bad
 *   input (relative container paths, unknown capabilities, a missing
 *   Localhost seccomp profile or run_as_username, a mount onto /proc,
 *   run_as_group without a user, ...).
 *
 * @example
 * ```ts
 * const spec = generateContainerSpec({
 *   id, sandboxId, rootfsPath: "/run/crikit/c1/rootfs", sandboxPid: 4242,
 *   config: { metadata: { name: "web" }, image: { image: "busybox" }, command: ["sh"] },
 *   sandboxConfig: { metadata: { name: "pod", namespace: "default", uid: "u1" } },
 * });
 * ```
 *
 * @public
 */
export function generateContainerSpec(input: ContainerSpecInit, options: GenerateSpecOptions<ContainerSpecInput> = {}): OciSpec {
  const normalized = containerSpecInput(input);
  const spec = options.base ? structuredClone(options.base) : createBaseSpec(input.rootfsPath);
  if (input.ociVersion !== undefined) spec.ociVersion = input.ociVersion;
  return applySpecOptions(spec, normalized, options.specOptions ?? defaultContainerSpecOptions);
}

/**
 * The OCI runtime spec of a sandbox's pause process for a RunPodSandbox
 * request.
 *
 * @public
 */
export function generateSandboxSpec(input: SandboxSpecInit, options: GenerateSpecOptions<SandboxSpecInput> = {}): OciSpec {
  const normalized: SandboxSpecInput = { ...input, config: podSandboxConfig(input.config) };
  const spec = options.base ? structuredClone(options.base) : createBaseSpec(input.rootfsPath);
  if (input.ociVersion !== undefined) spec.ociVersion = input.ociVersion;
  return applySpecOptions(spec, normalized, options.specOptions ?? defaultSandboxSpecOptions);
}
