/**
 * The OCI spec of a sandbox's infra process, made by the SDK's
 * `generateSandboxSpec` (the same pause-process spec a runtime author gets):
 * Debian's `catatonit -P` (a static binary that sleeps until signalled and
 * reaps zombies), bind-mounted read-only from the host into an otherwise
 * empty, read-only rootfs, so no image is pulled. Two things are the
 * infra container's own: the catatonit bind mount, and the pause image's
 * user (65535:65535) standing in for the image it does not have.
 *
 * @packageDocumentation
 */
import { NamespaceMode } from "../cri-enums.js";
import { generateSandboxSpec, type OciSpec, type SandboxSpecInit } from "../spec/index.js";
import type { SandboxInput } from "./sandbox.js";

/**
 * What `generateSandboxSpec` needs for a pod's infra container beyond what
 * the sandbox module knows itself (the ID, the rootfs, the netns path and
 * the pause argv): the pod's config and the host facts (cgroup driver,
 * oom_score_adj clamp, capabilities, seccomp defaults, node hostname, ...).
 *
 * @public
 */
export type InfraSpecInit = Omit<SandboxSpecInit, "id" | "rootfsPath" | "netnsPath" | "pauseArgs">;

/** Where catatonit appears inside the infra rootfs. */
export const INFRA_BINARY = "/catatonit";

/**
 * The infra spec's `ociVersion` unless {@link InfraSpecInit} sets one: the
 * spec uses nothing newer, and crun 1.8 (Debian 12's) refuses 1.1 and later.
 */
const INFRA_OCI_VERSION = "1.0.2";

/** A pod config made of the sandbox input's own fields, when it has no {@link InfraSpecInit}. */
function configOf(input: SandboxInput): SandboxSpecInit["config"] {
  return {
    ...(input.hostname !== undefined ? { hostname: input.hostname } : {}),
    linux: {
      ...(input.cgroupParent !== undefined ? { cgroupParent: input.cgroupParent } : {}),
      ...(input.sysctls !== undefined ? { sysctls: input.sysctls } : {}),
      securityContext: { namespaceOptions: { network: input.netns === "host" ? NamespaceMode.NODE : NamespaceMode.POD } },
    },
  };
}

/**
 * The infra container's OCI runtime spec for `input` (infra mode), its
 * root at `rootfs`; what `startSandbox` writes into the infra bundle.
 *
 * @public
 */
export function generateInfraSpec(input: SandboxInput, rootfs: string): OciSpec {
  const init: InfraSpecInit = input.spec ?? { config: configOf(input) };
  const spec = generateSandboxSpec({
    ociVersion: INFRA_OCI_VERSION,
    imageConfig: { User: "65535:65535" },
    ...init,
    id: input.id,
    rootfsPath: rootfs,
    pauseArgs: [INFRA_BINARY, "-P"],
    ...(input.netns !== undefined && input.netns !== "host" ? { netnsPath: input.netns } : {}),
  });
  (spec.mounts ??= []).push({ destination: INFRA_BINARY, type: "bind", source: input.catatonitPath ?? "/usr/bin/catatonit", options: ["rbind", "ro", "nosuid", "nodev"] });
  if (input.cgroupsPath !== undefined) (spec.linux ??= {}).cgroupsPath = input.cgroupsPath;
  return spec;
}
