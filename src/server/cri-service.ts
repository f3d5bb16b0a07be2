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
import type { ContainerEventResponseSchema } from "../cri.js";
import type { DaemonConfig } from "../config/index.js";
import { CrikitError } from "../errors.js";
import { silentLogger } from "../logger.js";
import { createRandomIdGenerator } from "../naming/index.js";
import type { ExitWatch } from "../runtime/index.js";
import { ContainerStore, Registrar, SandboxStore } from "../stores/index.js";
import type { StreamingRuntime } from "../streaming/runtime.js";
import type { ImageServiceImpl, RuntimeServiceImpl } from "../transport/service-impl.js";
import { validateCriRequest, type ValidationHost } from "../validation/index.js";
import { createMonotonicClock } from "./clock.js";
import { EventBroadcaster } from "./event-broadcaster.js";
import { LateResults } from "./late-results.js";
import { recover } from "./recovery.js";
import { bindMethods, IMAGE_RPCS, RUNTIME_RPCS } from "./rpc-names.js";
import { defineRpcMethods, type CriServiceRpcs } from "./rpc-table.js";
import type { CriServiceDeps, ImageBackend, ServiceContext } from "./service-context.js";
import { streamingRuntime } from "./streaming.js";
import { errMessage } from "./undo.js";

/** The RPC methods of {@link (CriService:class)}, made from its dispatch table (the class's static block). @public */
export interface CriService extends CriServiceRpcs {}

/**
 * The CRI service (see the file header).
 *
 * @example
 * ```ts
 * const service = createCriService({ config: parseDaemonConfig(toml) });
 * const server = new CriServer({ socketPath: config.socket, ...service.handlers(), ready: () => service.recover() });
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
  readonly #exitRecheckMs: number;
  readonly #owned: ReadonlyArray<{ close(): Promise<unknown> | unknown }>;
  readonly #validationHost: ValidationHost;
  #watches: ExitWatch[] = [];
  #recovered: Promise<void> | undefined;

  constructor(deps: CriServiceDeps) {
    const log = deps.logger ?? silentLogger;
    const ttlMs = deps.lateResultTtlMs ?? 600_000;
    const onCleanupError = (name: string, err: unknown): void => log.warn({ name, err: errMessage(err) }, "cleanup of a late result failed");
    this.config = deps.config;
    this.images = deps.images;
    this.#exitRecheckMs = deps.exitRecheckMs ?? 2000;
    this.#owned = deps.owned ?? [];
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
      detaching: new Map(),
      events: this.events,
      lifetime: new AbortController(),
      createTimeoutMs: deps.createTimeoutMs ?? 240_000,
      rollbackTimeoutMs: deps.rollbackTimeoutMs ?? 60_000,
      life: { ready: false, closed: false, podCidr: "" },
      version: deps.version ?? "0.1.0",
      streaming: deps.streaming,
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
    await Promise.all(this.#c.detaching.values());
    this.events.close();
    this.#c.lateSandboxes.close();
    this.#c.lateContainers.close();
    this.#c.stats.close();
    this.#c.lifetime.abort(new CrikitError("Unavailable", "runtime is shutting down"));
    for (const o of [...this.#owned].reverse()) await Promise.resolve(o.close()).catch((err: unknown) => this.#c.log.warn({ err: errMessage(err) }, "close failed"));
  }

  /** Same as {@link (CriService:class).close}, for `await using`. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /** Immediate close: like {@link (CriService:class).close} (the transport drains calls). Idempotent. */
  async destroy(_reason?: unknown): Promise<void> {
    await this.close();
  }

  /** The pod CIDR last given by UpdateRuntimeConfig. */
  get podCidr(): string {
    return this.#c.life.podCidr;
  }

  /** The runtime side of Exec, Attach and PortForward, for a streaming server (see `streaming.ts`). */
  streamingRuntime(): StreamingRuntime {
    return streamingRuntime(this.#c);
  }

  static {
    // Each RPC's method: the request checked at the edge, then its module's function (see `rpc-table.ts`).
    defineRpcMethods(CriService.prototype, (s) => s.#c, (s, req) => validateCriRequest(req, s.#validationHost));
  }
}
