/**
 * The CNI adapter: sets up and tears down pod networks by running CNI
 * plugins, the job containerd's go-cni and CRI-O's ocicni do.
 *
 * Per pod (`setUpPod`): the loopback plugin brings `lo` up, then the default
 * network's plugin chain runs ADD in order on `eth0`, each plugin receiving
 * the previous one's result as `prevResult`; the last result gives the pod's
 * IPs. The attachment (config, CNI_ARGS, capability args, result) is cached
 * before the first plugin runs and completed after the last, so a crash in
 * between still leaves what DEL needs. If a plugin fails, the chain is
 * deleted again (best effort, under its own timeout) and the plugin's error
 * is thrown.
 *
 * `tearDownPod` runs DEL in reverse order with the cached config and
 * arguments (falling back to the current default network when nothing was
 * cached) and then forgets the attachment. Every plugin gets its DEL even if
 * an earlier one failed; the first failure is then thrown and the attachment
 * kept, so a retry can finish the job. Idempotent: plugins treat a second
 * DEL, or one whose netns is gone, as success.
 *
 * Verbs by config version: CHECK from cniVersion 0.4.0 (not with
 * `disableCheck`); STATUS and GC from 1.1.0 (GC not with `disableGC`).
 *
 * Concurrency: calls for one pod (by sandbox ID) run one at a time, pods in
 * parallel; every plugin call has a timeout and the caller's AbortSignal.
 *
 * Lifetime: `close()` refuses new calls (Unavailable) and waits for running
 * ones; `destroy(reason)` also aborts them (both idempotent).
 *
 * Diagnostics: each plugin call publishes `{command, plugin, network,
 * containerId, durationMs, error?}` on the `crikit:network:plugin` channel;
 * `setUpPod` and `tearDownPod` are the steps `cni.add` and `cni.del` (a
 * span each and the `crikit:step` channel, see `src/telemetry`).
 *
 * @packageDocumentation
 */
import { access } from "node:fs/promises";
import { CrikitError, failedPrecondition } from "../errors.js";
import { crashPoint } from "../crash-points.js";
import { createFileAttachmentCache } from "./attachment-cache.js";
import type { CniAttachment, CniAttachmentCache } from "./attachment-cache.js";
import { buildCapabilityArgs, buildCniArgs, buildPluginStdin } from "./cni-args.js";
import { toCniNetworkConfigList } from "./cni-config.js";
import type { CniNetworkConfigList, CniPluginConfig } from "./cni-config.js";
import { CniPluginError, isCniPluginError } from "./cni-error.js";
import { createCniExec } from "./cni-exec.js";
import type { CniExec } from "./cni-exec.js";
import { parseCniResult, selectPodIps } from "./cni-result.js";
import type { CniResult } from "./cni-result.js";
import { cniVersionHas } from "./cni-version.js";
import { CniConfDir } from "./conf-dir.js";
import { KeyedMutex } from "./keyed-mutex.js";
import { runStep } from "../telemetry/index.js";
import type { CniLogger, CniManagerOptions, CniNetworkStatus, CniVersionInfo, PodNetworkRequest, PodNetworkSetup, PodNetworkTeardownRequest } from "./cni-manager-types.js";
import { networkNotReadyReason } from "./cni-manager-types.js";
import { CniPluginRunner } from "./cni-plugin-runner.js";

export type { CniLogger, CniManagerOptions, CniNetworkStatus, CniVersionInfo, PodNetworkRequest, PodNetworkSetup, PodNetworkTeardownRequest } from "./cni-manager-types.js";
export { networkNotReadyReason } from "./cni-manager-types.js";

/**
 * The CNI adapter. One per runtime.
 *
 * @example
 * ```ts
 * const netns = createNetnsManager();
 * const cni = new CniManager({ confDir: "/etc/cni/net.d" });
 * const path = await netns.create(sandboxId);
 * const { ips } = await cni.setUpPod({ id: sandboxId, name, namespace, uid, netnsPath: path });
 * // ... later, StopPodSandbox (any number of times):
 * await cni.tearDownPod({ id: sandboxId });
 * await netns.remove(path);
 * ```
 *
 * @public
 */
export class CniManager {
  readonly #confDir: CniConfDir;
  readonly #binDirs: readonly string[];
  readonly #ifName: string;
  readonly #rollbackMs: number;
  readonly #loopback: boolean;
  readonly #checkBinaries: boolean;
  readonly #exec: CniExec;
  readonly #plugins: CniPluginRunner;
  readonly #cache: CniAttachmentCache;
  readonly #log: CniLogger | undefined;
  readonly #locks = new KeyedMutex();
  /** Pod ID to the network name its attachment is cached under. */
  readonly #attachmentKeys = new Map<string, string>();
  readonly #inflight = new Set<Promise<unknown>>();
  readonly #life = new AbortController();
  #closed = false;
  #podCidrs: readonly string[] = [];

  constructor(options: CniManagerOptions = {}) {
    this.#confDir = new CniConfDir(options.confDir ?? "/etc/cni/net.d");
    this.#binDirs = options.binDirs ?? ["/opt/cni/bin", "/usr/lib/cni"];
    this.#ifName = options.ifName ?? "eth0";
    this.#rollbackMs = options.rollbackTimeoutMs ?? 30_000;
    this.#loopback = options.loopback ?? true;
    this.#checkBinaries = options.checkBinaries ?? true;
    this.#exec = options.exec ?? createCniExec();
    this.#cache = options.cache ?? createFileAttachmentCache(options.cacheDir ?? "/var/lib/cni/crikit");
    this.#log = options.logger;
    this.#plugins = new CniPluginRunner(this.#exec, this.#binDirs, options.pluginTimeoutMs ?? 60_000, this.#log);
  }

  /** The conf dir. */
  get confDir(): string {
    return this.#confDir.dir;
  }

  /**
   * Sets the node's pod CIDRs (CRI UpdateRuntimeConfig), passed to plugins
   * declaring the `ipRanges` capability.
   */
  setPodCidrs(cidrs: readonly string[]): void {
    this.#podCidrs = [...cidrs];
  }

  /**
   * Network readiness: re-scans the conf dir (changes are picked up here and
   * before each ADD), checks the default network's plugin binaries, and for
   * a 1.1.0 config asks each plugin with STATUS.
   */
  async status(options: { signal?: AbortSignal } = {}): Promise<CniNetworkStatus> {
    const set = await this.#confDir.load();
    const base = { defaultNetwork: set.defaultNetwork?.name, networks: set.networks.map((n) => n.name), errors: set.errors };
    const notReady = (message: string): CniNetworkStatus => ({ ...base, ready: false, reason: networkNotReadyReason, message });
    const list = set.defaultNetwork;
    if (this.#closed) return notReady("the CNI adapter is closed");
    if (!list) {
      const why = set.errors.length > 0 ? `; skipped: ${set.errors.map((e) => e.message).join("; ")}` : "";
      return notReady(`no valid CNI network configuration in ${this.#confDir.dir}${why}`);
    }
    if (this.#checkBinaries) {
      const types = [...new Set(list.plugins.map((p) => p.type).concat(this.#loopback ? ["loopback"] : []))];
      for (const t of types) {
        if ((await this.#exec.findPlugin(t, this.#binDirs)) === undefined) {
          return notReady(`CNI plugin binary "${t}" of network "${list.name}" not found in ${this.#binDirs.join(":")}`);
        }
      }
    }
    if (cniVersionHas(list.cniVersion, "STATUS")) {
      try {
        await this.#guard(async (signal) => {
          for (const p of list.plugins) {
            await this.#plugins.invoke(list, p, "STATUS", undefined, buildPluginStdin(list, p), signal);
          }
        }, options.signal);
      } catch (e) {
        return notReady((e as Error).message);
      }
    }
    return { ...base, ready: true, reason: "", message: "" };
  }

  /**
   * Attaches a pod to the default network (after bringing `lo` up) and
   * returns its IPs. A host-network pod returns no IPs and runs nothing.
   *
   * @throws CrikitError `FailedPrecondition` when no network is configured or the
   * netns is missing; `AlreadyExists` when the pod is attached already (ADD is
   * not repeated); {@link CniPluginError} when a plugin fails (after rollback).
   */
  setUpPod(req: PodNetworkRequest, options: { signal?: AbortSignal } = {}): Promise<PodNetworkSetup> {
    return runStep("cni.add", { "crikit.sandbox_id": req.id }, () => this.#guard((signal) => this.#locks.run(req.id, () => this.#setUp(req, signal)), options.signal));
  }

  /**
   * Detaches a pod (DEL in reverse chain order, then loopback). Idempotent.
   */
  tearDownPod(req: PodNetworkTeardownRequest, options: { signal?: AbortSignal } = {}): Promise<void> {
    return runStep("cni.del", { "crikit.sandbox_id": req.id }, () => this.#guard((signal) => this.#locks.run(req.id, () => this.#tearDown(req, signal)), options.signal));
  }

  /**
   * Runs CHECK for a pod's attachment (cniVersion 0.4.0 and later, unless
   * `disableCheck`); a no-op for older configs.
   *
   * @throws CrikitError `NotFound` when the pod has no cached attachment.
   */
  checkPod(req: { readonly id: string }, options: { signal?: AbortSignal } = {}): Promise<void> {
    return this.#guard(
      (signal) =>
        this.#locks.run(req.id, async () => {
          const att = await this.#findAttachment(req.id);
          if (!att) throw new CrikitError("NotFound", `pod ${req.id} has no network attachment to check`);
          const list = toCniNetworkConfigList(JSON.parse(att.config), "");
          if (!cniVersionHas(list.cniVersion, "CHECK") || list.disableCheck) return;
          if (att.result === undefined) throw failedPrecondition(`pod ${req.id}: the network attachment has no ADD result to check against`);
          for (const p of list.plugins) {
            const stdin = buildPluginStdin(list, p, { capabilityArgs: att.capabilityArgs, prevResult: att.result });
            await this.#plugins.invoke(list, p, "CHECK", att, stdin, signal);
          }
        }),
      options.signal,
    );
  }

  /**
   * Garbage collection: tears down cached attachments of pods not in
   * `validPodIds`, then, for networks with cniVersion 1.1.0 (and no
   * `disableGC`), sends GC with `cni.dev/valid-attachments` to each plugin.
   *
   * @returns The pod IDs whose attachments were torn down.
   */
  gc(validPodIds: Iterable<string>, options: { signal?: AbortSignal } = {}): Promise<string[]> {
    const valid = new Set(validPodIds);
    return this.#guard(async (signal) => {
      const stale = [...new Set((await this.#cache.list()).filter((a) => !valid.has(a.containerId)).map((a) => a.containerId))];
      const removed: string[] = [];
      for (const id of stale) {
        await this.#locks.run(id, () => this.#tearDown({ id }, signal));
        removed.push(id);
      }
      const atts = await this.#cache.list();
      const set = await this.#confDir.load();
      for (const list of set.networks) {
        if (!cniVersionHas(list.cniVersion, "GC") || list.disableGC) continue;
        const attachments = atts.filter((a) => a.networkName === list.name).map((a) => ({ containerID: a.containerId, ifname: a.ifName }));
        for (const p of list.plugins) {
          const stdin = buildPluginStdin(list, p, { extra: { "cni.dev/valid-attachments": attachments } });
          await this.#plugins.invoke(list, p, "GC", undefined, stdin, signal);
        }
      }
      return removed;
    }, options.signal);
  }

  /** Asks a plugin which spec versions it supports (VERSION). */
  version(pluginType: string, options: { signal?: AbortSignal; cniVersion?: string } = {}): Promise<CniVersionInfo> {
    return this.#guard(async (signal) => {
      const list = toCniNetworkConfigList({ cniVersion: "1.0.0", name: "version", plugins: [{ type: pluginType }] });
      const plugin = list.plugins[0] as CniPluginConfig;
      const out = await this.#plugins.invoke(list, plugin, "VERSION", undefined, JSON.stringify({ cniVersion: options.cniVersion ?? "1.0.0" }), signal);
      const v = JSON.parse(out) as { cniVersion?: unknown; supportedVersions?: unknown };
      return {
        cniVersion: typeof v.cniVersion === "string" ? v.cniVersion : "",
        supportedVersions: Array.isArray(v.supportedVersions) ? v.supportedVersions.filter((x): x is string => typeof x === "string") : [],
      };
    }, options.signal);
  }

  /** Refuses new calls and waits for running ones. Idempotent. */
  async close(): Promise<void> {
    this.#closed = true;
    await Promise.allSettled([...this.#inflight]);
  }

  /** Refuses new calls and aborts running ones (their plugins are killed), then waits for them to settle. Idempotent; async, as every `destroy` of the SDK. */
  async destroy(reason?: unknown): Promise<void> {
    this.#closed = true;
    if (!this.#life.signal.aborted) this.#life.abort(reason ?? new CrikitError("Unavailable", "the CNI adapter was destroyed"));
    await Promise.allSettled([...this.#inflight]);
  }

  /** Same as {@link CniManager.close}, for `await using`. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  async #guard<T>(fn: (signal: AbortSignal) => Promise<T>, signal: AbortSignal | undefined): Promise<T> {
    if (this.#closed) throw new CrikitError("Unavailable", "the CNI adapter is closed");
    signal?.throwIfAborted();
    const s = signal ? AbortSignal.any([signal, this.#life.signal]) : this.#life.signal;
    const p = fn(s);
    this.#inflight.add(p);
    try {
      return await p;
    } finally {
      this.#inflight.delete(p);
    }
  }

  async #setUp(req: PodNetworkRequest, signal: AbortSignal): Promise<PodNetworkSetup> {
    if (req.hostNetwork) return { network: undefined, ips: [], result: undefined };
    signal.throwIfAborted();
    const set = await this.#confDir.load();
    const list = set.defaultNetwork;
    if (!list) throw new CrikitError("FailedPrecondition", `network not ready: no valid CNI network configuration in ${this.#confDir.dir}`);
    try {
      await access(req.netnsPath);
    } catch (e) {
      throw new CrikitError("FailedPrecondition", `pod ${req.id}: network namespace ${req.netnsPath} does not exist`, { cause: e });
    }
    const existing = await this.#findAttachment(req.id);
    if (existing?.result !== undefined) {
      throw new CrikitError("AlreadyExists", `pod ${req.id} is already attached to network "${existing.networkName}"; tear it down first`, {
        details: { network: existing.networkName },
      });
    }
    const cniArgs = buildCniArgs(req);
    const capabilityArgs = buildCapabilityArgs({
      ...(req.portMappings ? { portMappings: req.portMappings } : {}),
      ...(req.annotations ? { annotations: req.annotations } : {}),
      ...(req.dns ? { dns: req.dns } : {}),
      podCidrs: this.#podCidrs,
      ...(req.extraCapabilityArgs ? { extra: req.extraCapabilityArgs } : {}),
    });
    if (this.#loopback) {
      await this.#plugins.loopback("ADD", { containerId: req.id, netns: req.netnsPath, cniArgs }, signal);
    }
    const att: CniAttachment = {
      containerId: req.id,
      ifName: this.#ifName,
      networkName: list.name,
      config: list.bytes,
      netns: req.netnsPath,
      cniArgs,
      capabilityArgs,
    };
    await this.#cache.put(att);
    this.#attachmentKeys.set(req.id, list.name);
    let prev: unknown;
    let result: CniResult | undefined;
    try {
      for (const p of list.plugins) {
        const out = await this.#plugins.invoke(list, p, "ADD", att, buildPluginStdin(list, p, { capabilityArgs, prevResult: prev }), signal);
        try {
          result = parseCniResult(out);
        } catch (e) {
          throw new CniPluginError({ plugin: p.type, command: "ADD", network: list.name, containerId: req.id, exitCode: 0, reason: (e as Error).message, cause: e });
        }
        prev = result.raw;
        if (p !== list.plugins.at(-1)) crashPoint("RunPodSandbox.mid-cni-add");
      }
    } catch (e) {
      await this.#rollback(list, att, e);
      throw e;
    }
    await this.#cache.put({ ...att, result: prev });
    const ips = result ? selectPodIps(result, this.#ifName) : [];
    this.#log?.info({ pod: req.id, network: list.name, ips }, "pod network set up");
    return { network: list.name, ips, result };
  }

  async #rollback(list: CniNetworkConfigList, att: CniAttachment, why: unknown): Promise<void> {
    const signal = AbortSignal.timeout(this.#rollbackMs);
    try {
      await this.#plugins.delChain(list, att, undefined, signal);
      await this.#cache.delete(att.networkName, att.containerId, att.ifName);
      this.#attachmentKeys.delete(att.containerId);
    } catch (e) {
      this.#log?.warn({ pod: att.containerId, network: list.name, err: e, addError: why }, "rollback of a failed CNI ADD failed; teardown will retry");
    }
  }

  async #findAttachment(id: string): Promise<CniAttachment | undefined> {
    const known = this.#attachmentKeys.get(id);
    if (known) {
      const a = await this.#cache.get(known, id, this.#ifName);
      if (a) return a;
    }
    const def = (await this.#confDir.load()).defaultNetwork;
    if (def) {
      const a = await this.#cache.get(def.name, id, this.#ifName);
      if (a) return a;
    }
    return (await this.#cache.list()).find((a) => a.containerId === id && a.ifName === this.#ifName);
  }

  async #tearDown(req: PodNetworkTeardownRequest, signal: AbortSignal): Promise<void> {
    if (req.hostNetwork) return;
    signal.throwIfAborted();
    const cached = await this.#findAttachment(req.id);
    let list: CniNetworkConfigList;
    let att: CniAttachment;
    if (cached) {
      list = toCniNetworkConfigList(JSON.parse(cached.config), "");
      att = req.netnsPath !== undefined ? { ...cached, netns: req.netnsPath } : cached;
    } else {
      const def = (await this.#confDir.load()).defaultNetwork;
      if (!def) {
        this.#log?.debug({ pod: req.id }, "no cached attachment and no CNI network configured: nothing to tear down");
        return;
      }
      list = def;
      const cniArgs: Array<[string, string]> =
        req.name !== undefined && req.namespace !== undefined && req.uid !== undefined
          ? buildCniArgs({ id: req.id, name: req.name, namespace: req.namespace, uid: req.uid })
          : [["IgnoreUnknown", "1"], ["K8S_POD_INFRA_CONTAINER_ID", req.id]];
      att = { containerId: req.id, ifName: this.#ifName, networkName: def.name, config: def.bytes, netns: req.netnsPath ?? "", cniArgs, capabilityArgs: {} };
    }
    const prev = cniVersionHas(list.cniVersion, "CHECK") ? att.result : undefined;
    await this.#plugins.delChain(list, att, prev, signal);
    if (this.#loopback) {
      try {
        await this.#plugins.loopback("DEL", { containerId: req.id, netns: att.netns, cniArgs: att.cniArgs }, signal);
      } catch (e) {
        if (!isCniPluginError(e) || e.canceled || e.timedOut) throw e;
        this.#log?.warn({ pod: req.id, err: e }, "loopback DEL failed; ignored");
      }
    }
    await this.#cache.delete(att.networkName, att.containerId, att.ifName);
    this.#attachmentKeys.delete(req.id);
    this.#log?.info({ pod: req.id, network: list.name }, "pod network torn down");
  }
}
