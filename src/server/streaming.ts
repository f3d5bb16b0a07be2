/**
 * The runtime side of Exec, Attach and PortForward for a streaming server:
 * sessions run through the container's runtime handler (its `exec` and
 * `attach`) and in the pod's network namespace (see `streaming-runtime.ts`).
 *
 * @packageDocumentation
 */
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { AttachRequest, AttachResponseSchema, ExecRequest, ExecResponseSchema, PortForwardRequest, PortForwardResponseSchema } from "../cri.js";
import { failedPrecondition, unimplemented } from "../errors.js";
import type { StreamingServer } from "../streaming/index.js";
import type { StreamingRuntime } from "../streaming/runtime.js";
import { containerState, sandboxState } from "../stores/index.js";
import { findContainer, findSandbox, handlerOf, type CallContext, type ServiceContext } from "./service-context.js";
import { createOciStreamingRuntime } from "./streaming-runtime.js";

/**
 * The service's {@link StreamingRuntime}: unknown containers and pods are
 * `NotFound`; a container not running or a pod not ready is
 * `FailedPrecondition`; a handler without exec and attach is `Unimplemented`.
 */
export function streamingRuntime(c: ServiceContext): StreamingRuntime {
  return createOciStreamingRuntime({
    lookupContainer: (id) => {
      const r = findContainer(c, id);
      if (containerState(r.status) !== "RUNNING") throw failedPrecondition(`container ${JSON.stringify(r.id)} is not running`);
      const handler = r.metadata.runtime?.handler ?? "";
      const { exec, attach } = handlerOf(c, handler).runtime;
      if (exec === undefined || attach === undefined) throw unimplemented(`runtime handler ${JSON.stringify(handler)} runs no exec or attach sessions`);
      const rt = handlerOf(c, handler).runtime;
      return { runtime: { exec: exec.bind(rt), attach: attach.bind(rt) }, id: r.id };
    },
    lookupSandbox: (id) => {
      const s = findSandbox(c, id);
      if (sandboxState(s.status) !== "READY") throw failedPrecondition(`pod sandbox ${JSON.stringify(s.id)} is not ready`);
      const x = s.metadata.runtime;
      return { netnsPath: x === undefined || x.hostNetwork ? undefined : x.netnsPath };
    },
  });
}

function serverOf(streaming: StreamingServer | undefined, rpc: string): StreamingServer {
  if (streaming === undefined) throw unimplemented(`${rpc} needs a streaming server, and this runtime was built without one`);
  return streaming;
}

function runningContainer(c: ServiceContext, id: string) {
  const r = findContainer(c, id);
  if (containerState(r.status) !== "RUNNING") throw failedPrecondition(`container ${JSON.stringify(r.id)} is not running`);
  return r;
}

/**
 * Exec: the URL of a session on the streaming server. The container must
 * exist (NotFound) and run (FailedPrecondition); one of stdin, stdout and
 * stderr, and no stderr with tty (InvalidArgument).
 */
export function exec(c: ServiceContext, req: ExecRequest, _call?: CallContext): MessageInitShape<typeof ExecResponseSchema> {
  const server = serverOf(c.streaming, "Exec");
  return server.getExec({ ...req, containerId: runningContainer(c, req.containerId).id });
}

/** Attach: the URL of a session on the streaming server (checks as Exec). */
export function attach(c: ServiceContext, req: AttachRequest, _call?: CallContext): MessageInitShape<typeof AttachResponseSchema> {
  const server = serverOf(c.streaming, "Attach");
  return server.getAttach({ ...req, containerId: runningContainer(c, req.containerId).id });
}

/** PortForward: the URL of a session on the streaming server; the pod must exist (NotFound) and be ready (FailedPrecondition). */
export function portForward(c: ServiceContext, req: PortForwardRequest, _call?: CallContext): MessageInitShape<typeof PortForwardResponseSchema> {
  const server = serverOf(c.streaming, "PortForward");
  const sb = findSandbox(c, req.podSandboxId);
  if (sandboxState(sb.status) !== "READY") throw failedPrecondition(`pod sandbox ${JSON.stringify(sb.id)} is not ready`);
  return server.getPortForward({ podSandboxId: sb.id, port: req.port });
}
