/**
 * The CRI service layer: every RPC of `runtime.v1` RuntimeService and
 * ImageService, callable in-process, assembled from the SDK's pieces
 * (stores, naming, spec generation, the OCI runtime adapter, the CNI
 * manager, sandboxes, the image service). Each method takes the request
 * message and an optional `{ signal }` context and returns the response
 * init shape, so {@link CriService.handlers} plugs straight into
 * `createCriRoutes` / `CriServer`.
 *
 * ## Directories
 *
 * ```
 * <root>/records/sandboxes/<id>.json    sandbox records (RecordDir, atomic)
 * <root>/records/containers/<id>.json   container records
 * <root>/images/                        the image service (content, snapshots, image records)
 * <root>/containers/<id>/{upper,work,volumes}   a container's writable layer
 * <state>/sandboxes/<id>/               sandbox dir (src/sandbox) + hostname, hosts, resolv.conf, shm (the pod's /dev/shm tmpfs)
 * <state>/containers/<id>/              OCI bundle: config.json, rootfs (overlay mount)
 * <state>/oci/<handler>/                OciRuntime state (conmon pid files, exits/)
 * <state>/runtimes/<handler>/           the OCI runtime's own --root (default)
 * ```
 *
 * ## RunPodSandbox, step by step (each step pushes its undo)
 *
 * validate (metadata, run_as_group without a user, a hostname of at most
 * 64 bytes, an absolute log directory, runtime handler) →
 * claim a late result or reserve the name (Registrar) → netns (unless host
 * network) → CNI ADD (unless host network), the pod's shm tmpfs (unless host
 * IPC) → sandbox in its mode (`infra`:
 * catatonit holds PID/IPC/UTS; `pinned`: bind-mounted IPC/UTS namespaces,
 * no process) → hostname, hosts, resolv.conf in the sandbox dir → log
 * directory → record written → READY. On failure the undo steps run newest
 * first under their own `AbortSignal.timeout` (never the request's signal,
 * which also fires when the call ends) and the name is released.
 *
 * Mode `auto` picks `pinned` (infra-less) unless the pod shares one PID
 * namespace (`namespace_options.pid == POD`), where catatonit must reap.
 *
 * ## Late results
 *
 * Creates (RunPodSandbox, CreateContainer) run under the server's own
 * bounded signal, not the client's deadline. When the client's signal has
 * fired by the time the work is done, the result is parked in
 * {@link LateResults} under the object's name and a fingerprint of the
 * request, hidden from List and Status; the kubelet's retry with the same
 * request claims it and gets the same ID. A retry that arrives while the
 * first call still runs waits for it. A changed request or no retry within
 * the TTL removes the object.
 *
 * ## Idempotence and errors (what the kubelet expects)
 *
 * StopPodSandbox and RemovePodSandbox of an unknown ID succeed (containerd
 * and CRI-O both answer OK: the kubelet stops and removes repeatedly and
 * after garbage collection). StopContainer of an unknown ID is NotFound
 * (containerd), of an exited container OK. RemoveContainer of an unknown ID
 * succeeds. Status calls of unknown IDs are NotFound.
 *
 * ## Exits and events
 *
 * An {@link ExitMonitor} watches each handler's conmon exit directory;
 * an exit marks the container EXITED (code, reason, finish time from the
 * exit file) and publishes CONTAINER_STOPPED_EVENT. Sandboxes and containers
 * publish CREATED, STARTED, STOPPED and DELETED events through an
 * {@link EventBroadcaster}; each event carries the pod's status and its
 * containers' statuses (evented PLEG).
 *
 * ## Recovery
 *
 * Every call except Version, Status and RuntimeConfig answers Unavailable
 * until `recover()` has finished, and after `close()`.
 *
 * {@link CriService.recover}: the exit monitor starts first; then sandbox
 * and container records are loaded and their names reserved again, each
 * OCI runtime is reconciled (`OciRuntime.recover`: running, exited while we
 * were down, vanished → exited with reason Unknown), infra processes,
 * pinned namespaces and netns pins are checked (a sandbox that lost one is
 * NOTREADY), runtime containers with no record are removed, the images are
 * loaded; last, one exit re-check pass. The server opens its readiness gate
 * only after `recover()` resolves.
 *
 * @packageDocumentation
 */
import { createHash } from "node:crypto";
import { hostname as osHostname } from "node:os";
import { mkdirSync, realpathSync } from "node:fs";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { create, fromJson, toJson, type JsonValue, type MessageInitShape } from "@bufbuild/protobuf";
import {
  CgroupDriver as CriCgroupDriver,
  ContainerConfigSchema,
  ContainerEventType,
  ContainerStatusSchema,
  LinuxContainerResourcesSchema,
  CreateContainerRequestSchema,
  NamespaceMode,
  PodSandboxConfigSchema,
  PodSandboxStatusSchema,
  RunPodSandboxRequestSchema,
  type AttachRequest,
  type CheckpointContainerRequest,
  type ContainerConfig,
  type ContainerEventResponseSchema,
  type ContainerStatsRequest,
  type ContainerStatusRequest,
  type CreateContainerRequest,
  type ExecRequest,
  type ExecSyncRequest,
  type GetEventsRequest,
  type ImageFsInfoRequest,
  type ImageStatusRequest,
  type ListContainerStatsRequest,
  type ListContainersRequest,
  type ListImagesRequest,
  type ListMetricDescriptorsRequest,
  type ListPodSandboxMetricsRequest,
  type ListPodSandboxRequest,
  type ListPodSandboxStatsRequest,
  type PodSandboxConfig,
  type PodSandboxStatsRequest,
  type PodSandboxStatusRequest,
  type PortForwardRequest,
  type PullImageRequest,
  type RemoveContainerRequest,
  type RemoveImageRequest,
  type RemovePodSandboxRequest,
  type ReopenContainerLogRequest,
  type RunPodSandboxRequest,
  type RuntimeConfigRequest,
  type StartContainerRequest,
  type StatusRequest,
  type StopContainerRequest,
  type StopPodSandboxRequest,
  type StreamContainerStatsRequest,
  type StreamContainersRequest,
  type StreamImagesRequest,
  type StreamPodSandboxMetricsRequest,
  type StreamPodSandboxStatsRequest,
  type StreamPodSandboxesRequest,
  type UpdateContainerResourcesRequest,
  type UpdatePodSandboxResourcesRequest,
  type UpdateRuntimeConfigRequest,
  type VersionRequest,
} from "../cri.js";
import { CrikitError, failedPrecondition, invalidArgument, isCrikitError, notFound, unimplemented } from "../errors.js";
import { parseUlimit, runtimeHandlerSettings, type DaemonConfig } from "../config/index.js";
import { ImageService, type ImageRecord } from "../image/index.js";
import { generateId, makeContainerName, makeSandboxName, validateContainerMetadata, validateSandboxMetadata } from "../naming/index.js";
import { CniManager, KeyedMutex, createNetnsManager, type NetnsManager } from "../network/index.js";
import { OciRuntime } from "../oci/index.js";
import { createSandboxController, mountPodShm, unmountPodShm, type SandboxHandle, type SandboxMode } from "../sandbox/index.js";
import type { ContainerRuntime, ExitWatch, LifecycleHooks, RuntimeContainerStatus, RuntimeHandler, SandboxController } from "../runtime/index.js";
import {
  ALL_CAPABILITIES,
  buildHostnameFile,
  buildHostsFile,
  buildResolvConf,
  cgroupsPath,
  generateContainerSpec,
  legacySecurityProfile,
  podHostname,
  OCI_VERSION,
  resourcesToOci,
  validateTargetContainer,
  type ImageConfigInput,
  type OciSpec,
} from "../spec/index.js";
import { ExitReason, SpecialExitCode, resourcesFromSpec } from "../status/index.js";
import {
  ContainerStore,
  deepFreeze,
  Registrar,
  SandboxStore,
  containerState,
  newContainerStatus,
  newSandboxStatus,
  sandboxState,
  type ContainerRecord,
  type ContainerStatus as StoredContainerStatus,
  type SandboxRecord,
  type SandboxStatus as StoredSandboxStatus,
} from "../stores/index.js";
import { parseReference } from "../reference/index.js";
import { StatsCollector, podCgroupPath, type CgroupReader, type ContainerStatsSubject, type PodStatsSubject } from "../stats/index.js";
import { containerImageNames, containerMatches, criContainerState, criSandboxState, sandboxMatches, signalName, toCriContainerStatus, criImageOf } from "./cri-convert.js";
import { EventBroadcaster } from "./event-broadcaster.js";
import { LateResults } from "./late-results.js";
import { createDirRootfsReader, createNodeSpecHost, boundingCapabilities, grantableRlimits, ownOomScoreAdj, swapControllerAvailable } from "./node-host.js";
import { RecordDir } from "./records.js";
import { containerNotFound, imageNotInRegistry, reserveName, sandboxNotFound, sandboxNotReady } from "./user-errors.js";
import type { ImageServiceImpl, RuntimeServiceImpl } from "../transport/index.js";

/** A pino-compatible logger subset. @public */
export interface ServiceLogger {
  /** Debug level: detail (a stop of an unknown sandbox, a failed writable-layer walk). */
  debug(obj: object, msg?: string): void;
  /** Info level: lifecycle events (pods, containers and images changed; recovery). */
  info(obj: object, msg?: string): void;
  /** Warn level: recoverable trouble (rollbacks, skipped records, failed cleanups). */
  warn(obj: object, msg?: string): void;
  /** Error level: failures, such as state that cannot be restored at startup. */
  error(obj: object, msg?: string): void;
}

/** The per-call context: connect's `HandlerContext` fits. @public */
export interface CallContext {
  /** Aborts when the client gives up or the server shuts down. */
  signal?: AbortSignal;
}

/** Options of {@link CriService}. @public */
export interface CriServiceOptions {
  /** The daemon configuration (see `parseDaemonConfig`). */
  config: DaemonConfig;
  /** Logger, also given to the OCI runtimes, image service and CNI manager it builds; silent by default. */
  logger?: ServiceLogger;
  /** The runtime version reported by Version. @defaultValue `"0.1.0"` */
  version?: string;
  /**
   * Container runtimes by handler name, replacing the ones built from
   * `config.runtimes` (swap a piece: a differently configured adapter).
   * Every configured handler without an entry here or in `handlers` gets an
   * `OciRuntime` over `<state>/oci/<name>`. Shorthand for `handlers` with
   * only `runtime` set.
   */
  runtimes?: Record<string, ContainerRuntime>;
  /**
   * Runtime handlers by name (a pod's `runtime_handler`), each with its own
   * container runtime, and optionally its own sandbox controller and hooks.
   * A name also in `config.runtimes` replaces that handler's runtime and
   * keeps its configured type, options and annotations; any other name adds
   * a handler.
   */
  handlers?: Record<string, RuntimeHandler>;
  /** Lifecycle hooks for every handler (see {@link LifecycleHooks}); a handler's own run after these. */
  hooks?: LifecycleHooks;
  /** The image service. @defaultValue one over `<root>/images` with the config's registry settings */
  images?: ImageService;
  /** The CNI manager. @defaultValue one over the config's CNI dirs */
  cni?: CniManager;
  /** The netns manager. @defaultValue one over `config.cni.netns_dir` */
  netns?: NetnsManager;
  /** Time limit of the server-side work of a create, in ms. @defaultValue 240000 */
  createTimeoutMs?: number;
  /** Time limit of a rollback, in ms. @defaultValue 60000 */
  rollbackTimeoutMs?: number;
  /** How long a late result waits for the retry, in ms. @defaultValue 600000 */
  lateResultTtlMs?: number;
  /** Interval of the exit monitor's full re-check, in ms. @defaultValue 2000 */
  exitRecheckMs?: number;
  /**
   * Adjusts a generated container spec before it is written to the bundle
   * (for instance an `ociVersion` an older runtime accepts, or an extra
   * hook). Runs after crikit's spec options.
   */
  containerSpecHook?: (spec: OciSpec, info: { id: string; sandboxId: string; handler: string; config: ContainerConfig }) => void;
  /** Reads cgroups and network counters for the stats RPCs. @defaultValue `createCgroupReader()` */
  cgroupReader?: CgroupReader;
  /**
   * How long a container's writable-layer usage stays fresh in the stats
   * RPCs, in ms (containerd's stats collection period): a list call walks a
   * layer at most once per period. @defaultValue 10000
   */
  statsCollectionPeriodMs?: number;
}

type EventInit = MessageInitShape<typeof ContainerEventResponseSchema>;
type ContainerStatusInit = MessageInitShape<typeof ContainerStatusSchema>;
type SandboxStatusInit = MessageInitShape<typeof PodSandboxStatusSchema>;

interface HandlerRuntime {
  name: string;
  /** What verbose statuses report and spec generation passes through. */
  config: { type: string; options: Record<string, unknown>; pod_annotations: string[]; container_annotations: string[] };
  runtime: ContainerRuntime;
  sandboxes: SandboxController;
  hooks: LifecycleHooks | undefined;
  /** The handler's cgroup driver: its `SystemdCgroup` option, else the config's `cgroup_driver`. */
  cgroupDriver: "cgroupfs" | "systemd";
}

interface SandboxExtra {
  handler: string;
  mode: SandboxMode;
  handle: SandboxHandle;
  hostNetwork: boolean;
  netnsPath: string;
  networkDown: boolean;
  /** The pod files containers bind-mount; `shmPath` is the pod's shm tmpfs (absent with host IPC). */
  files: { hostnamePath?: string; hostsPath?: string; resolvConfPath?: string; shmPath?: string };
  /** Set while the sandbox is a parked late result (survives a restart). */
  parked?: { key: string; fp: string } | undefined;
  /** The pod-level overhead and resources from the last UpdatePodSandboxResources (CRI JSON). */
  podResources?: { overhead?: JsonValue; resources?: JsonValue; updatedAt: string } | undefined;
}

interface ContainerExtra {
  handler: string;
  bundle: string;
  rwDir: string;
  /** The file conmon writes. */
  logFile: string;
  /** The image's name ContainerStatus reports (`containerImageNames`). */
  imageName: string;
  /** The repo digest ContainerStatus reports as image_ref; absent in records written before it existed (then the ID). */
  imageRepoDigest?: string | undefined;
  stopSignal: string;
  user?: { uid: number; gid: number; additionalGids: number[] } | undefined;
  pid: number;
  /** Set while the container is a parked late result (survives a restart). */
  parked?: { key: string; fp: string } | undefined;
}

/** On-disk sandbox record. */
interface SandboxFileRecord {
  id: string;
  name: string;
  config: JsonValue;
  runtimeHandler: string;
  extra: SandboxExtra;
  status: StoredSandboxStatus;
}

/** On-disk container record. */
interface ContainerFileRecord {
  id: string;
  name: string;
  sandboxId: string;
  config: JsonValue;
  imageRef: string;
  logPath: string;
  extra: ContainerExtra;
  status: Omit<StoredContainerStatus, "resources"> & { resources?: JsonValue };
}

const silent: ServiceLogger = { debug() {}, info() {}, warn() {}, error() {} };
const MAX_EXEC_OUTPUT = 16 * 1024 * 1024;

/**
 * The wall clock in nanoseconds, as CRI timestamps are: a monotonic
 * high-resolution clock anchored once to the wall clock, so two objects made
 * in the same millisecond do not tie (the kubelet sorts by `created_at`), and
 * strictly increasing in this process, even across a step of the wall
 * clock. {@link observeNs} raises the floor to timestamps restored from
 * records, so nothing made after a restart sorts before what came before it.
 */
const clockAnchorNs = BigInt(Date.now()) * 1_000_000n - process.hrtime.bigint();
let lastNs = 0n;
function nowNs(): bigint {
  let t = clockAnchorNs + process.hrtime.bigint();
  if (t <= lastNs) t = lastNs + 1n;
  lastNs = t;
  return t;
}

/** Keeps {@link nowNs} above a timestamp restored from a record. */
function observeNs(...ts: bigint[]): void {
  for (const t of ts) if (t > lastNs) lastNs = t;
}

function dateNs(d: Date | undefined): bigint {
  return d === undefined ? 0n : BigInt(d.getTime()) * 1_000_000n;
}

/** A container's exit time in nanoseconds: the runtime's own nanoseconds when it has them. */
function exitTimeNs(st: RuntimeContainerStatus): bigint {
  if (st.finishedAtNs !== undefined) return st.finishedAtNs;
  return st.finishedAt === undefined ? nowNs() : dateNs(st.finishedAt);
}

/** A stable JSON text (sorted keys) of a JSON value, for fingerprints. */
function canonical(v: JsonValue): string {
  if (v === null || typeof v !== "object") return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(canonical).join(",")}]`;
  return `{${Object.keys(v)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, JsonValue>)[k] ?? null)}`)
    .join(",")}}`;
}

function fingerprint(v: JsonValue): string {
  return createHash("sha256").update(canonical(v)).digest("hex");
}

/** Runs undo steps newest first under their own time limit; never throws. */
class Undo {
  readonly #steps: Array<{ what: string; fn: (signal: AbortSignal) => Promise<unknown> }> = [];
  push(what: string, fn: (signal: AbortSignal) => Promise<unknown>): void {
    this.#steps.push({ what, fn });
  }
  async run(timeoutMs: number, log: ServiceLogger, ctx: object): Promise<void> {
    const signal = AbortSignal.timeout(timeoutMs);
    for (const s of this.#steps.reverse()) {
      try {
        await s.fn(signal);
      } catch (err) {
        log.warn({ ...ctx, step: s.what, err: String(err) }, "rollback step failed");
      }
    }
    this.#steps.length = 0;
  }
}

function errMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * The CRI service (see the file header).
 *
 * @example
 * ```ts
 * const service = new CriService({ config: parseDaemonConfig(toml) });
 * const server = new CriServer({ socketPath: config.socket, ...service.handlers(), ready: service.recover() });
 * await server.listen();
 * ```
 *
 * @public
 */
export class CriService {
  /** The configuration in use. */
  readonly config: DaemonConfig;
  /** The image service. */
  readonly images: ImageService;
  /** The CNI manager. */
  readonly cni: CniManager;
  /** The netns manager. */
  readonly netns: NetnsManager;
  /** Sandboxes. */
  readonly sandboxes = new SandboxStore();
  /** Containers. */
  readonly containers = new ContainerStore();
  /** Container lifecycle events (GetContainerEvents). */
  readonly events = new EventBroadcaster<EventInit>();

  readonly #log: ServiceLogger;
  readonly #version: string;
  readonly #runtimes = new Map<string, HandlerRuntime>();
  readonly #sandboxNames = new Registrar();
  readonly #containerNames = new Registrar();
  readonly #sandboxRecords: RecordDir<SandboxFileRecord>;
  readonly #containerRecords: RecordDir<ContainerFileRecord>;
  readonly #sx = new Map<string, SandboxExtra>();
  readonly #cx = new Map<string, ContainerExtra>();
  readonly #hidden = new Set<string>();
  /** Frozen list elements by store record (records are replaced on every change). */
  readonly #listElements = new WeakMap<object, object>();
  readonly #lateSandboxes: LateResults<string>;
  readonly #lateContainers: LateResults<string>;
  readonly #inflight = new Map<string, { fp: string; done: Promise<unknown> }>();
  readonly #locks = new KeyedMutex();
  readonly #exits: ExitWatch[] = [];
  readonly #exitRecheckMs: number;
  readonly #hooks: LifecycleHooks | undefined;
  readonly #createTimeoutMs: number;
  readonly #rollbackTimeoutMs: number;
  readonly #lifetime = new AbortController();
  readonly #host = createNodeSpecHost();
  readonly #hostCaps = boundingCapabilities(ALL_CAPABILITIES);
  readonly #oomScoreAdj = ownOomScoreAdj();
  /** Whether the host limits swap: then a memory limit without swap gets swap = memory (containerd). */
  readonly #swapController = swapControllerAvailable();
  /** Every container's rlimits: `default_ulimits`, clamped to what the OCI runtime may set. */
  readonly #rlimits: ReadonlyArray<{ type: string; soft: number; hard: number }>;
  readonly #specHook: CriServiceOptions["containerSpecHook"];
  readonly #stats: StatsCollector;
  #podCidr = "";
  #recovered: Promise<void> | undefined;
  #ready = false;
  #closed = false;

  constructor(options: CriServiceOptions) {
    const c = options.config;
    this.config = c;
    this.#log = options.logger ?? silent;
    this.#version = options.version ?? "0.1.0";
    const ulimits = grantableRlimits(c.default_ulimits.map((u, i) => parseUlimit(u, `default_ulimits[${i}]`)));
    this.#rlimits = ulimits.rlimits;
    if (ulimits.clamped.length > 0) {
      this.#log.warn({ clamped: ulimits.clamped }, "default_ulimits above the daemon's own hard limits lowered: raising them needs CAP_SYS_RESOURCE");
    }
    const given: Record<string, RuntimeHandler> = { ...options.handlers };
    for (const [name, runtime] of Object.entries(options.runtimes ?? {})) given[name] ??= { runtime };
    for (const [name, rc] of Object.entries(c.runtimes)) {
      const stateDir = join(c.state, "oci", name);
      // [runtimes.<name>.options]: applied, or refused here naming the key.
      const opts = runtimeHandlerSettings(name, rc);
      const systemdCgroup = opts.systemdCgroup ?? c.cgroup_driver === "systemd";
      const root = opts.root ?? rc.root;
      const h = given[name];
      const runtime =
        h?.runtime ??
        new OciRuntime({
          stateDir,
          runtime: opts.binary ?? rc.binary,
          ...(root !== undefined ? { runtimeRoot: root } : {}),
          systemdCgroup,
          ...(opts.noPivotRoot ? { noPivotRoot: true } : {}),
          ...(opts.noNewKeyring ? { noNewKeyring: true } : {}),
          logger: this.#log,
        });
      this.#runtimes.set(name, {
        name,
        config: {
          type: h?.type ?? rc.type,
          options: h?.options ?? rc.options,
          pod_annotations: h?.podAnnotations ?? rc.pod_annotations,
          container_annotations: h?.containerAnnotations ?? rc.container_annotations,
        },
        runtime,
        sandboxes: h?.sandboxes ?? createSandboxController(runtime),
        hooks: h?.hooks,
        cgroupDriver: h?.cgroupDriver ?? (systemdCgroup ? "systemd" : "cgroupfs"),
      });
    }
    for (const [name, h] of Object.entries(given)) {
      if (this.#runtimes.has(name)) continue;
      this.#runtimes.set(name, {
        name,
        config: { type: h.type ?? "io.crikit.custom", options: h.options ?? {}, pod_annotations: h.podAnnotations ?? [], container_annotations: h.containerAnnotations ?? [] },
        runtime: h.runtime,
        sandboxes: h.sandboxes ?? createSandboxController(h.runtime),
        hooks: h.hooks,
        cgroupDriver: h.cgroupDriver ?? c.cgroup_driver,
      });
    }
    const hosts: Record<string, { insecure?: boolean; mirrors?: string[] }> = {};
    for (const h of c.registry.insecure) hosts[h] = { ...(hosts[h] ?? {}), insecure: true };
    for (const [h, m] of Object.entries(c.registry.mirrors)) hosts[h] = { ...(hosts[h] ?? {}), mirrors: m.endpoints };
    this.images =
      options.images ??
      new ImageService({
        root: join(c.root, "images"),
        registry: { hosts, logger: this.#log as never },
        platform: { os: c.image.platform.os, architecture: c.image.platform.architecture, ...(c.image.platform.variant ? { variant: c.image.platform.variant } : {}) },
        pullTimeoutMs: c.image.pull_timeout_ms,
        inUse: () => this.containers.list().map((r) => r.metadata.imageRef),
        logger: this.#log as never,
      });
    this.cni =
      options.cni ??
      new CniManager({
        confDir: c.cni.conf_dir,
        binDirs: c.cni.bin_dirs,
        cacheDir: join(c.root, "cni-cache"),
        pluginTimeoutMs: c.cni.plugin_timeout_ms,
        logger: this.#log as never,
      });
    // The real path: /var/run is a symlink to /run, and mountinfo names mount points by real path.
    mkdirSync(c.cni.netns_dir, { recursive: true });
    this.netns = options.netns ?? createNetnsManager({ dir: realpathSync(c.cni.netns_dir) });
    this.#sandboxRecords = new RecordDir(join(c.root, "records", "sandboxes"));
    this.#containerRecords = new RecordDir(join(c.root, "records", "containers"));
    const ttl = options.lateResultTtlMs ?? 600_000;
    const onCleanupError = (name: string, err: unknown): void => this.#log.warn({ name, err: errMessage(err) }, "cleanup of a late result failed");
    this.#lateSandboxes = new LateResults<string>({ ttlMs: ttl, onCleanupError });
    this.#lateContainers = new LateResults<string>({ ttlMs: ttl, onCleanupError });
    this.#createTimeoutMs = options.createTimeoutMs ?? 240_000;
    this.#specHook = options.containerSpecHook;
    this.#rollbackTimeoutMs = options.rollbackTimeoutMs ?? 60_000;
    this.#stats = new StatsCollector({
      ...(options.cgroupReader ? { reader: options.cgroupReader } : {}),
      writableLayerPeriodMs: options.statsCollectionPeriodMs ?? 10_000,
      onError: (id, err) => this.#log.debug({ id, err: errMessage(err) }, "writable layer usage"),
    });
    this.#exitRecheckMs = options.exitRecheckMs ?? 2000;
    this.#hooks = options.hooks;
  }

  /**
   * The RPC implementations, bound to this service, for `createCriRoutes`
   * or `CriServer`'s `runtime` and `image` options.
   */
  handlers(): { runtime: RuntimeServiceImpl; image: ImageServiceImpl } {
    // Type checks only: every method has the signature connect expects.
    const typedRuntime: RuntimeServiceImpl = this;
    const typedImage: ImageServiceImpl = this;
    void typedRuntime;
    void typedImage;
    const bind = (names: readonly string[]): Record<string, unknown> => {
      const out: Record<string, unknown> = {};
      for (const n of names) out[n] = (this as unknown as Record<string, (...a: unknown[]) => unknown>)[n]?.bind(this);
      return out;
    };
    return { runtime: bind(RUNTIME_RPCS) as RuntimeServiceImpl, image: bind(IMAGE_RPCS) as ImageServiceImpl };
  }

  // --- lifetime -------------------------------------------------------------

  /**
   * Restores state after a (re)start; see the file header. Idempotent: later
   * calls return the first call's promise.
   */
  recover(): Promise<void> {
    this.#recovered ??= this.#recover();
    return this.#recovered;
  }

  /** Stops the exit monitor and event streams; containers keep running. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await Promise.all(this.#exits.map((w) => w.close()));
    this.events.close();
    this.#lateSandboxes.close();
    this.#lateContainers.close();
    this.#stats.close();
    this.#lifetime.abort(new CrikitError("Unavailable", "runtime is shutting down"));
    await this.cni.close().catch(() => undefined);
  }

  /** Same as {@link CriService.close}, for `await using`. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /**
   * Immediate close: like {@link CriService.close} (nothing the service runs
   * needs draining; the transport drains calls). Idempotent.
   */
  destroy(_reason?: unknown): void {
    void this.close();
  }

  async #recover(): Promise<void> {
    // Hooks first: exits seen from now on are handled once the objects are known.
    for (const rt of this.#runtimes.values()) {
      this.#exits.push(
        await rt.runtime.watchExits((id) => this.#onExit(id), {
          recheckMs: this.#exitRecheckMs,
          onError: (err) => this.#log.warn({ handler: rt.name, err: errMessage(err) }, "exit monitor"),
        }),
      );
    }
    await this.images.init();
    const sRecs = await this.#sandboxRecords.loadAll((id, err) => this.#log.warn({ id, err: errMessage(err) }, "unreadable sandbox record skipped"));
    const cRecs = await this.#containerRecords.loadAll((id, err) => this.#log.warn({ id, err: errMessage(err) }, "unreadable container record skipped"));
    const oci = new Map<string, RuntimeContainerStatus>();
    for (const rt of this.#runtimes.values()) {
      let rec;
      try {
        rec = await rt.runtime.recover();
      } catch (err) {
        this.#log.error({ handler: rt.name, err: errMessage(err) }, "OCI runtime recovery failed");
        continue;
      }
      for (const c of rec.containers) oci.set(c.id, c);
      for (const orphan of rec.orphans) {
        this.#log.warn({ id: orphan, handler: rt.name }, "removing a runtime container without state");
        await rt.runtime.removeOrphan?.(orphan).catch(() => undefined);
      }
    }
    for (const [id, r] of sRecs) {
      try {
        const config = fromJson(PodSandboxConfigSchema, r.config);
        let status = r.status;
        observeNs(status.createdAt, status.readyAt, status.stoppedAt);
        const extra = r.extra;
        if (sandboxState(status) === "READY") {
          const lost = await this.#sandboxLost(extra, oci.get(id));
          if (lost !== undefined) {
            this.#log.warn({ id, why: lost }, "sandbox is no longer ready");
            status = { ...status, stoppedAt: nowNs() };
          }
        }
        // A pod that is not ready holds no shm (released at stop; or it was lost while the daemon was down).
        if (sandboxState(status) !== "READY" && extra.files.shmPath !== undefined) {
          await unmountPodShm(extra.files.shmPath).catch((err: unknown) => this.#log.warn({ id, err: errMessage(err) }, "cannot release the pod's shm"));
        }
        this.sandboxes.add(id, { name: r.name, config, runtimeHandler: r.runtimeHandler }, status);
        this.#sx.set(id, extra);
        this.#sandboxNames.reserve(r.name, id);
        if (status !== r.status) await this.#saveSandbox(id);
      } catch (err) {
        this.#log.error({ id, err: errMessage(err) }, "cannot restore sandbox");
      }
    }
    const known = new Set<string>(this.sandboxes.list().map((s) => s.id));
    for (const [id, r] of cRecs) {
      try {
        const config = fromJson(ContainerConfigSchema, r.config);
        const { resources, ...rest } = r.status;
        observeNs(rest.createdAt, rest.startedAt, rest.finishedAt);
        let status: StoredContainerStatus = {
          ...rest,
          ...(resources !== undefined ? { resources: fromJson(ContainerStatusSchema, { resources } as JsonValue).resources } : {}),
          starting: false,
          removing: false,
        };
        if (status.finishedAt === 0n) {
          const o = oci.get(id);
          if (o === undefined) {
            status = { ...status, finishedAt: nowNs(), exitCode: SpecialExitCode.Unknown, reason: ExitReason.Unknown, message: "container state was lost while the runtime was down" };
          } else if (o.state === "exited") {
            status = {
              ...status,
              startedAt: status.startedAt === 0n && o.startedAt ? dateNs(o.startedAt) : status.startedAt,
              finishedAt: exitTimeNs(o),
              exitCode: o.exitCode ?? SpecialExitCode.Unknown,
              reason: o.reason ?? ExitReason.Unknown,
              message: o.message ?? "",
            };
            if (status.finishedAt < status.startedAt) status = { ...status, finishedAt: status.startedAt };
          } else if (o.state === "running" && status.startedAt === 0n) {
            status = { ...status, startedAt: dateNs(o.startedAt) || nowNs() };
          }
        }
        if (!known.has(r.sandboxId)) this.#log.warn({ id, sandboxId: r.sandboxId }, "container of an unknown sandbox");
        this.containers.add(id, { name: r.name, sandboxId: r.sandboxId, config, imageRef: r.imageRef, logPath: r.logPath }, status);
        this.#cx.set(id, r.extra);
        this.#containerNames.reserve(r.name, id);
        // An exit while the daemon was down: release its cgroups now (a no-op once done).
        if (status.finishedAt !== 0n && oci.get(id)?.state === "exited") {
          await this.#release(r.extra.handler, id).catch((err: unknown) => this.#log.warn({ id, err: errMessage(err) }, "cannot release the exited container's cgroups"));
        }
        if (status.finishedAt !== r.status.finishedAt || status.startedAt !== r.status.startedAt) await this.#saveContainer(id);
      } catch (err) {
        this.#log.error({ id, err: errMessage(err) }, "cannot restore container");
      }
    }
    // Runtime state with no record (a create interrupted by a crash): remove it.
    for (const rt of this.#runtimes.values()) {
      for (const id of await rt.runtime.list().catch(() => [] as string[])) {
        if (this.containers.has(id) || this.sandboxes.has(id)) continue;
        this.#log.warn({ id, handler: rt.name }, "removing an OCI container without a record");
        await rt.runtime.remove(id).catch((err: unknown) => this.#log.warn({ id, err: errMessage(err) }, "cannot remove"));
      }
    }
    // Late results parked before the restart stay parked (with a fresh time limit).
    for (const [id, x] of this.#sx) {
      if (x.parked) await this.#park(this.#lateSandboxes, x.parked.key, x.parked.fp, id, (sid) => this.#removeSandboxNow(sid, AbortSignal.timeout(this.#rollbackTimeoutMs)));
    }
    for (const [id, x] of this.#cx) {
      if (x.parked) await this.#park(this.#lateContainers, x.parked.key, x.parked.fp, id, (cid) => this.#removeContainerNow(cid, AbortSignal.timeout(this.#rollbackTimeoutMs)));
    }
    await Promise.all(this.#exits.map((w) => w.recheck()));
    this.#ready = true;
    this.#log.info({ sandboxes: this.sandboxes.size, containers: this.containers.size }, "recovered");
  }

  /** Why a READY sandbox is no longer usable after a restart, or undefined. */
  async #sandboxLost(extra: SandboxExtra, infra: RuntimeContainerStatus | undefined): Promise<string | undefined> {
    const lost = await this.#runtime(extra.handler).sandboxes.check(extra.handle, infra);
    if (lost !== undefined) return lost;
    if (!extra.hostNetwork && extra.netnsPath !== "" && !(await this.netns.exists(extra.netnsPath))) return "its network namespace is gone";
    return undefined;
  }

  /** Releases what an exited container (or infra) still holds, when its runtime holds anything. */
  async #release(handler: string, id: string): Promise<void> {
    await this.#runtime(handler).runtime.releaseExited?.(id);
  }

  #check(): void {
    if (this.#closed) throw new CrikitError("Unavailable", "runtime is shutting down");
    if (!this.#ready) throw new CrikitError("Unavailable", "runtime is not ready: call recover() first and wait for it");
  }

  #workSignal(): AbortSignal {
    return AbortSignal.any([this.#lifetime.signal, AbortSignal.timeout(this.#createTimeoutMs)]);
  }

  #runtime(handler: string): HandlerRuntime {
    const rt = this.#runtimes.get(handler);
    if (rt === undefined) throw new CrikitError("Internal", `runtime handler ${JSON.stringify(handler)} is not configured`);
    return rt;
  }

  #resolveHandler(requested: string): string {
    const name = requested === "" ? this.config.default_runtime : requested;
    if (!this.#runtimes.has(name)) {
      throw invalidArgument(`runtime_handler ${JSON.stringify(requested)} is not configured (known: ${[...this.#runtimes.keys()].join(", ")})`, "runtime_handler");
    }
    return name;
  }

  // --- records ---------------------------------------------------------------

  async #saveSandbox(id: string): Promise<void> {
    const r = this.sandboxes.find(id);
    const extra = this.#sx.get(id);
    if (r === undefined || extra === undefined) return;
    await this.#sandboxRecords.put(id, {
      id,
      name: r.metadata.name,
      config: toJson(PodSandboxConfigSchema, r.metadata.config as PodSandboxConfig),
      runtimeHandler: r.metadata.runtimeHandler,
      extra,
      status: r.status as StoredSandboxStatus,
    });
  }

  async #saveContainer(id: string): Promise<void> {
    const r = this.containers.find(id);
    const extra = this.#cx.get(id);
    if (r === undefined || extra === undefined) return;
    const { resources, ...rest } = r.status;
    const res = resources ? (toJson(ContainerStatusSchema, create(ContainerStatusSchema, { resources })) as Record<string, JsonValue>)["resources"] : undefined;
    await this.#containerRecords.put(id, {
      id,
      name: r.metadata.name,
      sandboxId: r.metadata.sandboxId,
      config: toJson(ContainerConfigSchema, r.metadata.config as ContainerConfig),
      imageRef: r.metadata.imageRef,
      logPath: r.metadata.logPath,
      extra,
      status: { ...rest, ...(res !== undefined ? { resources: res } : {}) },
    });
  }

  // --- lookups ---------------------------------------------------------------

  #sandbox(idOrPrefix: string, field = "pod_sandbox_id"): SandboxRecord {
    this.#check();
    if (idOrPrefix === "") throw invalidArgument(`${field} is empty`, field);
    const r = this.sandboxes.find(idOrPrefix);
    if (r === undefined || this.#hidden.has(r.id)) throw sandboxNotFound(idOrPrefix);
    return r;
  }

  #container(idOrPrefix: string, field = "container_id"): ContainerRecord {
    this.#check();
    if (idOrPrefix === "") throw invalidArgument(`${field} is empty`, field);
    const r = this.containers.find(idOrPrefix);
    if (r === undefined || this.#hidden.has(r.id)) throw containerNotFound(idOrPrefix);
    return r;
  }

  #containerStatusOf(r: ContainerRecord): ContainerStatusInit {
    const x = this.#cx.get(r.id);
    return toCriContainerStatus(r, {
      imageName: x?.imageName ?? r.metadata.config.image?.image ?? "",
      imageRef: x?.imageRepoDigest,
      logPath: r.metadata.logPath,
      stopSignal: x?.stopSignal ?? "SIGTERM",
      user: x?.user,
    });
  }

  #sandboxStatusOf(r: SandboxRecord): SandboxStatusInit {
    const x = this.#sx.get(r.id);
    const ns = r.metadata.config.linux?.securityContext?.namespaceOptions;
    // Once the pod's network is torn down its addresses are back in the pool:
    // report none, as containerd does for a closed netns.
    const released = x !== undefined && x.networkDown && !x.hostNetwork;
    const ip = released ? "" : r.status.ip;
    const ips = ip !== "" ? r.status.additionalIps : [];
    return {
      id: r.id,
      ...(r.metadata.config.metadata ? { metadata: r.metadata.config.metadata } : {}),
      state: criSandboxState(r),
      createdAt: r.status.createdAt,
      network: { ip, additionalIps: ips.map((a) => ({ ip: a })) },
      linux: {
        namespaces: {
          options: {
            network: ns?.network ?? NamespaceMode.POD,
            pid: ns?.pid ?? NamespaceMode.POD,
            ipc: ns?.ipc ?? NamespaceMode.POD,
            targetId: ns?.targetId ?? "",
            ...(ns?.usernsOptions ? { usernsOptions: ns.usernsOptions } : {}),
          },
        },
      },
      labels: r.metadata.config.labels,
      annotations: r.metadata.config.annotations,
      runtimeHandler: r.metadata.runtimeHandler || (x?.handler === this.config.default_runtime ? "" : (x?.handler ?? "")),
    };
  }

  #publish(containerId: string, type: ContainerEventType, sandboxId: string): void {
    if (this.#hidden.has(containerId) || this.#hidden.has(sandboxId)) return;
    const sb = this.sandboxes.find(sandboxId);
    this.events.publish({
      containerId,
      containerEventType: type,
      createdAt: nowNs(),
      ...(sb ? { podSandboxStatus: this.#sandboxStatusOf(sb) } : {}),
      containersStatuses: this.containers
        .listBySandbox(sandboxId)
        .filter((c) => !this.#hidden.has(c.id))
        .map((c) => this.#containerStatusOf(c)),
    });
  }

  // --- exits -----------------------------------------------------------------

  async #onExit(id: string): Promise<void> {
    const c = this.containers.find(id);
    if (c !== undefined && c.id === id) {
      if (c.status.finishedAt !== 0n || c.status.starting || c.status.removing) return;
      await this.#locks.run(id, async () => this.#refreshExit(id));
      return;
    }
    const s = this.sandboxes.find(id);
    if (s !== undefined && s.id === id && s.status.stoppedAt === 0n && s.status.readyAt !== 0n) {
      const x = this.#sx.get(id);
      if (x?.mode !== "infra") return;
      await this.#locks.run(`sandbox:${id}`, async () => {
        const cur = this.sandboxes.find(id);
        if (cur === undefined || cur.status.stoppedAt !== 0n) return;
        this.sandboxes.update(id, (st) => ({ ...st, stoppedAt: nowNs() }));
        await this.#saveSandbox(id);
        this.#log.info({ id }, "sandbox infra process exited");
        this.#publish(id, ContainerEventType.CONTAINER_STOPPED_EVENT, id);
      });
    }
  }

  /** Reads the runtime's view of an exit and records it once; publishes STOPPED. Call under the container's lock. */
  async #refreshExit(id: string): Promise<boolean> {
    const c = this.containers.find(id);
    const x = this.#cx.get(id);
    if (c === undefined || x === undefined || c.status.finishedAt !== 0n) return false;
    const rt = this.#runtime(x.handler);
    let st;
    try {
      st = await rt.runtime.status(id);
    } catch (err) {
      if (!(isCrikitError(err) && err.code === "NotFound")) throw err;
      st = undefined;
    }
    if (st !== undefined && st.state !== "exited") return false;
    await this.#markExited(id, {
      finishedAt: st === undefined ? nowNs() : exitTimeNs(st),
      exitCode: st?.exitCode ?? SpecialExitCode.Unknown,
      reason: st?.reason ?? ExitReason.Unknown,
      message: st?.message ?? (st === undefined ? "container state is gone" : ""),
    });
    return true;
  }

  async #markExited(id: string, e: { finishedAt: bigint; exitCode: number; reason: string; message: string }): Promise<void> {
    const c = this.containers.find(id);
    if (c === undefined || c.status.finishedAt !== 0n) return;
    const finishedAt = e.finishedAt < c.status.startedAt ? c.status.startedAt : e.finishedAt;
    this.containers.update(id, (s) => ({ ...s, finishedAt: finishedAt || nowNs(), exitCode: e.exitCode, reason: e.reason, message: e.message, pid: 0 }));
    await this.#saveContainer(id);
    this.#log.info({ id, exitCode: e.exitCode, reason: e.reason }, "container exited");
    this.#publish(id, ContainerEventType.CONTAINER_STOPPED_EVENT, c.metadata.sandboxId);
    // Its cgroups go now, not at RemoveContainer (containerd deletes the task on exit).
    const x = this.#cx.get(id);
    if (x !== undefined) {
      await this.#release(x.handler, id).catch((err: unknown) => this.#log.warn({ id, err: errMessage(err) }, "cannot release the exited container's cgroups"));
    }
  }

  // --- RuntimeService: runtime -----------------------------------------------

  /** Version. */
  version(_req: VersionRequest, _ctx?: CallContext): MessageInitShape<typeof import("../cri.js").VersionResponseSchema> {
    return { version: "0.1.0", runtimeName: "crikit", runtimeVersion: this.#version, runtimeApiVersion: "v1" };
  }

  /** Status: RuntimeReady, NetworkReady (from CNI), runtime handlers with features. */
  async status(req: StatusRequest, ctx: CallContext = {}): Promise<MessageInitShape<typeof import("../cri.js").StatusResponseSchema>> {
    const net = await this.cni.status(ctx.signal ? { signal: ctx.signal } : {});
    const handlers = [...this.#runtimes.keys()];
    const runtimeHandlers = [
      { name: "", features: { recursiveReadOnlyMounts: false, userNamespaces: false } },
      ...handlers.map((name) => ({ name, features: { recursiveReadOnlyMounts: false, userNamespaces: false } })),
    ];
    const info: Record<string, string> = {};
    if (req.verbose) {
      info["config"] = JSON.stringify({ ...this.config, registry: { ...this.config.registry, auths: Object.keys(this.config.registry.auths) } });
      info["network"] = JSON.stringify({ defaultNetwork: net.defaultNetwork ?? "", networks: net.networks, podCidr: this.#podCidr });
    }
    return {
      status: {
        conditions: [
          { type: "RuntimeReady", status: !this.#closed, reason: this.#closed ? "RuntimeShuttingDown" : "", message: "" },
          { type: "NetworkReady", status: net.ready, reason: net.reason, message: net.message },
        ],
      },
      info,
      runtimeHandlers,
      features: { supplementalGroupsPolicy: true },
    };
  }

  /** RuntimeConfig: the cgroup driver in use. */
  runtimeConfig(_req: RuntimeConfigRequest, _ctx?: CallContext): MessageInitShape<typeof import("../cri.js").RuntimeConfigResponseSchema> {
    // The default handler's driver (its SystemdCgroup option may set it), as containerd reports it.
    const driver = this.#runtimes.get(this.config.default_runtime)?.cgroupDriver ?? this.config.cgroup_driver;
    return { linux: { cgroupDriver: driver === "systemd" ? CriCgroupDriver.SYSTEMD : CriCgroupDriver.CGROUPFS } };
  }

  /** UpdateRuntimeConfig: keeps the pod CIDR (passed to CNI plugins as the ipRanges capability). */
  updateRuntimeConfig(req: UpdateRuntimeConfigRequest, _ctx?: CallContext): MessageInitShape<typeof import("../cri.js").UpdateRuntimeConfigResponseSchema> {
    const cidr = req.runtimeConfig?.networkConfig?.podCidr ?? "";
    if (cidr !== "") {
      this.#podCidr = cidr;
      this.cni.setPodCidrs(cidr.split(",").map((s) => s.trim()).filter((s) => s !== ""));
      this.#log.info({ podCidr: cidr }, "pod CIDR updated");
    }
    return {};
  }

  /** The pod CIDR last given by UpdateRuntimeConfig. */
  get podCidr(): string {
    return this.#podCidr;
  }

  // --- RuntimeService: sandboxes ---------------------------------------------

  /** RunPodSandbox (see the file header for the steps). */
  async runPodSandbox(req: RunPodSandboxRequest, ctx: CallContext = {}): Promise<MessageInitShape<typeof import("../cri.js").RunPodSandboxResponseSchema>> {
    this.#check();
    const cfg = req.config;
    if (cfg === undefined) throw invalidArgument("config is missing", "config");
    validateSandboxMetadata(cfg.metadata);
    const sc = cfg.linux?.securityContext;
    if (sc?.runAsGroup !== undefined && sc.runAsUser === undefined) {
      throw invalidArgument("config.linux.security_context.run_as_group is set without run_as_user", "config.linux.security_context.run_as_group");
    }
    if (Buffer.byteLength(cfg.hostname) > 64) {
      throw invalidArgument(
        `config.hostname is ${Buffer.byteLength(cfg.hostname)} bytes long; Linux allows at most 64: shorten it, or leave it empty to use the node's hostname`,
        "config.hostname",
      );
    }
    // The pod-level profiles are not applied (the infra process has a fixed, minimal one); the forms are checked alike.
    legacySecurityProfile(sc?.seccompProfilePath ?? "", "config.linux.security_context.seccomp_profile_path");
    if (cfg.logDirectory !== "" && !cfg.logDirectory.startsWith("/")) {
      throw invalidArgument(`config.log_directory ${JSON.stringify(cfg.logDirectory)} must be an absolute path (or empty: no pod log directory)`, "config.log_directory");
    }
    const handler = this.#resolveHandler(req.runtimeHandler);
    const name = makeSandboxName(cfg.metadata as NonNullable<typeof cfg.metadata>);
    const fp = fingerprint(toJson(RunPodSandboxRequestSchema, req));
    const id = await this.#claimOrCreate(`sandbox:${name}`, fp, this.#lateSandboxes, ctx, () => this.#runSandbox(name, cfg, req.runtimeHandler, handler), (sid) =>
      this.#removeSandboxNow(sid, AbortSignal.timeout(this.#rollbackTimeoutMs)),
    );
    return { podSandboxId: id };
  }

  /**
   * Shared create path: join an identical in-flight request, claim a late
   * result, or run `work` under the server's own signal; park the result when
   * the client's signal fired meanwhile.
   */
  async #claimOrCreate(
    key: string,
    fp: string,
    late: LateResults<string>,
    ctx: CallContext,
    work: () => Promise<string>,
    cleanup: (id: string) => Promise<void>,
  ): Promise<string> {
    const running = this.#inflight.get(key);
    if (running !== undefined && running.fp === fp) await running.done.catch(() => undefined);
    const claimed = await late.claim(key, fp);
    if (claimed !== undefined) {
      this.#hidden.delete(claimed);
      await this.#setParked(claimed, undefined);
      this.#log.info({ id: claimed, key }, "late result claimed by a retry");
      const c = this.containers.find(claimed);
      this.#publish(claimed, ContainerEventType.CONTAINER_CREATED_EVENT, c?.metadata.sandboxId ?? claimed);
      if (c === undefined) this.#publish(claimed, ContainerEventType.CONTAINER_STARTED_EVENT, claimed);
      return claimed;
    }
    const p = work();
    this.#inflight.set(key, { fp, done: p });
    let id: string;
    try {
      id = await p;
    } finally {
      if (this.#inflight.get(key)?.done === p) this.#inflight.delete(key);
    }
    if (ctx.signal?.aborted) {
      await this.#park(late, key, fp, id, cleanup);
      this.#log.warn({ id, key }, "create finished after the client's deadline; kept for its retry");
      throw new CrikitError("DeadlineExceeded", "the client's deadline passed; the result is kept for a retry of the same request");
    }
    return id;
  }

  async #park(late: LateResults<string>, key: string, fp: string, id: string, cleanup: (id: string) => Promise<void>): Promise<void> {
    this.#hidden.add(id);
    await late.park(key, fp, id, async () => {
      await cleanup(id);
      this.#hidden.delete(id);
    });
    await this.#setParked(id, { key, fp });
  }

  /** Records (or clears) the parked mark of a sandbox or container, so a restart keeps it parked. */
  async #setParked(id: string, parked: { key: string; fp: string } | undefined): Promise<void> {
    const sx = this.#sx.get(id);
    if (sx !== undefined) {
      sx.parked = parked;
      await this.#saveSandbox(id);
      return;
    }
    const cx = this.#cx.get(id);
    if (cx !== undefined) {
      cx.parked = parked;
      await this.#saveContainer(id);
    }
  }

  async #runSandbox(name: string, cfg: PodSandboxConfig, requestedHandler: string, handler: string): Promise<string> {
    const id = generateId();
    reserveName(this.#sandboxNames, name, id, "pod sandbox");
    const undo = new Undo();
    undo.push("release name", async () => this.#sandboxNames.release(name));
    const signal = this.#workSignal();
    const rt = this.#runtime(handler);
    const ns = cfg.linux?.securityContext?.namespaceOptions;
    const hostNetwork = ns?.network === NamespaceMode.NODE;
    const mode: SandboxMode =
      this.config.sandbox_mode === "infra" ? "infra" : this.config.sandbox_mode === "infra-less" ? "pinned" : (ns?.pid ?? NamespaceMode.POD) === NamespaceMode.POD ? "infra" : "pinned";
    const dir = join(this.config.state, "sandboxes", id);
    const log = { id, name, mode, handler };
    try {
      let netnsPath = "";
      if (!hostNetwork) {
        netnsPath = await this.netns.create(`crikit-${id.slice(0, 32)}`, { signal });
        undo.push("remove netns", (s) => this.netns.remove(netnsPath, { signal: s }));
      }
      const meta = cfg.metadata as NonNullable<typeof cfg.metadata>;
      // No hostname in the config (crictl's minimal pod.json): the node's, as
      // containerd and CRI-O do; never the pod name, which may pass 64 bytes.
      const hostname = hostNetwork ? osHostname() : podHostname(cfg, osHostname());
      await mkdir(dir, { recursive: true });
      undo.push("remove sandbox dir", () => rm(dir, { recursive: true, force: true }));
      if (cfg.logDirectory !== "") await mkdir(cfg.logDirectory, { recursive: true });
      // The pod network (CNI ADD into the pinned netns) and the sandbox (pinned
      // IPC/UTS namespaces, or the infra process joining the netns by path) do
      // not depend on each other: set them up at the same time.
      const network = hostNetwork
        ? Promise.resolve<readonly string[]>([])
        : this.cni
            .setUpPod(
              {
                id,
                name: meta.name,
                namespace: meta.namespace,
                uid: meta.uid,
                netnsPath,
                portMappings: cfg.portMappings.map((p) => ({ protocol: p.protocol, containerPort: p.containerPort, hostPort: p.hostPort, hostIp: p.hostIp })) as never,
                annotations: cfg.annotations,
                ...(cfg.dnsConfig ? { dns: { servers: cfg.dnsConfig.servers, searches: cfg.dnsConfig.searches, options: cfg.dnsConfig.options } } : {}),
              },
              { signal },
            )
            .then((setup) => {
              undo.push("CNI teardown", (sg) => this.cni.tearDownPod({ id, netnsPath }, { signal: sg }));
              return setup.ips;
            });
      const sandbox = rt.sandboxes.start(
        {
          id,
          dir,
          mode,
          ...(hostNetwork ? { netns: "host" } : { netns: netnsPath, hostname }),
          ...(cfg.linux?.cgroupParent ? { cgroupParent: cfg.linux.cgroupParent, cgroupsPath: cgroupsPath(rt.cgroupDriver, cfg.linux.cgroupParent, id) } : {}),
          catatonitPath: this.config.pause_binary,
          ...(mode === "infra" && cfg.linux?.sysctls && Object.keys(cfg.linux.sysctls).length > 0 ? { sysctls: cfg.linux.sysctls } : {}),
        },
        { signal },
      ).then((h) => {
        undo.push("remove sandbox", async (sg) => {
          await rt.sandboxes.stop(h, { signal: sg }).catch(() => undefined);
          // The shm lives in the sandbox dir that removeSandbox deletes.
          await unmountPodShm(join(dir, "shm"), { signal: sg });
          await rt.sandboxes.remove(h, { signal: sg });
        });
        return h;
      });
      // The pod's /dev/shm, shared by its containers (containerd's and
      // CRI-O's behaviour); a pod in the host IPC namespace uses the host's.
      const shmPath = ns?.ipc === NamespaceMode.NODE ? undefined : join(dir, "shm");
      const shm =
        shmPath === undefined
          ? Promise.resolve()
          : mountPodShm(shmPath, this.config.shm_size, { signal }).finally(() => undo.push("unmount shm", (sg) => unmountPodShm(shmPath, { signal: sg })));
      const [netRes, sbRes, shmRes] = await Promise.allSettled([network, sandbox, shm]);
      if (netRes.status === "rejected") throw netRes.reason;
      if (sbRes.status === "rejected") throw sbRes.reason;
      if (shmRes.status === "rejected") throw shmRes.reason;
      const ips = netRes.value;
      const handle = sbRes.value;
      const files: SandboxExtra["files"] = shmPath !== undefined ? { shmPath } : {};
      const filesDir = join(dir, "files");
      await mkdir(filesDir, { recursive: true });
      files.hostnamePath = join(filesDir, "hostname");
      files.hostsPath = join(filesDir, "hosts");
      files.resolvConfPath = join(filesDir, "resolv.conf");
      const resolv = buildResolvConf(cfg.dnsConfig ? { servers: cfg.dnsConfig.servers, searches: cfg.dnsConfig.searches, options: cfg.dnsConfig.options } : undefined);
      await Promise.all([
        writeFile(files.hostnamePath, buildHostnameFile(hostname)),
        hostNetwork
          ? readFile("/etc/hosts").catch(() => buildHostsFile()).then((t) => writeFile(files.hostsPath as string, t))
          : writeFile(files.hostsPath, buildHostsFile({ hostname, podIps: ips })),
        (resolv !== undefined ? Promise.resolve(resolv) : readFile("/etc/resolv.conf").catch(() => "")).then((t) => writeFile(files.resolvConfPath as string, t)),
      ]);
      const now = nowNs();
      const extra: SandboxExtra = { handler, mode, handle, hostNetwork, netnsPath, networkDown: hostNetwork, files };
      this.sandboxes.add(id, { name, config: cfg, runtimeHandler: requestedHandler }, newSandboxStatus(now, { readyAt: now, pid: handle.infraPid ?? 0, netnsPath, ip: ips[0] ?? "", additionalIps: ips.slice(1) }));
      this.#sx.set(id, extra);
      undo.push("forget sandbox", async () => {
        this.sandboxes.delete(id);
        this.#sx.delete(id);
        await this.#sandboxRecords.delete(id);
      });
      await this.#saveSandbox(id);
      this.#log.info({ ...log, ip: ips[0] ?? "" }, "pod sandbox ready");
      this.#publish(id, ContainerEventType.CONTAINER_CREATED_EVENT, id);
      this.#publish(id, ContainerEventType.CONTAINER_STARTED_EVENT, id);
      return id;
    } catch (err) {
      this.#log.warn({ ...log, err: errMessage(err) }, "RunPodSandbox failed; rolling back");
      await undo.run(this.#rollbackTimeoutMs, this.#log, log);
      throw err;
    }
  }

  /** StopPodSandbox: idempotent; an unknown ID succeeds (see the file header). */
  async stopPodSandbox(req: StopPodSandboxRequest, ctx: CallContext = {}): Promise<MessageInitShape<typeof import("../cri.js").StopPodSandboxResponseSchema>> {
    this.#check();
    if (req.podSandboxId === "") throw invalidArgument("pod_sandbox_id is empty", "pod_sandbox_id");
    const r = this.sandboxes.find(req.podSandboxId);
    if (r === undefined || this.#hidden.has(r.id)) {
      this.#log.debug({ id: req.podSandboxId }, "StopPodSandbox of an unknown sandbox: nothing to do");
      return {};
    }
    await this.#stopSandboxNow(r.id, ctx.signal);
    return {};
  }

  async #stopSandboxNow(id: string, signal: AbortSignal | undefined): Promise<void> {
    await mapLimit(this.containers.listBySandbox(id), POD_PARALLELISM, (c) => this.#locks.run(c.id, () => this.#stopContainerNow(c.id, 0, signal)));
    await this.#locks.run(`sandbox:${id}`, async () => {
      const r = this.sandboxes.find(id);
      const x = this.#sx.get(id);
      if (r === undefined || x === undefined) return;
      const rt = this.#runtime(x.handler);
      // The network namespace is pinned by its own file, not by the infra
      // process, so the CNI teardown and the infra's stop do not depend on
      // each other: run them at the same time (both must succeed).
      const network = x.networkDown
        ? Promise.resolve()
        : (async () => {
            await this.cni.tearDownPod({ id, netnsPath: x.netnsPath }, signal ? { signal } : {});
            if (x.netnsPath !== "") await this.netns.remove(x.netnsPath, signal ? { signal } : {});
            x.networkDown = true;
          })();
      // The pod's shm goes with the pod's processes, as containerd releases it at stop.
      const shm = x.files.shmPath !== undefined ? unmountPodShm(x.files.shmPath, signal ? { signal } : {}) : Promise.resolve();
      const [netRes, sbRes, shmRes] = await Promise.allSettled([network, rt.sandboxes.stop(x.handle, signal ? { signal } : {}), shm]);
      if (netRes.status === "rejected") throw netRes.reason;
      if (sbRes.status === "rejected") throw sbRes.reason;
      if (shmRes.status === "rejected") throw shmRes.reason;
      // The infra process is gone: its cgroups go now too, as containerd deletes the pause task at stop.
      if (x.mode === "infra") {
        await this.#release(x.handler, id).catch((err: unknown) => this.#log.warn({ id, err: errMessage(err) }, "cannot release the infra container's cgroups"));
      }
      const wasStopped = r.status.stoppedAt !== 0n;
      if (!wasStopped) this.sandboxes.update(id, (s) => ({ ...s, stoppedAt: nowNs(), pid: 0 }));
      await this.#saveSandbox(id);
      if (!wasStopped) {
        this.#log.info({ id }, "pod sandbox stopped");
        this.#publish(id, ContainerEventType.CONTAINER_STOPPED_EVENT, id);
      }
    });
  }

  /** RemovePodSandbox: removes its containers; an unknown ID succeeds. */
  async removePodSandbox(req: RemovePodSandboxRequest, ctx: CallContext = {}): Promise<MessageInitShape<typeof import("../cri.js").RemovePodSandboxResponseSchema>> {
    this.#check();
    if (req.podSandboxId === "") throw invalidArgument("pod_sandbox_id is empty", "pod_sandbox_id");
    const r = this.sandboxes.find(req.podSandboxId);
    if (r === undefined || this.#hidden.has(r.id)) return {};
    await this.#removeSandboxNow(r.id, ctx.signal);
    return {};
  }

  async #removeSandboxNow(id: string, signal: AbortSignal | undefined): Promise<void> {
    await this.#stopSandboxNow(id, signal);
    await mapLimit(this.containers.listBySandbox(id), POD_PARALLELISM, (c) => this.#removeContainerNow(c.id, signal));
    await this.#locks.run(`sandbox:${id}`, async () => {
      const r = this.sandboxes.find(id);
      const x = this.#sx.get(id);
      if (r === undefined || x === undefined) return;
      if (x.files.shmPath !== undefined) await unmountPodShm(x.files.shmPath, signal ? { signal } : {});
      await this.#runtime(x.handler).sandboxes.remove(x.handle, signal ? { signal } : {});
      await rm(x.handle.dir, { recursive: true, force: true });
      await this.#sandboxRecords.delete(id);
      this.#publish(id, ContainerEventType.CONTAINER_DELETED_EVENT, id);
      this.sandboxes.delete(id);
      this.#sx.delete(id);
      this.#hidden.delete(id);
      this.#stats.forget(id);
      this.#sandboxNames.releaseByKey(id);
      this.#log.info({ id }, "pod sandbox removed");
    });
  }

  /** PodSandboxStatus, with `info` (JSON) when verbose, and the containers' statuses. */
  async podSandboxStatus(req: PodSandboxStatusRequest, _ctx?: CallContext): Promise<MessageInitShape<typeof import("../cri.js").PodSandboxStatusResponseSchema>> {
    const r = this.#sandbox(req.podSandboxId);
    const info: Record<string, string> = {};
    if (req.verbose) {
      // containerd's keys (what `crictl inspectp` users parse), then crikit's own.
      const x = this.#sx.get(r.id);
      const ready = sandboxState(r.status) === "READY";
      const rc = x ? this.#runtimes.get(x.handler)?.config : undefined;
      info["info"] = JSON.stringify({
        pid: r.status.pid,
        processStatus: ready ? "running" : "stopped",
        netNamespaceClosed: x !== undefined && !x.hostNetwork && x.networkDown,
        netNamespacePath: x?.netnsPath ?? "",
        image: x?.mode === "infra" ? this.config.pause_binary : "",
        snapshotKey: "",
        snapshotter: "",
        runtimeHandler: x?.handler ?? "",
        runtimeType: rc?.type ?? "",
        runtimeOptions: rc && Object.keys(rc.options).length > 0 ? rc.options : null,
        config: toJson(PodSandboxConfigSchema, r.metadata.config as PodSandboxConfig, { useProtoFieldName: true }),
        runtimeSpec: x ? await this.#podRuntimeSpec(r, x) : null,
        sandboxMode: x?.mode ?? "",
        namespaces: x?.handle.namespaces ?? {},
        hostNetwork: x?.hostNetwork ?? false,
        shmPath: x?.files.shmPath ?? "",
        podResources: x?.podResources ?? null,
      });
    }
    return {
      status: this.#sandboxStatusOf(r),
      info,
      containersStatuses: this.containers
        .listBySandbox(r.id)
        .filter((c) => !this.#hidden.has(c.id))
        .map((c) => this.#containerStatusOf(c)),
      timestamp: nowNs(),
    };
  }

  /**
   * The OCI spec of a pod for verbose PodSandboxStatus: the infra
   * container's `config.json`; an infra-less pod runs no process, so its
   * spec holds only what its containers join (namespaces by path, hostname,
   * sysctls) and no `process` or `cgroupsPath`.
   */
  async #podRuntimeSpec(r: SandboxRecord, x: SandboxExtra): Promise<unknown> {
    if (x.mode === "infra") {
      try {
        return JSON.parse(await readFile(join(x.handle.dir, "infra", "config.json"), "utf8"));
      } catch {
        return null;
      }
    }
    const cfg = r.metadata.config;
    const ns = x.handle.namespaces;
    const sysctls = cfg.linux?.sysctls ?? {};
    return {
      ociVersion: OCI_VERSION,
      ...(x.hostNetwork ? {} : { hostname: cfg.hostname || (cfg.metadata?.name ?? "") }),
      linux: {
        namespaces: [
          ...(ns.network !== undefined ? [{ type: "network", path: ns.network }] : []),
          ...(ns.ipc !== "" ? [{ type: "ipc", path: ns.ipc }] : []),
          ...(ns.uts !== "" ? [{ type: "uts", path: ns.uts }] : []),
        ],
        ...(Object.keys(sysctls).length > 0 ? { sysctl: { ...sysctls } } : {}),
      },
    };
  }

  #listSandboxes(filter: ListPodSandboxRequest["filter"]): Array<MessageInitShape<typeof import("../cri.js").PodSandboxSchema>> {
    this.#check();
    const f = filter ? { id: filter.id, state: filter.state?.state, labelSelector: filter.labelSelector } : undefined;
    return this.sandboxes
      .list((r) => !this.#hidden.has(r.id) && sandboxMatches(r, f))
      .map((r) => this.#criSandbox(r));
  }

  /**
   * The list element of a sandbox record, built once per record version and
   * frozen, so the transport can reuse its encoding while it is unchanged.
   */
  #criSandbox(r: SandboxRecord): MessageInitShape<typeof import("../cri.js").PodSandboxSchema> {
    return this.#listElement(r, () => ({
      id: r.id,
      ...(r.metadata.config.metadata ? { metadata: r.metadata.config.metadata } : {}),
      state: criSandboxState(r),
      createdAt: r.status.createdAt,
      labels: r.metadata.config.labels,
      annotations: r.metadata.config.annotations,
      runtimeHandler: r.metadata.runtimeHandler,
    }));
  }

  /** The frozen element `build` makes for store record `r`, made once per record version. */
  #listElement<T extends object>(r: object, build: () => T): T {
    let el = this.#listElements.get(r) as T | undefined;
    if (el === undefined) {
      el = deepFreeze(build());
      this.#listElements.set(r, el);
    }
    return el;
  }

  /** ListPodSandbox with the filter (ID prefix, state, labels). */
  listPodSandbox(req: ListPodSandboxRequest, _ctx?: CallContext): MessageInitShape<typeof import("../cri.js").ListPodSandboxResponseSchema> {
    return { items: this.#listSandboxes(req.filter) };
  }

  /** StreamPodSandboxes: ListPodSandbox in chunks of at most 500 items (none for an empty list). */
  async *streamPodSandboxes(req: StreamPodSandboxesRequest, _ctx?: CallContext): AsyncGenerator<MessageInitShape<typeof import("../cri.js").StreamPodSandboxesResponseSchema>> {
    for (const chunk of chunks(this.#listSandboxes(req.filter))) yield { podSandboxes: chunk };
  }

  /** UpdatePodSandboxResources: best effort; the kubelet has already resized the pod cgroup. */
  async updatePodSandboxResources(req: UpdatePodSandboxResourcesRequest, _ctx?: CallContext): Promise<MessageInitShape<typeof import("../cri.js").UpdatePodSandboxResourcesResponseSchema>> {
    const r = this.#sandbox(req.podSandboxId);
    if (req.overhead === undefined && req.resources === undefined) {
      throw invalidArgument("overhead and resources are both missing", "resources");
    }
    // The kubelet has already resized the pod cgroup when it calls this (the
    // CRI says so), and no process of crikit's own limits a pod: the pod's
    // new size is recorded with the sandbox, persisted, and reported in
    // PodSandboxStatus's verbose info, where a runtime that does own pod-level
    // resources (a VM, say) picks it up through containerSpecHook-style hooks.
    const extra = this.#sx.get(r.id);
    if (extra !== undefined) {
      const json = (v: typeof req.resources): JsonValue | undefined =>
        v === undefined ? undefined : (toJson(LinuxContainerResourcesSchema, v) as JsonValue);
      const overhead = json(req.overhead);
      const resources = json(req.resources);
      extra.podResources = {
        ...(overhead !== undefined ? { overhead } : {}),
        ...(resources !== undefined ? { resources } : {}),
        updatedAt: new Date().toISOString(),
      };
      await this.#saveSandbox(r.id);
    }
    this.#log.info({ id: r.id }, "pod resources recorded");
    return {};
  }

  // --- RuntimeService: containers ---------------------------------------------

  /** CreateContainer. */
  async createContainer(req: CreateContainerRequest, ctx: CallContext = {}): Promise<MessageInitShape<typeof import("../cri.js").CreateContainerResponseSchema>> {
    this.#check();
    const sb = this.#sandbox(req.podSandboxId);
    const cfg = req.config;
    if (cfg === undefined) throw invalidArgument("config is missing", "config");
    validateContainerMetadata(cfg.metadata);
    if (sandboxState(sb.status) !== "READY") throw sandboxNotReady(sb.id);
    const sc = cfg.linux?.securityContext;
    if (sc?.runAsGroup !== undefined && sc.runAsUser === undefined && (sc.runAsUsername ?? "") === "") {
      throw invalidArgument("config.linux.security_context.run_as_group is set without run_as_user or run_as_username", "config.linux.security_context.run_as_group");
    }
    if (cfg.CDIDevices.length > 0) {
      throw invalidArgument(
        `config.CDI_devices names ${cfg.CDIDevices.map((d) => JSON.stringify(d.name)).join(", ")}, but crikit does not resolve CDI devices: pass the device nodes in config.devices instead`,
        "config.CDI_devices",
      );
    }
    const pidNs = sc?.namespaceOptions;
    if (pidNs?.pid === NamespaceMode.TARGET) {
      const field = "config.linux.security_context.namespace_options.target_id";
      if (pidNs.targetId === "") throw invalidArgument(`namespace_options.pid is TARGET but ${field} is empty: set it to the ID of a running container of the same pod`, field);
      this.#targetContainer(sb.id, pidNs.targetId);
    }
    const imageRef = cfg.image?.image ?? "";
    if (imageRef === "") throw invalidArgument("config.image.image is empty", "config.image.image");
    const image = await this.images.status(imageRef);
    if (image === undefined) throw notFound(`image ${JSON.stringify(imageRef)} not found; pull it first`);
    const name = makeContainerName(cfg.metadata as NonNullable<typeof cfg.metadata>, sb.metadata.config.metadata as NonNullable<PodSandboxConfig["metadata"]>);
    const fp = fingerprint(toJson(CreateContainerRequestSchema, create(CreateContainerRequestSchema, { podSandboxId: sb.id, config: cfg })));
    const id = await this.#claimOrCreate(`container:${name}`, fp, this.#lateContainers, ctx, () => this.#createContainer(name, sb, cfg, image), (cid) =>
      this.#removeContainerNow(cid, AbortSignal.timeout(this.#rollbackTimeoutMs)),
    );
    return { containerId: id };
  }

  /** The running container of pod `sandboxId` whose PID namespace a TARGET container joins; throws what to do otherwise. */
  #targetContainer(sandboxId: string, targetId: string): { id: string; pid: number } {
    const t = this.containers.find(targetId);
    const found = t === undefined || this.#hidden.has(t.id) ? undefined : { id: t.id, sandboxId: t.metadata.sandboxId, state: criContainerState(t), pid: this.#cx.get(t.id)?.pid ?? t.status.pid };
    const ok = validateTargetContainer(sandboxId, found, targetId);
    return { id: ok.id, pid: ok.pid ?? 0 };
  }

  async #createContainer(name: string, sb: SandboxRecord, cfg: ContainerConfig, image: ImageRecord): Promise<string> {
    const id = generateId();
    reserveName(this.#containerNames, name, id, "container");
    const undo = new Undo();
    undo.push("release name", async () => this.#containerNames.release(name));
    const signal = this.#workSignal();
    const sx = this.#sx.get(sb.id);
    if (sx === undefined) throw notFound(`pod sandbox ${JSON.stringify(sb.id)} not found`);
    const rt = this.#runtime(sx.handler);
    const bundle = join(this.config.state, "containers", id);
    const rwDir = join(this.config.root, "containers", id);
    const rootfs = join(bundle, "rootfs");
    const log = { id, name, sandboxId: sb.id };
    try {
      await mkdir(rootfs, { recursive: true });
      undo.push("remove bundle", () => rm(bundle, { recursive: true, force: true }));
      await mkdir(join(rwDir, "upper"), { recursive: true });
      await mkdir(join(rwDir, "work"), { recursive: true });
      undo.push("remove writable layer", () => rm(rwDir, { recursive: true, force: true }));
      await this.images.mountRootfs(image.id, rootfs, { upperDir: join(rwDir, "upper"), workDir: join(rwDir, "work"), signal });
      undo.push("unmount rootfs", (s) => this.images.unmountRootfs(rootfs, { signal: s }));
      const ns = cfg.linux?.securityContext?.namespaceOptions;
      let targetPid: number | undefined;
      if (ns?.pid === NamespaceMode.TARGET && ns.targetId !== "") targetPid = this.#targetContainer(sb.id, ns.targetId).pid;
      const hn = sx.handle.namespaces;
      const sbCfg = sb.metadata.config as PodSandboxConfig;
      // A pod without a shared PID namespace has no pod PID namespace to join:
      // a container asking for the pod's (the CRI default) gets its own.
      const specCfg =
        hn.pid === undefined && (ns?.pid ?? NamespaceMode.POD) === NamespaceMode.POD
          ? create(ContainerConfigSchema, {
              ...cfg,
              linux: {
                ...(cfg.linux ?? {}),
                securityContext: {
                  ...(cfg.linux?.securityContext ?? {}),
                  namespaceOptions: { ...(cfg.linux?.securityContext?.namespaceOptions ?? {}), pid: NamespaceMode.CONTAINER },
                },
              },
            } as never)
          : cfg;
      const names = containerImageNames(cfg.image?.image ?? "", cfg.image?.userSpecifiedImage ?? "", image);
      const spec: OciSpec = generateContainerSpec({
        id,
        sandboxId: sb.id,
        rootfsPath: rootfs,
        config: specCfg,
        sandboxConfig: sbCfg,
        imageConfig: (image.config.config ?? {}) as ImageConfigInput,
        imageName: names.image,
        rootfs: createDirRootfsReader(rootfs),
        host: this.#host,
        cgroupDriver: rt.cgroupDriver,
        restrictOomScoreAdj: this.config.restrict_oom_score_adj,
        currentOomScoreAdj: this.#oomScoreAdj,
        hostCapabilities: this.#hostCaps,
        nodeHostname: osHostname(),
        rlimits: this.#rlimits,
        features: { swapController: this.#swapController },
        namespacePaths: {
          ...(hn.network !== undefined ? { network: hn.network } : {}),
          ...(hn.ipc !== "" ? { ipc: hn.ipc } : {}),
          ...(hn.uts !== "" ? { uts: hn.uts } : {}),
          ...(hn.pid !== undefined ? { pid: hn.pid } : {}),
        },
        ...(targetPid !== undefined ? { targetPid } : {}),
        sandboxFiles: sx.files,
        volumeDir: join(rwDir, "volumes"),
        podAnnotationPatterns: rt.config.pod_annotations,
        containerAnnotationPatterns: rt.config.container_annotations,
      });
      this.#specHook?.(spec, { id, sandboxId: sb.id, handler: sx.handler, config: cfg });
      for (const h of [this.#hooks, rt.hooks]) await h?.adjustContainerSpec?.(spec, { id, sandboxId: sb.id, handler: sx.handler, config: cfg, sandboxConfig: sbCfg });
      await writeFile(join(bundle, "config.json"), JSON.stringify(spec));
      const logPath = sbCfg.logDirectory !== "" && cfg.logPath !== "" ? join(sbCfg.logDirectory, cfg.logPath) : "";
      const logFile = logPath !== "" ? logPath : join(bundle, "container.log");
      await mkdir(dirname(logFile), { recursive: true });
      const created = await rt.runtime.create(
        {
          id,
          bundle,
          spec,
          logPath: logFile,
          name: `${cfg.metadata?.name ?? id}`,
          terminal: cfg.tty,
          stdin: cfg.stdin,
          leaveStdinOpen: cfg.stdin && !cfg.stdinOnce,
          labels: { "crikit.sandbox": sb.id },
        },
        { signal },
      );
      undo.push("remove OCI container", (s) => rt.runtime.remove(id, { timeoutMs: 0 }, { signal: s }));
      const u = spec.process?.user;
      const extra: ContainerExtra = {
        handler: sx.handler,
        bundle,
        rwDir,
        logFile,
        imageName: names.image,
        imageRepoDigest: names.imageRef,
        stopSignal: signalName(cfg.stopSignal) ?? (image.config.config?.StopSignal || "SIGTERM"),
        user: u ? { uid: u.uid ?? 0, gid: u.gid ?? 0, additionalGids: [...(u.additionalGids ?? [])] } : undefined,
        pid: created.pid,
      };
      const resources = resourcesFromSpec(spec as never);
      this.containers.add(
        id,
        { name, sandboxId: sb.id, config: cfg, imageRef: image.id, logPath },
        newContainerStatus(nowNs(), { pid: created.pid, ...(resources ? { resources } : {}) }),
      );
      this.#cx.set(id, extra);
      undo.push("forget container", async () => {
        this.containers.delete(id);
        this.#cx.delete(id);
        await this.#containerRecords.delete(id);
      });
      await this.#saveContainer(id);
      this.#log.info(log, "container created");
      this.#publish(id, ContainerEventType.CONTAINER_CREATED_EVENT, sb.id);
      return id;
    } catch (err) {
      this.#log.warn({ ...log, err: errMessage(err) }, "CreateContainer failed; rolling back");
      await undo.run(this.#rollbackTimeoutMs, this.#log, log);
      throw err;
    }
  }

  /** StartContainer. */
  async startContainer(req: StartContainerRequest, ctx: CallContext = {}): Promise<MessageInitShape<typeof import("../cri.js").StartContainerResponseSchema>> {
    this.#check();
    const c = this.#container(req.containerId);
    await this.#locks.run(c.id, async () => {
      const cur = this.containers.get(c.id);
      const state = containerState(cur.status);
      if (state !== "CREATED") throw failedPrecondition(`container ${JSON.stringify(c.id)} is ${state.toLowerCase()}, not created`);
      if (cur.status.removing) throw failedPrecondition(`container ${JSON.stringify(c.id)} is being removed`);
      const sb = this.sandboxes.find(cur.metadata.sandboxId);
      if (sb === undefined || sandboxState(sb.status) !== "READY") throw sandboxNotReady(cur.metadata.sandboxId);
      const x = this.#cx.get(c.id) as ContainerExtra;
      const rt = this.#runtime(x.handler);
      this.containers.update(c.id, (s) => ({ ...s, starting: true }));
      try {
        await rt.runtime.start(c.id, ctx.signal ? { signal: ctx.signal } : {});
      } catch (err) {
        this.containers.update(c.id, (s) => ({ ...s, starting: false, finishedAt: nowNs(), exitCode: SpecialExitCode.StartError ?? 128, reason: ExitReason.StartError, message: errMessage(err) }));
        await this.#saveContainer(c.id);
        this.#publish(c.id, ContainerEventType.CONTAINER_STOPPED_EVENT, cur.metadata.sandboxId);
        throw err;
      }
      this.containers.update(c.id, (s) => ({ ...s, starting: false, startedAt: nowNs() }));
      await this.#saveContainer(c.id);
      this.#log.info({ id: c.id }, "container started");
      this.#publish(c.id, ContainerEventType.CONTAINER_STARTED_EVENT, cur.metadata.sandboxId);
      // An exit that happened during start was ignored by the monitor: look now.
      await this.#refreshExit(c.id);
    });
    return {};
  }

  /** StopContainer: stop signal, then SIGKILL after `timeout` seconds; an exited container succeeds. */
  async stopContainer(req: StopContainerRequest, ctx: CallContext = {}): Promise<MessageInitShape<typeof import("../cri.js").StopContainerResponseSchema>> {
    this.#check();
    const c = this.#container(req.containerId);
    const timeoutMs = Number(req.timeout) * 1000;
    await this.#locks.run(c.id, () => this.#stopContainerNow(c.id, timeoutMs, ctx.signal));
    return {};
  }

  /** Call under the container's lock. */
  async #stopContainerNow(id: string, timeoutMs: number, signal: AbortSignal | undefined): Promise<void> {
    const c = this.containers.find(id);
    const x = this.#cx.get(id);
    if (c === undefined || x === undefined) return;
    const state = containerState(c.status);
    if (state === "EXITED") return;
    const rt = this.#runtime(x.handler);
    if (state === "CREATED") {
      // Never started: kill what runtime create left (the init waits in exec.fifo).
      await rt.runtime.stop(id, { timeoutMs: 0 }, signal ? { signal } : {}).catch((err: unknown) => {
        if (!(isCrikitError(err) && err.code === "NotFound")) throw err;
      });
      await this.#refreshExit(id);
      return;
    }
    let st;
    try {
      st = await rt.runtime.stop(id, { timeoutMs: Math.max(0, timeoutMs), stopSignal: x.stopSignal }, signal ? { signal } : {});
    } catch (err) {
      if (!(isCrikitError(err) && err.code === "NotFound")) throw err;
    }
    await this.#markExited(id, {
      finishedAt: st === undefined ? nowNs() : exitTimeNs(st),
      exitCode: st?.exitCode ?? SpecialExitCode.Unknown,
      reason: st?.reason ?? ExitReason.Unknown,
      message: st?.message ?? "",
    });
  }

  /** RemoveContainer: stops a running container first; an unknown ID succeeds. */
  async removeContainer(req: RemoveContainerRequest, ctx: CallContext = {}): Promise<MessageInitShape<typeof import("../cri.js").RemoveContainerResponseSchema>> {
    this.#check();
    if (req.containerId === "") throw invalidArgument("container_id is empty", "container_id");
    const c = this.containers.find(req.containerId);
    if (c === undefined || this.#hidden.has(c.id)) return {};
    await this.#removeContainerNow(c.id, ctx.signal);
    return {};
  }

  async #removeContainerNow(id: string, signal: AbortSignal | undefined): Promise<void> {
    await this.#locks.run(id, async () => {
      const c = this.containers.find(id);
      const x = this.#cx.get(id);
      if (c === undefined || x === undefined) return;
      this.containers.update(id, (s) => ({ ...s, removing: true }));
      await this.#stopContainerNow(id, 0, signal);
      const rt = this.#runtime(x.handler);
      await rt.runtime.remove(id, { timeoutMs: 0 }, signal ? { signal } : {});
      await this.images.unmountRootfs(join(x.bundle, "rootfs"), signal ? { signal } : {});
      await rm(x.bundle, { recursive: true, force: true });
      await rm(x.rwDir, { recursive: true, force: true });
      await this.#containerRecords.delete(id);
      this.#publish(id, ContainerEventType.CONTAINER_DELETED_EVENT, c.metadata.sandboxId);
      this.containers.delete(id);
      this.#cx.delete(id);
      this.#hidden.delete(id);
      this.#stats.forget(id);
      this.#containerNames.releaseByKey(id);
      this.#log.info({ id }, "container removed");
    });
  }

  /** ContainerStatus, with `info` (JSON) when verbose. */
  async containerStatus(req: ContainerStatusRequest, _ctx?: CallContext): Promise<MessageInitShape<typeof import("../cri.js").ContainerStatusResponseSchema>> {
    const r = this.#container(req.containerId);
    const info: Record<string, string> = {};
    if (req.verbose) {
      const x = this.#cx.get(r.id);
      let runtimeSpec: unknown;
      try {
        runtimeSpec = x ? JSON.parse(await readFile(join(x.bundle, "config.json"), "utf8")) : undefined;
      } catch {
        runtimeSpec = undefined;
      }
      // containerd's keys (what `crictl inspect` users parse), then crikit's own.
      const rc = x ? this.#runtimes.get(x.handler)?.config : undefined;
      info["info"] = JSON.stringify({
        sandboxID: r.metadata.sandboxId,
        pid: r.status.pid,
        removing: r.status.removing,
        snapshotKey: r.id,
        snapshotter: "overlayfs",
        runtimeType: rc?.type ?? "",
        runtimeOptions: rc && Object.keys(rc.options).length > 0 ? rc.options : null,
        config: toJson(ContainerConfigSchema, r.metadata.config as ContainerConfig, { useProtoFieldName: true }),
        runtimeSpec: runtimeSpec ?? null,
        runtimeHandler: x?.handler ?? "",
        bundle: x?.bundle ?? "",
        logFile: x?.logFile ?? "",
        rootfs: x ? join(x.bundle, "rootfs") : "",
        writableLayer: x ? join(x.rwDir, "upper") : "",
      });
    }
    return { status: this.#containerStatusOf(r), info };
  }

  #listContainers(filter: ListContainersRequest["filter"]): Array<MessageInitShape<typeof import("../cri.js").ContainerSchema>> {
    this.#check();
    const f = filter ? { id: filter.id, podSandboxId: filter.podSandboxId, state: filter.state?.state, labelSelector: filter.labelSelector } : undefined;
    const src = f?.podSandboxId && this.sandboxes.has(f.podSandboxId) ? this.containers.listBySandbox(f.podSandboxId) : this.containers.list();
    return src
      .filter((r) => !this.#hidden.has(r.id) && containerMatches(r, f))
      .map((r) => this.#criContainer(r));
  }

  /** The list element of a container record (see `#criSandbox`). */
  #criContainer(r: ContainerRecord): MessageInitShape<typeof import("../cri.js").ContainerSchema> {
    return this.#listElement(r, () => ({
      id: r.id,
      podSandboxId: r.metadata.sandboxId,
      ...(r.metadata.config.metadata ? { metadata: r.metadata.config.metadata } : {}),
      // containerd's list element: the image as requested, image_ref the ID (the kubelet's image GC compares it with image IDs).
      image: { image: r.metadata.config.image?.image ?? "" },
      imageRef: r.metadata.imageRef,
      imageId: r.metadata.imageRef,
      state: criContainerState(r),
      createdAt: r.status.createdAt,
      labels: r.metadata.config.labels,
      annotations: r.metadata.config.annotations,
    }));
  }

  /** ListContainers with the filter (ID prefix, sandbox ID, state, labels). */
  listContainers(req: ListContainersRequest, _ctx?: CallContext): MessageInitShape<typeof import("../cri.js").ListContainersResponseSchema> {
    return { containers: this.#listContainers(req.filter) };
  }

  /** StreamContainers: ListContainers in chunks. */
  async *streamContainers(req: StreamContainersRequest, _ctx?: CallContext): AsyncGenerator<MessageInitShape<typeof import("../cri.js").StreamContainersResponseSchema>> {
    for (const chunk of chunks(this.#listContainers(req.filter))) yield { containers: chunk };
  }

  /** ExecSync: runs a command; `timeout` seconds (0: none); output capped at 16 MiB per stream. */
  async execSync(req: ExecSyncRequest, ctx: CallContext = {}): Promise<MessageInitShape<typeof import("../cri.js").ExecSyncResponseSchema>> {
    this.#check();
    const c = this.#container(req.containerId);
    if (req.cmd.length === 0) throw invalidArgument("cmd is empty", "cmd");
    if (containerState(c.status) !== "RUNNING") throw failedPrecondition(`container ${JSON.stringify(c.id)} is not running`);
    const x = this.#cx.get(c.id) as ContainerExtra;
    const res = await this.#runtime(x.handler).runtime.execSync(c.id, req.cmd, { timeoutMs: Number(req.timeout) * 1000, maxOutputBytes: MAX_EXEC_OUTPUT }, ctx.signal ? { signal: ctx.signal } : {});
    return { stdout: res.stdout, stderr: res.stderr, exitCode: res.exitCode };
  }

  /** UpdateContainerResources: applied synchronously through the OCI runtime. */
  async updateContainerResources(req: UpdateContainerResourcesRequest, ctx: CallContext = {}): Promise<MessageInitShape<typeof import("../cri.js").UpdateContainerResourcesResponseSchema>> {
    this.#check();
    const c = this.#container(req.containerId);
    await this.#locks.run(c.id, async () => {
      const cur = this.containers.get(c.id);
      const state = containerState(cur.status);
      if (state === "EXITED") throw failedPrecondition(`container ${JSON.stringify(c.id)} has exited`);
      const x = this.#cx.get(c.id) as ContainerExtra;
      const swap = { swapController: this.#swapController };
      const oci = resourcesToOci(req.linux, {}, swap);
      await this.#runtime(x.handler).runtime.updateResources(c.id, oci as Record<string, unknown>, ctx.signal ? { signal: ctx.signal } : {});
      // Keep the spec in step, so the status (and a restart) report what applies now.
      const specPath = join(x.bundle, "config.json");
      const spec = JSON.parse(await readFile(specPath, "utf8")) as OciSpec;
      spec.linux = { ...(spec.linux ?? {}), resources: resourcesToOci(req.linux, spec.linux?.resources ?? {}, swap) };
      await writeFile(specPath, JSON.stringify(spec));
      const resources = resourcesFromSpec(spec as never);
      this.containers.update(c.id, (s) => ({ ...s, resources }));
      await this.#saveContainer(c.id);
    });
    return {};
  }

  /** ReopenContainerLog: the container must run; conmon reopens its log file. */
  async reopenContainerLog(req: ReopenContainerLogRequest, ctx: CallContext = {}): Promise<MessageInitShape<typeof import("../cri.js").ReopenContainerLogResponseSchema>> {
    this.#check();
    const c = this.#container(req.containerId);
    if (containerState(c.status) !== "RUNNING") throw failedPrecondition(`container ${JSON.stringify(c.id)} is not running`);
    const x = this.#cx.get(c.id) as ContainerExtra;
    await this.#runtime(x.handler).runtime.reopenLog(c.id, ctx.signal ? { signal: ctx.signal } : {});
    return {};
  }

  /** GetContainerEvents: every event from now on, until the client cancels or the server closes. */
  async *getContainerEvents(_req: GetEventsRequest, ctx: CallContext = {}): AsyncGenerator<EventInit> {
    for await (const e of this.events.subscribe(ctx.signal)) yield e;
  }

  // --- stats -----------------------------------------------------------------

  /** What the stats collector needs of a container (see src/stats). */
  #containerSubject(r: ContainerRecord): ContainerStatsSubject {
    const x = this.#cx.get(r.id);
    const state = containerState(r.status);
    // The init process exists from create (waiting to start) until exit.
    const live = (state === "RUNNING" || state === "CREATED") && r.status.pid > 0;
    return {
      id: r.id,
      attributes: {
        id: r.id,
        ...(r.metadata.config.metadata ? { metadata: r.metadata.config.metadata } : {}),
        labels: r.metadata.config.labels,
        annotations: r.metadata.config.annotations,
      },
      ...(live ? { pid: r.status.pid } : {}),
      ...(x !== undefined ? { writableLayerDir: join(x.rwDir, "upper") } : {}),
    };
  }

  /** What the stats collector needs of a pod. */
  #podSubject(r: SandboxRecord): PodStatsSubject {
    const x = this.#sx.get(r.id);
    const ready = sandboxState(r.status) === "READY";
    const cgroupPath = podCgroupPath((x && this.#runtimes.get(x.handler)?.cgroupDriver) ?? this.config.cgroup_driver, r.metadata.config.linux?.cgroupParent ?? "");
    return {
      id: r.id,
      attributes: {
        id: r.id,
        ...(r.metadata.config.metadata ? { metadata: r.metadata.config.metadata } : {}),
        labels: r.metadata.config.labels,
        annotations: r.metadata.config.annotations,
      },
      ready,
      ...(cgroupPath !== undefined ? { cgroupPath } : {}),
      podPids: ready && x?.mode === "infra" && r.status.pid > 0 ? [r.status.pid] : [],
      ownNetwork: x !== undefined && !x.hostNetwork,
      containers: this.containers
        .listBySandbox(r.id)
        .filter((c) => !this.#hidden.has(c.id))
        .map((c) => this.#containerSubject(c)),
    };
  }

  #statsContainers(filter: ListContainerStatsRequest["filter"]): readonly ContainerRecord[] {
    this.#check();
    const f = filter ? { id: filter.id, podSandboxId: filter.podSandboxId, labelSelector: filter.labelSelector } : undefined;
    return this.containers.list((r) => !this.#hidden.has(r.id) && containerMatches(r, f));
  }

  #statsSandboxes(filter: ListPodSandboxStatsRequest["filter"]): readonly SandboxRecord[] {
    this.#check();
    const f = filter ? { id: filter.id, labelSelector: filter.labelSelector } : undefined;
    return this.sandboxes.list((r) => !this.#hidden.has(r.id) && sandboxMatches(r, f));
  }

  /**
   * ContainerStats: attributes and writable layer always; cpu, memory and
   * swap while the container's process runs. An unknown ID is NotFound.
   */
  async containerStats(req: ContainerStatsRequest, _ctx?: CallContext): Promise<MessageInitShape<typeof import("../cri.js").ContainerStatsResponseSchema>> {
    const r = this.#container(req.containerId);
    return { stats: await this.#stats.containerStats(this.#containerSubject(r)) };
  }

  /** ListContainerStats with the filter (ID prefix, sandbox ID prefix, labels). */
  async listContainerStats(req: ListContainerStatsRequest, _ctx?: CallContext): Promise<MessageInitShape<typeof import("../cri.js").ListContainerStatsResponseSchema>> {
    const list = this.#statsContainers(req.filter);
    return { stats: await this.#stats.listContainerStats(list.map((r) => this.#containerSubject(r))) };
  }

  /** StreamContainerStats: ListContainerStats in chunks. */
  async *streamContainerStats(req: StreamContainerStatsRequest, _ctx?: CallContext): AsyncGenerator<MessageInitShape<typeof import("../cri.js").StreamContainerStatsResponseSchema>> {
    const list = this.#statsContainers(req.filter);
    for (const chunk of chunks(list)) yield { containerStats: await this.#stats.listContainerStats(chunk.map((r) => this.#containerSubject(r))) };
  }

  /**
   * PodSandboxStats: attributes; for a ready pod cpu, memory and process
   * count (its cgroup_parent, or its running members summed) and network;
   * its containers' stats. An unknown ID is NotFound.
   */
  async podSandboxStats(req: PodSandboxStatsRequest, _ctx?: CallContext): Promise<MessageInitShape<typeof import("../cri.js").PodSandboxStatsResponseSchema>> {
    const r = this.#sandbox(req.podSandboxId);
    return { stats: await this.#stats.podStats(this.#podSubject(r)) };
  }

  /** ListPodSandboxStats with the filter (ID prefix, labels). */
  async listPodSandboxStats(req: ListPodSandboxStatsRequest, _ctx?: CallContext): Promise<MessageInitShape<typeof import("../cri.js").ListPodSandboxStatsResponseSchema>> {
    const list = this.#statsSandboxes(req.filter);
    return { stats: await this.#stats.listPodStats(list.map((r) => this.#podSubject(r))) };
  }

  /** StreamPodSandboxStats: ListPodSandboxStats in chunks. */
  async *streamPodSandboxStats(req: StreamPodSandboxStatsRequest, _ctx?: CallContext): AsyncGenerator<MessageInitShape<typeof import("../cri.js").StreamPodSandboxStatsResponseSchema>> {
    const list = this.#statsSandboxes(req.filter);
    for (const chunk of chunks(list)) yield { podSandboxStats: await this.#stats.listPodStats(chunk.map((r) => this.#podSubject(r))) };
  }

  // --- RuntimeService: not implemented here ------------------------------------

  /** Exec: Unimplemented (needs the streaming server). */
  exec(_req: ExecRequest): never {
    throw unimplemented("Exec is not implemented by crikit yet: it needs a streaming server; use ExecSync");
  }
  /** Attach: Unimplemented (needs the streaming server). */
  attach(_req: AttachRequest): never {
    throw unimplemented("Attach is not implemented by crikit yet: it needs a streaming server; read the container log instead");
  }
  /** PortForward: Unimplemented (needs the streaming server). */
  portForward(_req: PortForwardRequest): never {
    throw unimplemented("PortForward is not implemented by crikit yet: it needs a streaming server");
  }
  /** ListMetricDescriptors: Unimplemented. */
  listMetricDescriptors(_req: ListMetricDescriptorsRequest): never {
    throw unimplemented("ListMetricDescriptors is not implemented by crikit yet");
  }
  /** ListPodSandboxMetrics: Unimplemented. */
  listPodSandboxMetrics(_req: ListPodSandboxMetricsRequest): never {
    throw unimplemented("ListPodSandboxMetrics is not implemented by crikit yet");
  }
  /** StreamPodSandboxMetrics: Unimplemented. */
  async *streamPodSandboxMetrics(_req: StreamPodSandboxMetricsRequest): AsyncGenerator<never> {
    throw unimplemented("StreamPodSandboxMetrics is not implemented by crikit yet");
  }
  /** CheckpointContainer: Unimplemented. */
  checkpointContainer(_req: CheckpointContainerRequest): never {
    throw unimplemented("CheckpointContainer is not implemented by crikit yet");
  }

  // --- ImageService ------------------------------------------------------------

  /** ListImages, optionally filtered by an image reference or ID. */
  async listImages(req: ListImagesRequest, _ctx?: CallContext): Promise<MessageInitShape<typeof import("../cri.js").ListImagesResponseSchema>> {
    const ref = req.filter?.image?.image ?? "";
    const list = await this.images.list(ref !== "" ? { image: ref } : undefined);
    return { images: list.map(criImageOf) };
  }

  /** StreamImages: ListImages in chunks. */
  async *streamImages(req: StreamImagesRequest, _ctx?: CallContext): AsyncGenerator<MessageInitShape<typeof import("../cri.js").StreamImagesResponseSchema>> {
    const ref = req.filter?.image?.image ?? "";
    const list = await this.images.list(ref !== "" ? { image: ref } : undefined);
    for (const chunk of chunks(list.map(criImageOf))) yield { images: chunk };
  }

  /** ImageStatus: an absent image gives an empty response, not an error. */
  async imageStatus(req: ImageStatusRequest, _ctx?: CallContext): Promise<MessageInitShape<typeof import("../cri.js").ImageStatusResponseSchema>> {
    const ref = req.image?.image ?? "";
    if (ref === "") throw invalidArgument("image.image is empty", "image.image");
    const img = await this.images.status(ref);
    if (img === undefined) return {};
    const info: Record<string, string> = {};
    if (req.verbose) {
      info["info"] = JSON.stringify({ imageSpec: img.config, manifestDigest: img.manifestDigest, chainIds: img.chainIds, pulledAt: img.pulledAt });
    }
    return { image: criImageOf(img), info };
  }

  /** PullImage: `image_ref` is the image ID, as everywhere else. */
  async pullImage(req: PullImageRequest, ctx: CallContext = {}): Promise<MessageInitShape<typeof import("../cri.js").PullImageResponseSchema>> {
    this.#check();
    const ref = req.image?.image ?? "";
    if (ref === "") throw invalidArgument("image.image is empty", "image.image");
    const handler = req.image?.runtimeHandler ?? "";
    if (handler !== "") this.#resolveHandler(handler);
    let auth: import("../image/index.js").RegistryAuth | undefined;
    const a = req.auth;
    if (a !== undefined) {
      auth = {
        ...(a.username ? { username: a.username } : {}),
        ...(a.password ? { password: a.password } : {}),
        ...(a.auth ? { auth: a.auth } : {}),
        ...(a.serverAddress ? { serverAddress: a.serverAddress } : {}),
        ...(a.identityToken ? { identityToken: a.identityToken } : {}),
        ...(a.registryToken ? { registryToken: a.registryToken } : {}),
      };
    } else {
      const domain = parseReference(ref, "image.image").domain;
      const conf = this.config.registry.auths[domain];
      if (conf !== undefined) {
        auth = {
          ...(conf.username ? { username: conf.username } : {}),
          ...(conf.password ? { password: conf.password } : {}),
          ...(conf.auth ? { auth: conf.auth } : {}),
          ...(conf.identity_token ? { identityToken: conf.identity_token } : {}),
        };
      }
    }
    const res = await this.images.pull(ref, { ...(auth ? { auth } : {}), ...(ctx.signal ? { signal: ctx.signal } : {}) }).catch((err: unknown) => {
      throw isCrikitError(err) && err.code === "NotFound" ? imageNotInRegistry(ref, err) : err;
    });
    this.#log.info({ image: ref, id: res.imageRef }, "image pulled");
    return { imageRef: res.imageRef };
  }

  /** RemoveImage: idempotent. */
  async removeImage(req: RemoveImageRequest, _ctx?: CallContext): Promise<MessageInitShape<typeof import("../cri.js").RemoveImageResponseSchema>> {
    this.#check();
    const ref = req.image?.image ?? "";
    if (ref === "") throw invalidArgument("image.image is empty", "image.image");
    await this.images.remove(ref);
    return {};
  }

  /** ImageFsInfo: usage of the image store's filesystem. */
  async imageFsInfo(_req: ImageFsInfoRequest, ctx: CallContext = {}): Promise<MessageInitShape<typeof import("../cri.js").ImageFsInfoResponseSchema>> {
    const u = await this.images.fsInfo(ctx.signal ? { signal: ctx.signal } : {});
    const fs = {
      timestamp: BigInt(u.timestamp) * 1_000_000n,
      fsId: { mountpoint: u.mountpoint },
      usedBytes: { value: BigInt(u.usedBytes) },
      inodesUsed: { value: BigInt(u.inodesUsed) },
    };
    return { imageFilesystems: [fs], containerFilesystems: [] };
  }
}

/** Containers of one pod stopped or removed at the same time. */
const POD_PARALLELISM = 8;

/** Runs `fn` over `items`, at most `limit` at a time; rejects with the first failure once all have settled. */
async function mapLimit<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  let failure: { err: unknown } | undefined;
  const worker = async (): Promise<void> => {
    for (;;) {
      const i = next++;
      if (i >= items.length) return;
      try {
        await fn(items[i] as T);
      } catch (err) {
        failure ??= { err };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failure) throw failure.err;
}

/** Splits a list for a Stream* RPC: each message holds at least one item. */
function chunks<T>(items: readonly T[], size = 500): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

const RUNTIME_RPCS = [
  "version",
  "runPodSandbox",
  "stopPodSandbox",
  "removePodSandbox",
  "podSandboxStatus",
  "listPodSandbox",
  "streamPodSandboxes",
  "createContainer",
  "startContainer",
  "stopContainer",
  "removeContainer",
  "listContainers",
  "streamContainers",
  "containerStatus",
  "updateContainerResources",
  "reopenContainerLog",
  "execSync",
  "exec",
  "attach",
  "portForward",
  "containerStats",
  "listContainerStats",
  "streamContainerStats",
  "podSandboxStats",
  "listPodSandboxStats",
  "streamPodSandboxStats",
  "updateRuntimeConfig",
  "status",
  "checkpointContainer",
  "getContainerEvents",
  "listMetricDescriptors",
  "listPodSandboxMetrics",
  "streamPodSandboxMetrics",
  "runtimeConfig",
  "updatePodSandboxResources",
] as const;

const IMAGE_RPCS = ["listImages", "streamImages", "imageStatus", "pullImage", "removeImage", "imageFsInfo"] as const;

