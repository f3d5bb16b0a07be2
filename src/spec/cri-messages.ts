/**
 * The CRI messages of a spec input built from init objects: the one part of
 * crikit/spec that needs the CRI file descriptor. generate.ts loads this
 * module on the first call that passes an init object rather than a message,
 * so importing crikit/spec does not build the descriptor (about 20 MiB).
 *
 * @internal
 * @packageDocumentation
 */
import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { ContainerConfigSchema, PodSandboxConfigSchema, type ContainerConfig, type PodSandboxConfig } from "../cri.js";

/** `create(ContainerConfigSchema, init)`. */
export function containerConfig(init: MessageInitShape<typeof ContainerConfigSchema>): ContainerConfig {
  return create(ContainerConfigSchema, init);
}

/** `create(PodSandboxConfigSchema, init)`. */
export function podSandboxConfig(init: MessageInitShape<typeof PodSandboxConfigSchema>): PodSandboxConfig {
  return create(PodSandboxConfigSchema, init);
}
