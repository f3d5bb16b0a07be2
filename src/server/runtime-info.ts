/**
 * Version, Status, RuntimeConfig, UpdateRuntimeConfig,
 * GetContainerEvents and CheckpointContainer: what the runtime says about itself.
 *
 * @packageDocumentation
 */
import type { MessageInitShape } from "@bufbuild/protobuf";
import {
  CgroupDriver,
  type ContainerEventResponseSchema,
  type GetEventsRequest,
  type RuntimeConfigRequest,
  type RuntimeConfigResponseSchema,
  type StatusRequest,
  type StatusResponseSchema,
  type UpdateRuntimeConfigRequest,
  type UpdateRuntimeConfigResponseSchema,
  type VersionRequest,
  type VersionResponseSchema,
  type CheckpointContainerRequest,
} from "../cri.js";
import { unimplemented } from "../errors.js";
import { sig, type CallContext, type ServiceContext } from "./service-context.js";

/** Version. */
export function version(c: ServiceContext, _req: VersionRequest, _call?: CallContext): MessageInitShape<typeof VersionResponseSchema> {
  return { version: "0.1.0", runtimeName: "crikit", runtimeVersion: c.version, runtimeApiVersion: "v1" };
}

/**
 * CheckpointContainer: Unimplemented. CRIU (Debian's 3.17) cannot run on
 * the kernels crikit is tested on (`criu check` fails on the vDSO), so
 * there is nothing to test an implementation against.
 */
export function checkpointContainer(_c: ServiceContext, _req: CheckpointContainerRequest, _call?: CallContext): never {
  throw unimplemented("CheckpointContainer is not implemented by crikit: CRIU is not available on the hosts it is tested on");
}

/** Status: RuntimeReady, NetworkReady (from the pod network), runtime handlers with features. */
export async function status(c: ServiceContext, req: StatusRequest, call: CallContext = {}): Promise<MessageInitShape<typeof StatusResponseSchema>> {
  const net = await c.network.status(sig(call.signal));
  const features = { recursiveReadOnlyMounts: false, userNamespaces: false };
  const runtimeHandlers = [{ name: "", features }, ...[...c.handlers.keys()].map((name) => ({ name, features }))];
  const info: Record<string, string> = {};
  if (req.verbose) {
    info["config"] = JSON.stringify({ ...c.config, registry: { ...c.config.registry, auths: Object.keys(c.config.registry.auths) } });
    info["network"] = JSON.stringify({ defaultNetwork: net.defaultNetwork ?? "", networks: net.networks, podCidr: c.life.podCidr });
  }
  const closed = c.life.closed;
  return {
    status: {
      conditions: [
        { type: "RuntimeReady", status: !closed, reason: closed ? "RuntimeShuttingDown" : "", message: "" },
        { type: "NetworkReady", status: net.ready, reason: net.reason, message: net.message },
      ],
    },
    info,
    runtimeHandlers,
    features: { supplementalGroupsPolicy: true },
  };
}

/** RuntimeConfig: the default handler's cgroup driver (its SystemdCgroup option may set it), as containerd reports it. */
export function runtimeConfig(c: ServiceContext, _req: RuntimeConfigRequest): MessageInitShape<typeof RuntimeConfigResponseSchema> {
  const driver = c.handlers.get(c.config.default_runtime)?.cgroupDriver ?? c.config.cgroup_driver;
  return { linux: { cgroupDriver: driver === "systemd" ? CgroupDriver.SYSTEMD : CgroupDriver.CGROUPFS } };
}

/** UpdateRuntimeConfig: keeps the pod CIDR (passed to CNI plugins as the ipRanges capability). */
export function updateRuntimeConfig(c: ServiceContext, req: UpdateRuntimeConfigRequest): MessageInitShape<typeof UpdateRuntimeConfigResponseSchema> {
  const cidr = req.runtimeConfig?.networkConfig?.podCidr ?? "";
  if (cidr !== "") {
    c.life.podCidr = cidr;
    c.network.setPodCidrs(cidr.split(",").map((s) => s.trim()).filter((s) => s !== ""));
    c.log.info({ podCidr: cidr }, "pod CIDR updated");
  }
  return {};
}

/** GetContainerEvents: every event from now on, until the client cancels or the server closes. */
export async function* getContainerEvents(c: ServiceContext, _req: GetEventsRequest, call: CallContext = {}): AsyncGenerator<MessageInitShape<typeof ContainerEventResponseSchema>> {
  for await (const e of c.events.subscribe(call.signal)) yield e;
}
