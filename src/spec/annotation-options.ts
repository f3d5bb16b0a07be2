/**
 * Spec options for annotations: the `io.kubernetes.cri.*` keys the
 * reference runtimes set (as containerd's CRI plugin names them) and the
 * runtime handler's passthrough pod and container annotations. Passthrough
 * annotations are applied first so they cannot override the CRI keys.
 *
 * @packageDocumentation
 */
import type { ContainerSpecInput, SandboxSpecInput } from "./input.js";
import { passthroughAnnotations } from "./path-match.js";
import type { SpecOption } from "./spec-option.js";

/**
 * The annotation keys crikit writes into OCI specs.
 *
 * @public
 */
export const CriAnnotations = {
  /** `sandbox` or `container`. */
  ContainerType: "io.kubernetes.cri.container-type",
  SandboxId: "io.kubernetes.cri.sandbox-id",
  SandboxName: "io.kubernetes.cri.sandbox-name",
  SandboxNamespace: "io.kubernetes.cri.sandbox-namespace",
  SandboxUid: "io.kubernetes.cri.sandbox-uid",
  /** Sandbox only: the pod's log directory. */
  SandboxLogDirectory: "io.kubernetes.cri.sandbox-log-directory",
  /** Sandbox only: the pause image. */
  SandboxImageName: "io.kubernetes.cri.podsandbox.image-name",
  /** Container only. */
  ContainerName: "io.kubernetes.cri.container-name",
  /** Container only. */
  ImageName: "io.kubernetes.cri.image-name",
  /** Sandbox only, when the pod config has resources: its CPU period. */
  SandboxCpuPeriod: "io.kubernetes.cri.sandbox-cpu-period",
  /** Sandbox only, when the pod config has resources: its CPU quota. */
  SandboxCpuQuota: "io.kubernetes.cri.sandbox-cpu-quota",
  /** Sandbox only, when the pod config has resources: its CPU shares. */
  SandboxCpuShares: "io.kubernetes.cri.sandbox-cpu-shares",
  /** Sandbox only, when the pod config has resources: its memory limit. */
  SandboxMemory: "io.kubernetes.cri.sandbox-memory",
} as const;

/**
 * The values of {@link CriAnnotations}.ContainerType.
 *
 * @public
 */
export const ContainerTypes = { Sandbox: "sandbox", Container: "container" } as const;

/**
 * Set the container's annotations: passthrough pod and container
 * annotations, then the CRI keys.
 *
 * @public
 */
export const withContainerAnnotations: SpecOption<ContainerSpecInput> = (spec, input) => {
  const meta = input.sandboxConfig.metadata;
  spec.annotations = {
    ...(spec.annotations ?? {}),
    ...passthroughAnnotations(input.sandboxConfig.annotations, input.podAnnotationPatterns ?? []),
    ...passthroughAnnotations(input.config.annotations, input.containerAnnotationPatterns ?? []),
    [CriAnnotations.SandboxId]: input.sandboxId,
    [CriAnnotations.SandboxNamespace]: meta?.namespace ?? "",
    [CriAnnotations.SandboxUid]: meta?.uid ?? "",
    [CriAnnotations.SandboxName]: meta?.name ?? "",
    [CriAnnotations.ContainerName]: input.config.metadata?.name ?? "",
    [CriAnnotations.ImageName]: input.imageName ?? input.config.image?.image ?? "",
    [CriAnnotations.ContainerType]: ContainerTypes.Container,
  };
};

/**
 * Set the sandbox's annotations: passthrough pod annotations, then the CRI
 * keys (with the pod's CPU and memory figures when it sends resources).
 *
 * @public
 */
export const withSandboxAnnotations: SpecOption<SandboxSpecInput> = (spec, input) => {
  const meta = input.config.metadata;
  const res = input.config.linux?.resources;
  spec.annotations = {
    ...(spec.annotations ?? {}),
    ...passthroughAnnotations(input.config.annotations, input.podAnnotationPatterns ?? []),
    ...(res === undefined
      ? {}
      : {
          [CriAnnotations.SandboxCpuPeriod]: String(res.cpuPeriod),
          [CriAnnotations.SandboxCpuQuota]: String(res.cpuQuota),
          [CriAnnotations.SandboxCpuShares]: String(res.cpuShares),
          [CriAnnotations.SandboxMemory]: String(res.memoryLimitInBytes),
        }),
    [CriAnnotations.SandboxId]: input.id,
    [CriAnnotations.SandboxNamespace]: meta?.namespace ?? "",
    [CriAnnotations.SandboxUid]: meta?.uid ?? "",
    [CriAnnotations.SandboxName]: meta?.name ?? "",
    [CriAnnotations.SandboxLogDirectory]: input.config.logDirectory,
    [CriAnnotations.SandboxImageName]: input.imageName ?? "",
    [CriAnnotations.ContainerType]: ContainerTypes.Sandbox,
  };
};
