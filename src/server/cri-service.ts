/**
 * The CRI service core: every RPC of `runtime.v1` RuntimeService and
 * ImageService, callable in-process, over dependencies given as interfaces
 * (see {@link CriServiceDeps}); `createCriService` builds the defaults.
 * Each RPC lives in its own module (`sandbox-run.ts`, `container-create.ts`,
 * ...) as a function of the shared {@link ServiceContext}; state lives in
 * the stores alone. Every call except Version, Status and RuntimeConfig
 * answers Unavailable until `recover()` has finished, and after `close()`.
 *
 * @packageDocumentation
 */
import type { MessageInitShape } from "@bufbuild/protobuf";
import type {
  AttachRequest,
  CheckpointContainerRequest,
  ContainerEventResponseSchema,
  ContainerStatsRequest,
  ContainerStatusRequest,
  CreateContainerRequest,
  ExecRequest,
  ExecSyncRequest,
  GetEventsRequest,
  ImageFsInfoRequest,
  ImageStatusRequest,
  ListContainerStatsRequest,
  ListContainersRequest,
  ListImagesRequest,
  ListMetricDescriptorsRequest,
  ListPodSandboxMetricsRequest,
  ListPodSandboxRequest,
  ListPodSandboxStatsRequest,
  PodSandboxStatsRequest,
  PodSandboxStatusRequest,
  PortForwardRequest,
  PullImageRequest,
  RemoveContainerRequest,
  RemoveImageRequest,
  RemovePodSandboxRequest,
  ReopenContainerLogRequest,
  RunPodSandboxRequest,
  RuntimeConfigRequest,
  StartContainerRequest,
  StatusRequest,
  StopContainerRequest,
  StopPodSandboxRequest,
  StreamContainerStatsRequest,
  StreamContainersRequest,
  StreamImagesRequest,
  StreamPodSandboxMetricsRequest,
  StreamPodSandboxStatsRequest,
  StreamPodSandboxesRequest,
  UpdateContainerResourcesRequest,
  UpdatePodSandboxResourcesRequest,
  UpdateRuntimeConfigRequest,
  VersionRequest,
  VersionResponseSchema,
} from "../cri.js";
import type { DaemonConfig } from "../config/index.js";
import { CrikitError, unimplemented } from "../errors.js";
import { silentLogger, type Logger } from "../logger.js";
import { createRandomIdGenerator, type IdGenerator, type ObjectDirs } from "../naming/index.js";
import type { ExitWatch, LifecycleHooks } from "../runtime/index.js";
import type { StatsCollector } from "../stats/index.js";
import { ContainerStore, Registrar, SandboxStore } from "../stores/index.js";
import type { ImageServiceImpl, RuntimeServiceImpl } from "../transport/service-impl.js";
import { createMonotonicClock, type Clock } from "./clock.js";
import * as create from "./container-create.js";
import * as exec from "./container-exec.js";
import * as remove from "./container-remove.js";
import * as start from "./container-start.js";
import * as containerStatus from "./container-status.js";
import * as stop from "./container-stop.js";
import * as update from "./container-update.js";
import { EventBroadcaster } from "./event-broadcaster.js";
import * as images from "./image-rpcs.js";
import { LateResults } from "./late-results.js";
import type { ContainerFileRecord, RecordStore, SandboxFileRecord } from "./record-codec.js";
import type { IntentRecord } from "./intents.js";
import { recover } from "./recovery.js";
import { bindMethods, IMAGE_RPCS, RUNTIME_RPCS } from "./rpc-names.js";
import * as info from "./runtime-info.js";
import * as sandboxRun from "./sandbox-run.js";
import * as sandboxStatus from "./sandbox-status.js";
import * as sandboxStop from "./sandbox-stop-remove.js";
import type { CallContext, ImageBackend, PodNetwork, ResolvedHandler, ServiceContext, SpecEnvironment } from "./service-context.js";
import * as stats from "./stats-rpcs.js";
import * as metrics from "./metrics-rpcs.js";
import * as streamingRpcs from "./streaming.js";
import type { StreamingRuntime } from "../streaming/runtime.js";
import type { StreamingServer } from "../streaming/index.js";
import { validateCriRequest, type ValidationHost } from "../validation/index.js";
import { errMessage } from "./undo.js";

/** What {@link CriService} runs on (see `createCriService` for the defaults). @public */
export interface CriServiceDeps {
  /** The daemon configuration. */
  config: DaemonConfig;
  /** Runtime handlers by name. */
  handlers: ReadonlyMap<string, ResolvedHandler>;
  /** The pod network. */
  network: PodNetwork;
  /** The image backend. */
  images: ImageBackend;
  /** Where objects' directories are. */
  dirs: ObjectDirs;
  /**
   * Where sandbox and container records are kept, and the intents of calls
   * under way (see `intents.ts`; without it, a crash mid-call may leak what
   * the call made).
   */
  records: { sandboxes: RecordStore<SandboxFileRecord>; containers: RecordStore<ContainerFileRecord>; intents?: RecordStore<IntentRecord> | undefined };
  /** The host facts specs are generated with. */
  env: SpecEnvironment;
  /** The stats collector. */
  stats: StatsCollector;
  /** @defaultValue a monotonic clock */
  clock?: Clock;
  /** @defaultValue random 64-hex IDs */
  ids?: IdGenerator;
  /** @defaultValue silent */
  logger?: Logger;
  /** Hooks for every handler. */
  hooks?: LifecycleHooks | undefined;
  /** The runtime version reported by Version. @defaultValue `"0.1.0"` */
  version?: string;
  /** Time limit of the server-side work of a create, in ms. @defaultValue 240000 */
  createTimeoutMs?: number;
  /** Time limit of a rollback, in ms. @defaultValue 60000 */
  rollbackTimeoutMs?: number;
  /** How long a late result waits for the retry, in ms. @defaultValue 600000 */
  lateResultTtlMs?: number;
  /** Interval of the exit watches' full re-check, in ms. @defaultValue 2000 */
  exitRecheckMs?: number;
  /**
   * The streaming server that Exec, Attach and PortForward hand URLs of
   * (listening, and closed by whoever made it). Without one these RPCs
   * answer Unimplemented.
   */
  streaming?: StreamingServer | undefined;
  /** Node facts request validation checks against (huge page sizes, online CPUs, cgroup v2). @defaultValue none: those checks are skipped */
  validationHost?: ValidationHost | undefined;
  /** Closed by `close()`, newest first, after the service's own parts: what the composition root built. */
  owned?: ReadonlyArray<{ close(): Promise<unknown> | unknown }>;
}

/**
 * The CRI service (see the file header).
 *
 * @example
 * ```ts
 * const service = createCriService({ config: parseDaemonConfig(toml) });
 * const server = new CriServer({ socketPath: config.socket, ...service.handlers(), ready: service.recover() });
 * await server.listen();
 * ```
 *
 * @public
 */
export class CriService {
  /** The configuration in use. */
  readonly config: DaemonConfig;
  /** The image backend. */
  readonly images: ImageBackend;
  /** Sandboxes: the one source of truth of their state. */
  readonly sandboxes = new SandboxStore();
  /** Containers: the one source of truth of their state. */
  readonly containers = new ContainerStore();
  /** Container lifecycle events (GetContainerEvents). */
  readonly events = new EventBroadcaster<MessageInitShape<typeof ContainerEventResponseSchema>>();
  readonly #c: ServiceContext;
  readonly #version: string;
  readonly #exitRecheckMs: number;
  readonly #owned: ReadonlyArray<{ close(): Promise<unknown> | unknown }>;
  readonly #streaming: StreamingServer | undefined;
  readonly #validationHost: ValidationHost;
  #watches: ExitWatch[] = [];
  #recovered: Promise<void> | undefined;

  constructor(deps: CriServiceDeps) {
    const log = deps.logger ?? silentLogger;
    const ttlMs = deps.lateResultTtlMs ?? 600_000;
    const onCleanupError = (name: string, err: unknown): void => log.warn({ name, err: errMessage(err) }, "cleanup of a late result failed");
    this.config = deps.config;
    this.images = deps.images;
    this.#version = deps.version ?? "0.1.0";
    this.#exitRecheckMs = deps.exitRecheckMs ?? 2000;
    this.#owned = deps.owned ?? [];
    this.#streaming = deps.streaming;
    this.#validationHost = deps.validationHost ?? {};
    this.#c = {
      ...deps,
      clock: deps.clock ?? createMonotonicClock(),
      ids: deps.ids ?? createRandomIdGenerator(),
      log,
      hooks: deps.hooks,
      sandboxes: this.sandboxes,
      containers: this.containers,
      sandboxNames: new Registrar(),
      containerNames: new Registrar(),
      lateSandboxes: new LateResults<string>({ ttlMs, onCleanupError }),
      lateContainers: new LateResults<string>({ ttlMs, onCleanupError }),
      inflight: new Map(),
      unansweredStarts: new Set(),
      events: this.events,
      lifetime: new AbortController(),
      createTimeoutMs: deps.createTimeoutMs ?? 240_000,
      rollbackTimeoutMs: deps.rollbackTimeoutMs ?? 60_000,
      life: { ready: false, closed: false, podCidr: "" },
    };
  }

  /** The RPC implementations, bound to this service, for `createCriRoutes` or `CriServer`'s `runtime` and `image` options. */
  handlers(): { runtime: RuntimeServiceImpl; image: ImageServiceImpl } {
    // Type checks only: every method has the signature connect expects.
    const typed: [RuntimeServiceImpl, ImageServiceImpl] = [this, this];
    void typed;
    return { runtime: bindMethods(this, RUNTIME_RPCS) as RuntimeServiceImpl, image: bindMethods(this, IMAGE_RPCS) as ImageServiceImpl };
  }

  /** Restores state after a (re)start (see `recovery.ts`). Idempotent: later calls return the first call's promise. */
  recover(): Promise<void> {
    this.#recovered ??= recover(this.#c, this.#exitRecheckMs).then((w) => void (this.#watches = w));
    return this.#recovered;
  }

  /** Stops the exit watches, event streams, late results and stats, then closes what the composition root built; containers keep running. Idempotent. */
  async close(): Promise<void> {
    if (this.#c.life.closed) return;
    this.#c.life.closed = true;
    await this.#recovered?.catch(() => undefined);
    await Promise.all(this.#watches.map((w) => w.close()));
    this.events.close();
    this.#c.lateSandboxes.close();
    this.#c.lateContainers.close();
    this.#c.stats.close();
    this.#c.lifetime.abort(new CrikitError("Unavailable", "runtime is shutting down"));
    for (const o of [...this.#owned].reverse()) await Promise.resolve(o.close()).catch((err: unknown) => this.#c.log.warn({ err: errMessage(err) }, "close failed"));
  }

  /** Same as {@link CriService.close}, for `await using`. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /** Immediate close: like {@link CriService.close} (the transport drains calls). Idempotent. */
  async destroy(_reason?: unknown): Promise<void> {
    await this.close();
  }

  /** Checks a request at the edge, before anything else (see `src/validation`): InvalidArgument naming the field. */
  #v(req: { readonly $typeName: string }): void {
    validateCriRequest(req, this.#validationHost);
  }

  /** The pod CIDR last given by UpdateRuntimeConfig. */
  get podCidr(): string {
    return this.#c.life.podCidr;
  }

  version(req: VersionRequest, _ctx?: CallContext): MessageInitShape<typeof VersionResponseSchema> { this.#v(req); return info.version(this.#version); }
  async status(req: StatusRequest, ctx?: CallContext) { this.#v(req); return info.status(this.#c, req, ctx); }
  runtimeConfig(req: RuntimeConfigRequest, _ctx?: CallContext) { this.#v(req); return info.runtimeConfig(this.#c, req); }
  updateRuntimeConfig(req: UpdateRuntimeConfigRequest, _ctx?: CallContext) { this.#v(req); return info.updateRuntimeConfig(this.#c, req); }
  async *getContainerEvents(req: GetEventsRequest, ctx?: CallContext): AsyncGenerator<MessageInitShape<typeof ContainerEventResponseSchema>> { this.#v(req); yield* info.getContainerEvents(this.#c, req, ctx); }
  async runPodSandbox(req: RunPodSandboxRequest, ctx?: CallContext) { this.#v(req); return sandboxRun.runPodSandbox(this.#c, req, ctx); }
  async stopPodSandbox(req: StopPodSandboxRequest, ctx?: CallContext) { this.#v(req); return sandboxStop.stopPodSandbox(this.#c, req, ctx); }
  async removePodSandbox(req: RemovePodSandboxRequest, ctx?: CallContext) { this.#v(req); return sandboxStop.removePodSandbox(this.#c, req, ctx); }
  async podSandboxStatus(req: PodSandboxStatusRequest, ctx?: CallContext) { this.#v(req); return sandboxStatus.podSandboxStatus(this.#c, req, ctx); }
  listPodSandbox(req: ListPodSandboxRequest, ctx?: CallContext) { this.#v(req); return sandboxStatus.listPodSandbox(this.#c, req, ctx); }
  async *streamPodSandboxes(req: StreamPodSandboxesRequest, ctx?: CallContext) { this.#v(req); yield* sandboxStatus.streamPodSandboxes(this.#c, req, ctx); }
  async updatePodSandboxResources(req: UpdatePodSandboxResourcesRequest, ctx?: CallContext) { this.#v(req); return sandboxStatus.updatePodSandboxResources(this.#c, req, ctx); }
  async createContainer(req: CreateContainerRequest, ctx?: CallContext) { this.#v(req); return create.createContainer(this.#c, req, ctx); }
  async startContainer(req: StartContainerRequest, ctx?: CallContext) { this.#v(req); return start.startContainer(this.#c, req, ctx); }
  async stopContainer(req: StopContainerRequest, ctx?: CallContext) { this.#v(req); return stop.stopContainer(this.#c, req, ctx); }
  async removeContainer(req: RemoveContainerRequest, ctx?: CallContext) { this.#v(req); return remove.removeContainer(this.#c, req, ctx); }
  async containerStatus(req: ContainerStatusRequest, ctx?: CallContext) { this.#v(req); return containerStatus.containerStatus(this.#c, req, ctx); }
  listContainers(req: ListContainersRequest, ctx?: CallContext) { this.#v(req); return containerStatus.listContainers(this.#c, req, ctx); }
  async *streamContainers(req: StreamContainersRequest, ctx?: CallContext) { this.#v(req); yield* containerStatus.streamContainers(this.#c, req, ctx); }
  async execSync(req: ExecSyncRequest, ctx?: CallContext) { this.#v(req); return exec.execSync(this.#c, req, ctx); }
  async updateContainerResources(req: UpdateContainerResourcesRequest, ctx?: CallContext) { this.#v(req); return update.updateContainerResources(this.#c, req, ctx); }
  async reopenContainerLog(req: ReopenContainerLogRequest, ctx?: CallContext) { this.#v(req); return update.reopenContainerLog(this.#c, req, ctx); }
  async containerStats(req: ContainerStatsRequest, ctx?: CallContext) { this.#v(req); return stats.containerStats(this.#c, req, ctx); }
  async listContainerStats(req: ListContainerStatsRequest, ctx?: CallContext) { this.#v(req); return stats.listContainerStats(this.#c, req, ctx); }
  async *streamContainerStats(req: StreamContainerStatsRequest, ctx?: CallContext) { this.#v(req); yield* stats.streamContainerStats(this.#c, req, ctx); }
  async podSandboxStats(req: PodSandboxStatsRequest, ctx?: CallContext) { this.#v(req); return stats.podSandboxStats(this.#c, req, ctx); }
  async listPodSandboxStats(req: ListPodSandboxStatsRequest, ctx?: CallContext) { this.#v(req); return stats.listPodSandboxStats(this.#c, req, ctx); }
  async *streamPodSandboxStats(req: StreamPodSandboxStatsRequest, ctx?: CallContext) { this.#v(req); yield* stats.streamPodSandboxStats(this.#c, req, ctx); }
  async listImages(req: ListImagesRequest, ctx?: CallContext) { this.#v(req); return images.listImages(this.#c, req, ctx); }
  async *streamImages(req: StreamImagesRequest, ctx?: CallContext) { this.#v(req); yield* images.streamImages(this.#c, req, ctx); }
  async imageStatus(req: ImageStatusRequest, ctx?: CallContext) { this.#v(req); return images.imageStatus(this.#c, req, ctx); }
  async pullImage(req: PullImageRequest, ctx?: CallContext) { this.#v(req); return images.pullImage(this.#c, req, ctx); }
  async removeImage(req: RemoveImageRequest, ctx?: CallContext) { this.#v(req); return images.removeImage(this.#c, req, ctx); }
  async imageFsInfo(req: ImageFsInfoRequest, ctx?: CallContext) { this.#v(req); return images.imageFsInfo(this.#c, req, ctx); }

  exec(req: ExecRequest, _ctx?: CallContext) { this.#v(req); return streamingRpcs.exec(this.#c, this.#streaming, req); }
  attach(req: AttachRequest, _ctx?: CallContext) { this.#v(req); return streamingRpcs.attach(this.#c, this.#streaming, req); }
  portForward(req: PortForwardRequest, _ctx?: CallContext) { this.#v(req); return streamingRpcs.portForward(this.#c, this.#streaming, req); }
  listMetricDescriptors(req: ListMetricDescriptorsRequest, ctx?: CallContext) { this.#v(req); return metrics.listMetricDescriptors(req, ctx); }
  async listPodSandboxMetrics(req: ListPodSandboxMetricsRequest, ctx?: CallContext) { this.#v(req); return metrics.listPodSandboxMetrics(this.#c, req, ctx); }
  async *streamPodSandboxMetrics(req: StreamPodSandboxMetricsRequest, ctx?: CallContext) { this.#v(req); yield* metrics.streamPodSandboxMetrics(this.#c, req, ctx); }
  /** The runtime side of Exec, Attach and PortForward, for a streaming server (see `streaming.ts`). */
  streamingRuntime(): StreamingRuntime { return streamingRpcs.streamingRuntime(this.#c); }
  /**
   * CheckpointContainer: Unimplemented. CRIU (Debian's 3.17) cannot run on
   * the kernels crikit is tested on (`criu check` fails on the vDSO), so
   * there is nothing to test an implementation against.
   */
  checkpointContainer(_req: CheckpointContainerRequest): never { throw unimplemented("CheckpointContainer is not implemented by crikit: CRIU is not available on the hosts it is tested on"); }
}
