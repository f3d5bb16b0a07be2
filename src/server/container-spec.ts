/**
 * A container's OCI spec, generated from its config, its pod's and its
 * image's, with the host facts (`SpecEnvironment`) and the namespaces its
 * pod's sandbox holds.
 *
 * @packageDocumentation
 */
import { join } from "node:path";
import { create } from "@bufbuild/protobuf";
import { ContainerConfigSchema, NamespaceMode, type ContainerConfig, type PodSandboxConfig } from "../cri.js";
import { generateContainerSpec, type ImageConfigInput, type OciSpec } from "../spec/index.js";
import type { SandboxRecord } from "../stores/index.js";
import type { ResolvedHandler, ServiceContext } from "./service-context.js";

/** What {@link containerSpec} needs beyond the context. */
export interface ContainerSpecRequest {
  id: string;
  sandbox: SandboxRecord;
  config: ContainerConfig;
  rootfs: string;
  rwDir: string;
  imageConfig: ImageConfigInput;
  imageName: string;
  targetPid: number | undefined;
  handler: ResolvedHandler;
}

/** The container's spec (see the file header). */
export function containerSpec(c: ServiceContext, r: ContainerSpecRequest): OciSpec {
  const cfg = r.config;
  const x = r.sandbox.metadata.runtime as NonNullable<SandboxRecord["metadata"]["runtime"]>;
  const hn = x.handle.namespaces;
  const ns = cfg.linux?.securityContext?.namespaceOptions;
  // A pod without a shared PID namespace has no pod PID namespace to join:
  // a container asking for the pod's (the CRI default) gets its own.
  const specCfg =
    hn.pid === undefined && (ns?.pid ?? NamespaceMode.POD) === NamespaceMode.POD
      ? create(ContainerConfigSchema, {
          ...cfg,
          linux: {
            ...(cfg.linux ?? {}),
            securityContext: { ...(cfg.linux?.securityContext ?? {}), namespaceOptions: { ...(ns ?? {}), pid: NamespaceMode.CONTAINER } },
          },
        } as never)
      : cfg;
  return generateContainerSpec({
    id: r.id,
    sandboxId: r.sandbox.id,
    rootfsPath: r.rootfs,
    config: specCfg,
    sandboxConfig: r.sandbox.metadata.config as PodSandboxConfig,
    imageConfig: r.imageConfig,
    imageName: r.imageName,
    rootfs: c.env.rootfsReader(r.rootfs),
    host: c.env.host,
    cgroupDriver: r.handler.cgroupDriver,
    restrictOomScoreAdj: c.config.restrict_oom_score_adj,
    currentOomScoreAdj: c.env.oomScoreAdj,
    hostCapabilities: c.env.hostCapabilities,
    nodeHostname: c.env.nodeHostname(),
    rlimits: c.env.rlimits,
    features: { swapController: c.env.swapController },
    namespacePaths: {
      ...(hn.network !== undefined ? { network: hn.network } : {}),
      // Empty for a sandbox that holds none: the container gets its own.
      ipc: hn.ipc,
      uts: hn.uts,
      ...(hn.pid !== undefined ? { pid: hn.pid } : {}),
    },
    ...(r.targetPid !== undefined ? { targetPid: r.targetPid } : {}),
    sandboxFiles: x.files,
    volumeDir: join(r.rwDir, "volumes"),
    podAnnotationPatterns: r.handler.podAnnotations,
    containerAnnotationPatterns: r.handler.containerAnnotations,
  });
}
