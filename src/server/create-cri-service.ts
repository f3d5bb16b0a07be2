/**
 * The composition root: {@link createCriService} builds the default
 * adapters a {@link (CriService:class)} runs on from the daemon configuration (an
 * `OciRuntime` per configured handler, the image service, the CNI manager
 * and the netns manager, records under `<root>/records`, the host facts of
 * spec generation, the stats collector), takes any piece the options give
 * instead, and hands the service what it built to close. It holds the
 * shared spawner process ({@link acquireSharedSpawner}) for its life, so the
 * adapters start their commands there rather than by forking the daemon.
 *
 * @packageDocumentation
 */
import { mkdirSync, realpathSync } from "node:fs";
import { hostname as osHostname } from "node:os";
import { join } from "node:path";
import { parseUlimit, runtimeHandlerSettings, type DaemonConfig } from "../config/index.js";
import type { ContainerConfig } from "../cri.js";
import { ImageService } from "../image/index.js";
import { silentLogger, type Logger } from "../logger.js";
import { createObjectDirs } from "../naming/index.js";
import { CniManager, createNetnsManager, type NetnsManager } from "../network/index.js";
import { OciRuntime } from "../oci/index.js";
import type { ContainerRuntime, LifecycleHooks, RuntimeHandler } from "../runtime/index.js";
import { createSandboxController } from "../sandbox/index.js";
import { ALL_CAPABILITIES, type OciSpec } from "../spec/index.js";
import { StatsCollector, type CgroupReader } from "../stats/index.js";
import type { StreamingServer } from "../streaming/index.js";
import { CriService } from "./cri-service.js";
import { boundingCapabilities, createDirRootfsReader, createNodeSpecHost, grantableRlimits, nodeValidationHost, ownOomScoreAdj, swapControllerAvailable } from "./node-host.js";
import { RecordDir } from "./records.js";
import { acquireSharedSpawner } from "../process/index.js";
import { createOwnedPodNetwork } from "./owned-network.js";
import type { ResolvedHandler, SpecEnvironment } from "./service-context.js";
import { errMessage } from "./undo.js";

/**
 * The logger the service takes.
 * @deprecated Use `Logger`, the SDK's one logger contract.
 * @public
 */
export type ServiceLogger = Logger;

/** Options of {@link createCriService}. @public */
export interface CriServiceOptions {
  /** The daemon configuration (see `parseDaemonConfig`). */
  config: DaemonConfig;
  /** Logger, also given to the adapters it builds; silent by default. */
  logger?: Logger;
  /** The runtime version reported by Version. @defaultValue `"0.1.0"` */
  version?: string;
  /**
   * Container runtimes by handler name, replacing the ones built from
   * `config.runtimes`. Shorthand for `handlers` with only `runtime` set.
   */
  runtimes?: Record<string, ContainerRuntime>;
  /**
   * Runtime handlers by name (a pod's `runtime_handler`), each with its own
   * container runtime, and optionally its own sandbox controller and hooks.
   * A name also in `config.runtimes` replaces that handler's runtime and
   * keeps its configured type, options and annotations; any other name adds
   * a handler. Every configured handler without an entry gets an
   * `OciRuntime` over `<state>/oci/<name>`.
   */
  handlers?: Record<string, RuntimeHandler>;
  /** Lifecycle hooks for every handler; a handler's own run after these. */
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
  /** Interval of the exit watches' full re-check, in ms. @defaultValue 2000 */
  exitRecheckMs?: number;
  /**
   * Adjusts a generated container spec before it is written to the bundle.
   * @deprecated Use `hooks.adjustContainerSpec`, which this becomes.
   */
  containerSpecHook?: (spec: OciSpec, info: { id: string; sandboxId: string; handler: string; config: ContainerConfig }) => void;
  /** Reads cgroups and network counters for the stats RPCs. @defaultValue `createCgroupReader()` */
  cgroupReader?: CgroupReader;
  /** How long a container's writable-layer usage stays fresh in the stats RPCs, in ms. @defaultValue 10000 */
  statsCollectionPeriodMs?: number;
  /**
   * The streaming server that Exec, Attach and PortForward hand URLs of
   * (listening, and closed by whoever made it). Without one these RPCs
   * answer Unimplemented.
   */
  streaming?: StreamingServer;
}

/** The handlers: configured ones (an `OciRuntime` each unless given), then given ones the config does not name. */
function resolveHandlers(o: CriServiceOptions, log: Logger, owned: Array<{ close(): Promise<unknown> }>): Map<string, ResolvedHandler> {
  const c = o.config;
  const given: Record<string, RuntimeHandler> = { ...o.handlers };
  for (const [name, runtime] of Object.entries(o.runtimes ?? {})) given[name] ??= { runtime };
  const out = new Map<string, ResolvedHandler>();
  const add = (name: string, h: RuntimeHandler, d: Omit<ResolvedHandler, "name" | "runtime" | "sandboxes" | "hooks" | "rootfsHeldByRuntime">): void => {
    out.set(name, {
      name,
      runtime: h.runtime,
      sandboxes: h.sandboxes ?? createSandboxController(h.runtime),
      hooks: h.hooks,
      type: h.type ?? d.type,
      options: h.options ?? d.options,
      podAnnotations: h.podAnnotations ?? d.podAnnotations,
      containerAnnotations: h.containerAnnotations ?? d.containerAnnotations,
      cgroupDriver: h.cgroupDriver ?? d.cgroupDriver,
      rootfsHeldByRuntime: h.runtime instanceof OciRuntime,
    });
  };
  for (const [name, rc] of Object.entries(c.runtimes)) {
    // [runtimes.<name>.options]: applied, or refused here naming the key.
    const opts = runtimeHandlerSettings(name, rc);
    const systemdCgroup = opts.systemdCgroup ?? c.cgroup_driver === "systemd";
    const root = opts.root ?? rc.root;
    let runtime = given[name]?.runtime;
    if (runtime === undefined) {
      const oci = new OciRuntime({
        stateDir: join(c.state, "oci", name),
        runtime: opts.binary ?? rc.binary,
        ...(root !== undefined ? { runtimeRoot: root } : {}),
        systemdCgroup,
        ...(opts.noPivotRoot ? { noPivotRoot: true } : {}),
        ...(opts.noNewKeyring ? { noNewKeyring: true } : {}),
        logger: log,
      });
      owned.push(oci);
      runtime = oci;
    }
    add(name, { ...given[name], runtime }, {
      type: rc.type,
      options: rc.options,
      podAnnotations: rc.pod_annotations,
      containerAnnotations: rc.container_annotations,
      cgroupDriver: systemdCgroup ? "systemd" : "cgroupfs",
    });
  }
  for (const [name, h] of Object.entries(given)) {
    if (!out.has(name)) add(name, h, { type: "io.crikit.custom", options: {}, podAnnotations: [], containerAnnotations: [], cgroupDriver: c.cgroup_driver });
  }
  return out;
}

/** The host facts of spec generation, read once. */
function hostEnvironment(c: DaemonConfig, log: Logger): SpecEnvironment {
  const ulimits = grantableRlimits(c.default_ulimits.map((u, i) => parseUlimit(u, `default_ulimits[${i}]`)));
  if (ulimits.clamped.length > 0) {
    log.warn({ clamped: ulimits.clamped }, "default_ulimits above the daemon's own hard limits lowered: raising them needs CAP_SYS_RESOURCE");
  }
  return {
    host: createNodeSpecHost(),
    hostCapabilities: boundingCapabilities(ALL_CAPABILITIES),
    oomScoreAdj: ownOomScoreAdj(),
    swapController: swapControllerAvailable(),
    rlimits: ulimits.rlimits,
    nodeHostname: () => osHostname(),
    rootfsReader: createDirRootfsReader,
  };
}

/**
 * Builds a {@link (CriService:class)} and the default adapters it runs on (see the
 * file header); the service's `close()` closes what was built here.
 *
 * @public
 */
export function createCriService(options: CriServiceOptions): CriService {
  const c = options.config;
  const log = options.logger ?? silentLogger;
  // First in, so closed last: the network and OCI adapters run their
  // helpers through it while they close.
  const owned: Array<{ close(): Promise<unknown> }> = [acquireSharedSpawner()];
  const handlers = resolveHandlers(options, log, owned);
  const hosts: Record<string, { insecure?: boolean; mirrors?: string[] }> = {};
  for (const h of c.registry.insecure) hosts[h] = { ...(hosts[h] ?? {}), insecure: true };
  for (const [h, m] of Object.entries(c.registry.mirrors)) hosts[h] = { ...(hosts[h] ?? {}), mirrors: m.endpoints };
  let service: CriService | undefined;
  const images =
    options.images ??
    new ImageService({
      root: join(c.root, "images"),
      registry: { hosts, logger: log },
      platform: { os: c.image.platform.os, architecture: c.image.platform.architecture, ...(c.image.platform.variant ? { variant: c.image.platform.variant } : {}) },
      pullTimeoutMs: c.image.pull_timeout_ms,
      inUse: () => (service?.containers.list() ?? []).map((r) => r.metadata.imageRef),
      logger: log,
    });
  if (options.images === undefined) owned.push(images);
  const cni =
    options.cni ??
    new CniManager({ confDir: c.cni.conf_dir, binDirs: c.cni.bin_dirs, cacheDir: join(c.root, "cni-cache"), pluginTimeoutMs: c.cni.plugin_timeout_ms, logger: log });
  // The real path: /var/run is a symlink to /run, and mountinfo names mount points by real path.
  mkdirSync(c.cni.netns_dir, { recursive: true });
  const netns = options.netns ?? createNetnsManager({ dir: realpathSync(c.cni.netns_dir) });
  const network = createOwnedPodNetwork(cni, netns, {
    ownsCni: options.cni === undefined,
    ownsNetns: options.netns === undefined,
    log,
    podsLeft: () => service?.sandboxes.size ?? 0,
  });
  owned.push(network);
  const legacy = options.containerSpecHook;
  const hooks: LifecycleHooks | undefined =
    legacy === undefined
      ? options.hooks
      : {
          adjustContainerSpec: async (spec, ctx) => {
            legacy(spec, { id: ctx.id, sandboxId: ctx.sandboxId, handler: ctx.handler, config: ctx.config });
            await options.hooks?.adjustContainerSpec?.(spec, ctx);
          },
          ...(options.hooks?.observe ? { observe: options.hooks.observe.bind(options.hooks) } : {}),
        };
  service = new CriService({
    config: c,
    handlers,
    network,
    images,
    dirs: createObjectDirs({ rootDir: c.root, stateDir: c.state }),
    records: {
      sandboxes: new RecordDir(join(c.root, "records", "sandboxes")),
      containers: new RecordDir(join(c.root, "records", "containers")),
      intents: new RecordDir(join(c.root, "records", "intents")),
    },
    env: hostEnvironment(c, log),
    stats: new StatsCollector({
      ...(options.cgroupReader ? { reader: options.cgroupReader } : {}),
      writableLayerPeriodMs: options.statsCollectionPeriodMs ?? 10_000,
      onError: (id, err) => log.debug({ id, err: errMessage(err) }, "writable layer usage"),
    }),
    logger: log,
    hooks,
    owned,
    ...(options.version !== undefined ? { version: options.version } : {}),
    ...(options.streaming !== undefined ? { streaming: options.streaming } : {}),
    validationHost: nodeValidationHost(),
    ...(options.createTimeoutMs !== undefined ? { createTimeoutMs: options.createTimeoutMs } : {}),
    ...(options.rollbackTimeoutMs !== undefined ? { rollbackTimeoutMs: options.rollbackTimeoutMs } : {}),
    ...(options.lateResultTtlMs !== undefined ? { lateResultTtlMs: options.lateResultTtlMs } : {}),
    ...(options.exitRecheckMs !== undefined ? { exitRecheckMs: options.exitRecheckMs } : {}),
  });
  return service;
}
