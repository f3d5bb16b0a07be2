/**
 * One entry point that checks a whole CRI request: the descriptor-driven
 * checks of every field ({@link validateMessageFields}), then the value
 * rules of the request's own fields ({@link validatePodSandboxConfig},
 * {@link validateContainerConfig}, {@link validateLinuxResources}, ...).
 * The CRI service calls it first thing in each RPC, before it creates,
 * looks up or changes anything.
 *
 * @packageDocumentation
 */
import { createRegistry, type DescMessage } from "@bufbuild/protobuf";
import { file_runtime_v1_api } from "../cri.js";
import { invalidArgument } from "../errors.js";
import type {
  CreateContainerRequest,
  ExecSyncRequest,
  PortForwardRequest,
  RunPodSandboxRequest,
  UpdateContainerResourcesRequest,
  UpdatePodSandboxResourcesRequest,
  UpdateRuntimeConfigRequest,
} from "../cri.js";
import { validateMessageFields } from "./fields.js";
import {
  checkPodCidr,
  validateContainerConfig,
  validateExecTimeout,
  validateLinuxResources,
  validatePodSandboxConfig,
  type ValidationHost,
} from "./rules.js";

type Rule = (req: never, host: ValidationHost) => void;

const rules: Readonly<Record<string, Rule>> = {
  "runtime.v1.RunPodSandboxRequest": (req: RunPodSandboxRequest, host) => {
    if (req.config !== undefined) validatePodSandboxConfig(req.config, "config", host);
  },
  "runtime.v1.CreateContainerRequest": (req: CreateContainerRequest, host) => {
    if (req.config !== undefined) validateContainerConfig(req.config, "config", host);
  },
  "runtime.v1.UpdateContainerResourcesRequest": (req: UpdateContainerResourcesRequest, host) => validateLinuxResources(req.linux, "linux", host),
  "runtime.v1.UpdatePodSandboxResourcesRequest": (req: UpdatePodSandboxResourcesRequest, host) => {
    validateLinuxResources(req.overhead, "overhead", host);
    validateLinuxResources(req.resources, "resources", host);
  },
  "runtime.v1.ExecSyncRequest": (req: ExecSyncRequest) => validateExecTimeout(req.timeout),
  "runtime.v1.PortForwardRequest": (req: PortForwardRequest) =>
    req.port.forEach((port, i) => {
      if (port < 1 || port > 65535) throw invalidArgument(`port[${i}] is ${port}; accepted: 1..65535`, `port[${i}]`);
    }),
  "runtime.v1.UpdateRuntimeConfigRequest": (req: UpdateRuntimeConfigRequest) => checkPodCidr(req.runtimeConfig?.networkConfig?.podCidr ?? "", "runtime_config.network_config.pod_cidr"),
};

const registry = createRegistry(file_runtime_v1_api);

/**
 * Checks a CRI request before anything acts on it: its type comes from the
 * message's `$typeName` (a `runtime.v1` request message, as connect and
 * `create()` make them; a plain object without `$typeName` is not checked:
 * use {@link validateCriMessage} for those).
 *
 * @param host - node facts for the rules that need them (huge page sizes,
 *   online CPUs, cgroup v2); without them those rules check syntax only.
 * @throws `InvalidArgument` naming the first bad field and what is accepted.
 *
 * @example
 * ```ts
 * validateCriRequest(create(cri.CreateContainerRequestSchema, { ... }), host);
 * ```
 *
 * @public
 */
export function validateCriRequest(request: { readonly $typeName: string }, host: ValidationHost = {}): void {
  // A plain object cast to a request type carries no type name: nothing to check it against.
  if (request.$typeName === undefined) return;
  const schema = registry.getMessage(request.$typeName);
  if (schema === undefined) {
    throw invalidArgument(`${String(request.$typeName)} is not a runtime.v1 message: pass a request made with create(cri.<Request>Schema, ...)`);
  }
  validateCriMessage(schema, request, host);
}

/**
 * {@link validateCriRequest} with the schema given, for plain objects
 * shaped like `schema`'s messages.
 *
 * @public
 */
export function validateCriMessage(schema: DescMessage, req: unknown, host: ValidationHost = {}): void {
  validateMessageFields(schema, req);
  const rule = rules[schema.typeName];
  if (rule !== undefined && req !== null && typeof req === "object") rule(req as never, host);
}
