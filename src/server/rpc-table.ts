/**
 * Which module answers each RPC: the dispatch table of `CriService`, typed
 * against the generated service descriptors, so that a module whose request
 * or response does not match its RPC fails the type-check, and an RPC left
 * out of the table fails it too.
 *
 * @packageDocumentation
 */
import type { DescMethod, DescMethodServerStreaming, DescMethodUnary, MessageInitShape, MessageShape } from "@bufbuild/protobuf";
import type { ImageService, RuntimeService } from "../cri.js";
import * as create from "./container-create.js";
import * as exec from "./container-exec.js";
import * as remove from "./container-remove.js";
import * as start from "./container-start.js";
import * as containerStatus from "./container-status.js";
import * as stop from "./container-stop.js";
import * as update from "./container-update.js";
import * as images from "./image-rpcs.js";
import * as metrics from "./metrics-rpcs.js";
import * as info from "./runtime-info.js";
import * as sandboxRun from "./sandbox-run.js";
import * as sandboxStatus from "./sandbox-status.js";
import * as sandboxStop from "./sandbox-stop-remove.js";
import type { CallContext, ServiceContext } from "./service-context.js";
import * as stats from "./stats-rpcs.js";
import * as streaming from "./streaming.js";

/**
 * The RPCs that `CriService` answers at once, without a promise: they read
 * the stores or hand out a streaming URL and never wait.
 *
 * @public
 */
export type CriImmediateRpc =
  | "version"
  | "runtimeConfig"
  | "updateRuntimeConfig"
  | "listPodSandbox"
  | "listContainers"
  | "exec"
  | "attach"
  | "portForward"
  | "listMetricDescriptors"
  | "checkpointContainer";

/**
 * One RPC as a method of `CriService`: the request message and an optional
 * call context; a unary RPC resolves with (or, when `Immediate`, returns)
 * its response, a server-streaming one is an async generator of responses.
 *
 * @public
 */
export type CriServiceMethod<M extends DescMethod, Immediate extends boolean> =
  M extends DescMethodUnary<infer I, infer O>
    ? (req: MessageShape<I>, ctx?: CallContext) => Immediate extends true ? MessageInitShape<O> : Promise<MessageInitShape<O>>
    : M extends DescMethodServerStreaming<infer I, infer O>
      ? (req: MessageShape<I>, ctx?: CallContext) => AsyncGenerator<MessageInitShape<O>>
      : never;

/**
 * Every RPC of `runtime.v1` RuntimeService and ImageService as a method of
 * `CriService`, by its `localName`.
 *
 * @public
 */
export type CriServiceRpcs = {
  [P in keyof CriMethods]: CriServiceMethod<CriMethods[P], P extends CriImmediateRpc ? true : false>;
};

type CriMethods = (typeof RuntimeService)["method"] & (typeof ImageService)["method"];

/** A method's implementation in a module: the same with the service's context first. */
type ModuleFn<F> = F extends (req: infer Req, ctx?: CallContext) => infer Res ? (c: ServiceContext, req: Req, call?: CallContext) => Res : never;

/** The module function of each RPC. */
export const RPC_TABLE: { readonly [P in keyof CriServiceRpcs]: ModuleFn<CriServiceRpcs[P]> } = {
  version: info.version,
  status: info.status,
  runtimeConfig: info.runtimeConfig,
  updateRuntimeConfig: info.updateRuntimeConfig,
  getContainerEvents: info.getContainerEvents,
  checkpointContainer: info.checkpointContainer,
  runPodSandbox: sandboxRun.runPodSandbox,
  stopPodSandbox: sandboxStop.stopPodSandbox,
  removePodSandbox: sandboxStop.removePodSandbox,
  podSandboxStatus: sandboxStatus.podSandboxStatus,
  listPodSandbox: sandboxStatus.listPodSandbox,
  streamPodSandboxes: sandboxStatus.streamPodSandboxes,
  updatePodSandboxResources: sandboxStatus.updatePodSandboxResources,
  createContainer: create.createContainer,
  startContainer: start.startContainer,
  stopContainer: stop.stopContainer,
  removeContainer: remove.removeContainer,
  containerStatus: containerStatus.containerStatus,
  listContainers: containerStatus.listContainers,
  streamContainers: containerStatus.streamContainers,
  execSync: exec.execSync,
  updateContainerResources: update.updateContainerResources,
  reopenContainerLog: update.reopenContainerLog,
  exec: streaming.exec,
  attach: streaming.attach,
  portForward: streaming.portForward,
  containerStats: stats.containerStats,
  listContainerStats: stats.listContainerStats,
  streamContainerStats: stats.streamContainerStats,
  podSandboxStats: stats.podSandboxStats,
  listPodSandboxStats: stats.listPodSandboxStats,
  streamPodSandboxStats: stats.streamPodSandboxStats,
  listMetricDescriptors: metrics.listMetricDescriptors,
  listPodSandboxMetrics: metrics.listPodSandboxMetrics,
  streamPodSandboxMetrics: metrics.streamPodSandboxMetrics,
  listImages: images.listImages,
  streamImages: images.streamImages,
  imageStatus: images.imageStatus,
  pullImage: images.pullImage,
  removeImage: images.removeImage,
  imageFsInfo: images.imageFsInfo,
};

const asyncFunctionProto: unknown = Object.getPrototypeOf(async () => undefined);
const asyncGeneratorFunctionProto: unknown = Object.getPrototypeOf(async function* () {});

/** How a module function answers: a stream (an async generator function), a promise (an async function) or at once. */
function answerKind(fn: object): "stream" | "promise" | "immediate" {
  const proto: unknown = Object.getPrototypeOf(fn);
  return proto === asyncGeneratorFunctionProto ? "stream" : proto === asyncFunctionProto ? "promise" : "immediate";
}

/**
 * Define one method per RPC of {@link RPC_TABLE} on `proto` (the service
 * class's prototype): the request checked at the edge by `validate`, then
 * its module's function called with the service's context. A stream stays a
 * stream, a promise a promise, and an immediate answer stays immediate.
 */
export function defineRpcMethods<S>(proto: S, contextOf: (self: S) => ServiceContext, validate: (self: S, req: { readonly $typeName: string }) => void): void {
  for (const [name, fn] of Object.entries(RPC_TABLE) as unknown as Array<[string, (c: ServiceContext, req: never, call?: CallContext) => unknown]>) {
    const kind = answerKind(fn);
    const method =
      kind === "stream"
        ? async function* (this: S, req: never, ctx?: CallContext) {
            validate(this, req);
            yield* fn(contextOf(this), req, ctx) as AsyncIterable<unknown>;
          }
        : kind === "promise"
          ? async function (this: S, req: never, ctx?: CallContext) {
              validate(this, req);
              return fn(contextOf(this), req, ctx);
            }
          : function (this: S, req: never, ctx?: CallContext) {
              validate(this, req);
              return fn(contextOf(this), req, ctx);
            };
    Object.defineProperty(proto, name, { value: method, writable: true, configurable: true });
  }
}
