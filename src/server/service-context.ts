/**
 * What the RPC modules share: the service's dependencies, given as
 * interfaces (container runtimes by handler, the pod network, the image
 * backend, paths, records, clock, IDs, logger, hooks), and its state, held
 * in the stores alone. Each RPC module is a set of functions of
 * `(ServiceContext, request, call)`.
 *
 * @packageDocumentation
 */
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { ContainerEventResponseSchema } from "../cri.js";
import type { DaemonConfig } from "../config/index.js";
import { CrikitError, invalidArgument } from "../errors.js";
import type { ImageService } from "../image/index.js";
import type { Logger } from "../logger.js";
import type { IdGenerator, ObjectDirs } from "../naming/index.js";
import type { CniNetworkStatus, PodNetworkRequest, PodNetworkTeardownRequest } from "../network/index.js";
import type { ContainerRuntime, LifecycleHooks, SandboxController } from "../runtime/index.js";
import type { RootfsReader, SpecHost } from "../spec/index.js";
import type { StatsCollector } from "../stats/index.js";
import type { StreamingServer } from "../streaming/index.js";
import type { ValidationHost } from "../validation/index.js";
import type { ContainerRecord, ContainerStore, Registrar, SandboxRecord, SandboxStore } from "../stores/index.js";
import type { Clock } from "./clock.js";
import type { EventBroadcaster } from "./event-broadcaster.js";
import type { LateResults } from "./late-results.js";
import type { IntentRecord } from "./intents.js";
import type { ContainerFileRecord, RecordStore, SandboxFileRecord } from "./record-codec.js";
import { containerNotFound, sandboxNotFound } from "./user-errors.js";

/** The per-call context: connect's `HandlerContext` fits. @public */
export interface CallContext {
  /** Aborts when the client gives up or the server shuts down. */
  signal?: AbortSignal;
}

/**
 * A pod's network: its pinned network namespace and the CNI attachment in
 * it. `createCniPodNetwork` adapts crikit's `CniManager` and `NetnsManager`.
 *
 * @public
 */
export interface PodNetwork {
  /** Whether the network is ready (the CRI's NetworkReady condition). */
  status(options?: { signal?: AbortSignal }): Promise<CniNetworkStatus>;
  /** The node's pod CIDRs (UpdateRuntimeConfig). */
  setPodCidrs(cidrs: readonly string[]): void;
  /** A new pinned network namespace named `name`; resolves with its path. */
  createNetns(name: string, options?: { signal?: AbortSignal }): Promise<string>;
  /** Removes a pinned network namespace. */
  removeNetns(path: string, options?: { signal?: AbortSignal }): Promise<void>;
  /** Whether a pinned network namespace still exists. */
  netnsExists(path: string): Promise<boolean>;
  /** Attaches a pod (CNI ADD); resolves with its IPs, primary first. */
  setUpPod(req: PodNetworkRequest, options?: { signal?: AbortSignal }): Promise<{ ips: readonly string[] }>;
  /** Detaches a pod (CNI DEL). */
  tearDownPod(req: PodNetworkTeardownRequest, options?: { signal?: AbortSignal }): Promise<void>;
}

/**
 * What the service needs of an image backend; crikit's `ImageService` is one.
 *
 * @public
 */
export type ImageBackend = Pick<ImageService, "init" | "status" | "list" | "pull" | "remove" | "fsInfo" | "mountRootfs" | "unmountRootfs">;

/**
 * A runtime handler as the service uses it: resolved from the config and
 * `CriServiceOptions.handlers`.
 *
 * @public
 */
export interface ResolvedHandler {
  /** The handler's name. */
  readonly name: string;
  /** Runs its containers. */
  readonly runtime: ContainerRuntime;
  /** Sets up its pods. */
  readonly sandboxes: SandboxController;
  /** Its own hooks. */
  readonly hooks?: LifecycleHooks | undefined;
  /** `runtimeType` of verbose statuses. */
  readonly type: string;
  /** `runtimeOptions` of verbose statuses. */
  readonly options: Readonly<Record<string, unknown>>;
  /** Pod and container annotations passed to specs (glob patterns). */
  readonly podAnnotations: readonly string[];
  /** Container annotations passed to specs (glob patterns). */
  readonly containerAnnotations: readonly string[];
  /** Its cgroup driver. */
  readonly cgroupDriver: "cgroupfs" | "systemd";
  /**
   * Whether a created container holds its rootfs in a mount namespace of
   * its own (an `OciRuntime`: runc or crun have pivoted into it), so the
   * service unmounts the bundle's copy right after the runtime's create.
   */
  readonly rootfsHeldByRuntime: boolean;
}

/**
 * The host facts container specs are generated with.
 *
 * @public
 */
export interface SpecEnvironment {
  /** Host paths, users, devices. */
  readonly host: SpecHost;
  /** Capabilities the daemon may grant. */
  readonly hostCapabilities: readonly string[];
  /** The daemon's own oom_score_adj. */
  readonly oomScoreAdj: number;
  /** Whether the host limits swap. */
  readonly swapController: boolean;
  /** Every container's rlimits. */
  readonly rlimits: ReadonlyArray<{ type: string; soft: number; hard: number }>;
  /** The node's hostname. */
  nodeHostname(): string;
  /** Reads files of a mounted rootfs. */
  rootfsReader(rootfs: string): RootfsReader;
}

/** What {@link (CriService:class)} runs on (see `createCriService` for the defaults). @public */
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

/** The service's shared dependencies and state (see the file header). */
export interface ServiceContext {
  readonly config: DaemonConfig;
  readonly handlers: ReadonlyMap<string, ResolvedHandler>;
  readonly network: PodNetwork;
  readonly images: ImageBackend;
  readonly dirs: ObjectDirs;
  readonly clock: Clock;
  readonly ids: IdGenerator;
  readonly log: Logger;
  readonly hooks: LifecycleHooks | undefined;
  readonly env: SpecEnvironment;
  readonly stats: StatsCollector;
  readonly sandboxes: SandboxStore;
  readonly containers: ContainerStore;
  readonly sandboxNames: Registrar;
  readonly containerNames: Registrar;
  readonly records: {
    readonly sandboxes: RecordStore<SandboxFileRecord>;
    readonly containers: RecordStore<ContainerFileRecord>;
    readonly intents?: RecordStore<IntentRecord> | undefined;
  };
  readonly lateSandboxes: LateResults<string>;
  readonly lateContainers: LateResults<string>;
  /** Creates running now, by late-result key, so an identical retry waits for the first. */
  readonly inflight: Map<string, { fp: string; done: Promise<unknown> }>;
  /** Containers started by a StartContainer a crash left unanswered: its retry succeeds once (see `intents.ts`). */
  readonly unansweredStarts: Set<string>;
  /** Bundle rootfs copies being unmounted after a start, by container ID (RemoveContainer and close wait for them). */
  readonly detaching: Map<string, Promise<void>>;
  readonly events: EventBroadcaster<MessageInitShape<typeof ContainerEventResponseSchema>>;
  readonly lifetime: AbortController;
  readonly createTimeoutMs: number;
  readonly rollbackTimeoutMs: number;
  readonly life: { ready: boolean; closed: boolean; podCidr: string };
  /** The runtime version reported by Version. */
  readonly version: string;
  /** Where Exec, Attach and PortForward sessions run, if anywhere. */
  readonly streaming: StreamingServer | undefined;
}

/** Throws Unavailable before recovery and after close. */
export function checkReady(c: ServiceContext): void {
  if (c.life.closed) throw new CrikitError("Unavailable", "runtime is shutting down");
  if (!c.life.ready) throw new CrikitError("Unavailable", "runtime is not ready: call recover() first and wait for it");
}

/** The server's own bounded signal for the work of a create. */
export function workSignal(c: ServiceContext): AbortSignal {
  return AbortSignal.any([c.lifetime.signal, AbortSignal.timeout(c.createTimeoutMs)]);
}

/** `{ signal }` when there is one (for exact optional options). */
export function sig(signal: AbortSignal | undefined): { signal?: AbortSignal } {
  return signal ? { signal } : {};
}

/** The handler named `name`; Internal when it is not configured (a record of a handler since removed). */
export function handlerOf(c: ServiceContext, name: string): ResolvedHandler {
  const h = c.handlers.get(name);
  if (h === undefined) throw new CrikitError("Internal", `runtime handler ${JSON.stringify(name)} is not configured`);
  return h;
}

/** The handler a request names (`""`: the default); InvalidArgument naming the known ones otherwise. */
export function resolveHandler(c: ServiceContext, requested: string, field = "runtime_handler"): string {
  const name = requested === "" ? c.config.default_runtime : requested;
  if (!c.handlers.has(name)) {
    throw invalidArgument(`${field} ${JSON.stringify(requested)} is not configured (known: ${[...c.handlers.keys()].join(", ")})`, field);
  }
  return name;
}

/** Whether an object is visible to List and Status (not a parked late result). */
export function visible(r: { status: { parked?: unknown } }): boolean {
  return r.status.parked === undefined;
}

/** A visible object of `store` by ID or unique prefix: InvalidArgument when empty, `missing` when unknown. */
function findVisible<R extends { status: { parked?: unknown } }>(
  c: ServiceContext,
  store: { find(idOrPrefix: string): R | undefined },
  idOrPrefix: string,
  field: string,
  missing: (id: string) => Error,
): R {
  checkReady(c);
  if (idOrPrefix === "") throw invalidArgument(`${field} is empty`, field);
  const r = store.find(idOrPrefix);
  if (r === undefined || !visible(r)) throw missing(idOrPrefix);
  return r;
}

/** A visible sandbox by ID or unique prefix (see `findVisible`). */
export function findSandbox(c: ServiceContext, idOrPrefix: string, field = "pod_sandbox_id"): SandboxRecord {
  return findVisible(c, c.sandboxes, idOrPrefix, field, sandboxNotFound);
}

/** A visible container by ID or unique prefix (see `findVisible`). */
export function findContainer(c: ServiceContext, idOrPrefix: string, field = "container_id"): ContainerRecord {
  return findVisible(c, c.containers, idOrPrefix, field, containerNotFound);
}
