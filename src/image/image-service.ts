/**
 * The image service behind the CRI ImageService RPCs: pull, status, list,
 * remove, filesystem usage, and the image config for spec generation.
 *
 * Layout under `root`:
 *
 * ```
 * content/     the content store (blobs/sha256/<hex>)
 * snapshots/   unpacked layers by chain ID (see Snapshotter)
 * images/      one JSON record per image (see ImageRecord)
 * ```
 *
 * Pull: resolve the tag or digest to a manifest (through an index for the
 * wanted platform), store index, manifest and config, download the layers
 * (three at a time, each retried and verified; a finished download starts the
 * next, so downloads never wait for the unpacking), unpack them bottom up into
 * chain-ID snapshots (checking each layer's diff ID against the config; in a
 * worker thread by default, see UnpackThread), then write the record.
 * Concurrent pulls of one reference share one pull; a blob or snapshot
 * wanted by two pulls is produced once.
 *
 * Names: the image ID is the config digest. Pulling a tag moves it to the new
 * image. Removal: by ID or repo digest, the image goes with all its names; by
 * a repo tag, only that tag goes while the image has other tags (the image
 * itself goes with its last tag). This follows the "removing one of
 * several tags keeps the image" and CRI-O; containerd instead drops every
 * name of the image. An image vanishes from status and list at once; its
 * blobs and snapshots are collected right after unless another image or a
 * container (see `inUse`) still needs them.
 *
 * Diagnostics: each finished pull publishes `{image, id?, durationMs, error?}`
 * on the `crikit:image:pull` diagnostics channel. A pull, each blob
 * downloaded and each layer unpacked are the steps `image.pull`,
 * `image.fetch` and `image.unpack` (a span each and the `crikit:step`
 * channel, see `src/telemetry`).
 *
 * @packageDocumentation
 */
import { channel } from "node:diagnostics_channel";
import { join } from "node:path";
import { CrikitError } from "../errors.js";
import { ContentStore } from "./content-store.js";
import { isSha256Digest } from "./digest.js";
import { formatReference, normalizeReference, parseReference, repoDigest, repoTag, type ParsedReference } from "../reference/index.js";
import { ImageStore, type ImageStoreRecord } from "../stores/index.js";
import { ImageRecordFiles, PersistedImageIndex, resolveImage, toImageRecord, type ImageDetails, type ImageRecord } from "./image-records.js";
import { dirUsage, type DirUsage } from "../stats/dir-usage.js";
import { hostPlatform } from "./platform.js";
import { RegistryClient, type ImageLogger } from "./registry-client.js";
import { imageSpecConfig, type ImageFsUsage, type ImageServiceOptions, type ImageSpecConfig, type PullOptions, type PullResult } from "./image-service-types.js";
import { Snapshotter } from "./snapshotter.js";
import { UnpackThread } from "./unpack-thread.js";
import { runStep } from "../telemetry/index.js";
import { silentLogger } from "../logger.js";
import { fetchImage, type PullParts } from "./image-pull.js";

export { imageSpecConfig } from "./image-service-types.js";
export type { ImageFsUsage, ImageServiceOptions, ImageSpecConfig, PullOptions, PullResult } from "./image-service-types.js";


const pullChannel = channel("crikit:image:pull");

const silent: ImageLogger = silentLogger;

/**
 * Pulls, stores, lists and removes images.
 *
 * @example
 * ```ts
 * const images = new ImageService({
 *   root: "/var/lib/crikit/images",
 *   registry: { hosts: { "docker.io": { mirrors: ["https://mirror.example"] }, "10.0.0.5:5000": { insecure: true } } },
 *   pinnedImages: ["registry.k8s.io/pause:3.10"],
 *   inUse: () => containers.list().map((c) => c.imageId),
 * });
 * await images.init();
 * const { imageRef } = await images.pull("busybox:1.36", { auth: fromCriAuthConfig(req.auth), signal });
 * const cfg = await images.specConfig(imageRef); // user, env, entrypoint, cmd, ...
 * await images.mountRootfs(imageRef, rootfsDir, { upperDir, workDir });
 * ```
 *
 * @public
 */
export class ImageService {
  /** The state directory, `options.root`; holds `content/`, `snapshots/` and `images/`. */
  readonly root: string;
  /** The blob store, in `<root>/content`. */
  readonly content: ContentStore;
  /** The unpacked layers, in `<root>/snapshots`. */
  readonly snapshots: Snapshotter;
  /** The registry client: `options.registry` if it is one, else one built from those options. */
  readonly registry: RegistryClient;
  readonly #index: PersistedImageIndex;
  readonly #timeoutMs: number;
  readonly #pinnedRefs: Set<string>;
  readonly #inUse: () => Iterable<string>;
  readonly #unpacker: UnpackThread | undefined;
  readonly #parts: PullParts;
  readonly #log: ImageLogger;
  /** The in-memory index (IDs, repo tags, repo digests, ID prefixes). */
  readonly #images = new ImageStore<ImageDetails>();
  readonly #pulls = new Map<string, Promise<PullResult>>();
  #ready: Promise<void> | undefined;
  #gc: Promise<void> = Promise.resolve();
  #gcSkipped = false;
  #closed: Promise<void> | undefined;
  #fsCache: ImageFsUsage | undefined;
  readonly #fsCacheMs: number;
  readonly #closing = new AbortController();

  constructor(options: ImageServiceOptions) {
    this.root = options.root;
    this.content = new ContentStore({ root: join(options.root, "content") });
    this.snapshots = new Snapshotter({ root: join(options.root, "snapshots") });
    this.#index = new PersistedImageIndex(new ImageRecordFiles(join(options.root, "images")), this.#images);
    this.registry = options.registry instanceof RegistryClient ? options.registry : new RegistryClient(options.registry ?? {});
    this.#timeoutMs = options.pullTimeoutMs ?? 0;
    this.#pinnedRefs = new Set((options.pinnedImages ?? []).map((r) => (isSha256Digest(r) ? r : normalizeReference(r, "pinnedImages"))));
    this.#inUse = options.inUse ?? (() => []);
    this.#unpacker = (options.unpackInWorker ?? true) ? new UnpackThread() : undefined;
    const platform = options.platform ?? hostPlatform();
    const maxDownloads = Math.max(1, options.maxConcurrentDownloads ?? 3);
    this.#parts = { registry: this.registry, content: this.content, snapshots: this.snapshots, unpacker: this.#unpacker, platform, maxDownloads };
    this.#fsCacheMs = options.fsInfoCacheMs ?? 5000;
    this.#log = options.logger ?? silent;
  }

  /** Creates the directories and loads the records from disk. Idempotent. */
  init(): Promise<void> {
    if (this.#closed !== undefined) return Promise.reject(new CrikitError("Unavailable", "the image service is closed"));
    this.#ready ??= (async () => {
      await this.content.init();
      await this.snapshots.init();
      await this.#index.load();
      await this.#index.sweepUnrecorded(this.content, this.snapshots);
    })();
    return this.#ready;
  }

  /**
   * Pulls `image` (a reference) and returns its ID. Concurrent pulls of one
   * reference share one pull.
   */
  async pull(image: string, options: PullOptions = {}): Promise<PullResult> {
    await this.init();
    const ref = parseReference(image);
    const key = normalizeReference(image);
    const running = this.#pulls.get(key);
    if (running !== undefined) return running;
    const started = performance.now();
    const p = runStep("image.pull", { "crikit.image": key }, () => this.#pull(ref, options)).then(
      (r) => {
        if (pullChannel.hasSubscribers) pullChannel.publish({ image: key, id: r.imageRef, durationMs: performance.now() - started });
        return r;
      },
      (err: unknown) => {
        if (pullChannel.hasSubscribers) pullChannel.publish({ image: key, durationMs: performance.now() - started, error: err });
        throw err;
      },
    );
    this.#pulls.set(key, p);
    try {
      return await p;
    } finally {
      this.#pulls.delete(key);
      if (this.#pulls.size === 0 && this.#gcSkipped) void this.collectGarbage().catch((err: unknown) => this.#log.warn({ err: String(err) }, "garbage collection failed"));
    }
  }

  async #pull(ref: ParsedReference, options: PullOptions): Promise<PullResult> {
    const outer = [options.signal, this.#timeoutMs > 0 ? AbortSignal.timeout(this.#timeoutMs) : undefined].filter((s): s is AbortSignal => s !== undefined);
    const outerSignal = outer.length === 0 ? undefined : outer.length === 1 ? outer[0] : AbortSignal.any(outer);
    // Stops this pull's downloads that run ahead when another step fails.
    const stop = new AbortController();
    const signal = AbortSignal.any([stop.signal, this.#closing.signal, ...outer]);
    const call = { ...(options.auth ? { auth: options.auth } : {}), signal };
    const downloads = new Map<number, Promise<void>>();
    const name = formatReference(ref);
    this.#log.info({ image: name }, "pulling image");
    // The unpacking worker boots while the manifest and config download.
    this.#unpacker?.warm();
    try {
      const { top, manifestDigest, manifest, config, chain, blobs, size } = await fetchImage(this.#parts, ref, name, call, downloads, options.onProgress);
      const id = manifest.config.digest;
      const tag = repoTag(ref);
      const refs = { repoTags: tag === undefined ? [] : [tag], repoDigests: [repoDigest(ref, top.digest)] };
      const prev = this.#images.find(id);
      const pinned = (prev?.pinned ?? false) || options.pinned === true || this.#pinnedRefs.has(name) || this.#pinnedRefs.has(id) || (tag !== undefined && this.#pinnedRefs.has(tag));
      const details: ImageDetails = {
        manifestDigest,
        blobs: [...new Set([...(prev?.config.blobs ?? []), ...blobs])],
        layers: manifest.layers.map((l) => l.digest),
        chainIds: chain,
        config,
        pulledAt: prev?.config.pulledAt ?? Date.now(),
      };
      if (prev !== undefined) this.#images.remove(id); // re-added with merged names and details
      this.#images.add({
        id,
        repoTags: [...(prev?.repoTags ?? []), ...refs.repoTags],
        repoDigests: [...(prev?.repoDigests ?? []), ...refs.repoDigests],
        size: BigInt(size),
        pinned,
        config: details,
      });
      await this.#persist();
      const rec = toImageRecord(this.#images.get(id));
      this.#log.info({ image: name, id }, "pulled image");
      return { imageRef: id, image: rec };
    } catch (err) {
      stop.abort();
      await Promise.allSettled(downloads.values());
      if (this.#closing.signal.aborted && !(err instanceof CrikitError)) {
        throw new CrikitError("Unavailable", `pull of ${name} stopped: the image service is shutting down`, { cause: err });
      }
      if (outerSignal?.aborted && !(err instanceof CrikitError)) {
        const reason: unknown = outerSignal.reason;
        const timedOut = (reason as { name?: string } | undefined)?.name === "TimeoutError";
        throw new CrikitError(timedOut ? "DeadlineExceeded" : "Canceled", `pull of ${name} ${timedOut ? "timed out" : "was canceled"}`, { cause: err });
      }
      throw err;
    }
  }

  /**
   * The image that `ref` names: an image ID (`sha256:<hex>` or bare hex), a
   * repo tag or a repo digest, normalised. Undefined when absent.
   */
  async status(ref: string): Promise<ImageRecord | undefined> {
    await this.init();
    const hit = resolveImage(this.#images, ref);
    return hit === undefined ? undefined : toImageRecord(hit.image);
  }

  /** Writes the records that changed (see `PersistedImageIndex`); the usage changes too. */
  async #persist(): Promise<void> {
    this.#fsCache = undefined;
    await this.#index.persist();
  }

  /** All images, or those `filter` names (an ID, tag or digest reference), sorted by ID. */
  async list(filter?: { image?: string }): Promise<ImageRecord[]> {
    await this.init();
    if (filter?.image) {
      const one = resolveImage(this.#images, filter.image);
      return one === undefined ? [] : [toImageRecord(one.image)];
    }
    return this.#images
      .list()
      .map(toImageRecord)
      .sort((a, b) => (a.id < b.id ? -1 : 1));
  }

  /**
   * Removes the image `ref` names; no error if absent. By a tag while the
   * image has other tags, only the tag is removed. Disk space is reclaimed
   * before this resolves.
   */
  async remove(ref: string): Promise<void> {
    await this.init();
    const hit = resolveImage(this.#images, ref);
    if (hit === undefined) return;
    const img = hit.image;
    if (hit.by === "tag" && img.repoTags.length > 1) {
      this.#images.untag(hit.name);
      await this.#persist();
      return;
    }
    this.#images.remove(img.id);
    await this.#index.retain([img], new Set(this.#inUse()));
    await this.#persist();
    this.#log.info({ id: img.id }, "removed image");
    await this.collectGarbage();
  }

  /**
   * Removes blobs and snapshots that no image (and no in-use image) needs.
   * Pinned images are never removed, and their content is always kept.
   */
  collectGarbage(): Promise<void> {
    const run = async (): Promise<void> => {
      if (this.#pulls.size > 0) {
        // A pull may be using content no record names yet; collect once the pulls are done.
        this.#gcSkipped = true;
        return;
      }
      this.#gcSkipped = false;
      const blobs = new Set<string>();
      const snaps = new Set<string>();
      for (const img of this.#images.list()) {
        for (const b of img.config.blobs) blobs.add(b);
        for (const c of img.config.chainIds) snaps.add(c);
      }
      await this.#index.keepRetained(new Set(this.#inUse()), snaps);
      this.#fsCache = undefined;
      for (const b of await this.content.list()) if (!blobs.has(b)) await this.content.delete(b);
      for (const c of await this.snapshots.list()) if (!snaps.has(c)) await this.snapshots.remove(c);
    };
    this.#gc = this.#gc.then(run, run);
    return this.#gc;
  }

  /** Sets or clears the pin of an image (pinned images are kept by {@link ImageService.prune}). */
  async setPinned(ref: string, pinned: boolean): Promise<void> {
    await this.init();
    const hit = resolveImage(this.#images, ref);
    if (hit === undefined) throw new CrikitError("NotFound", `image "${ref}" not found`);
    this.#images.setPinned(hit.image.id, pinned);
    await this.#persist();
  }

  /**
   * Removes every image that is neither pinned nor in `keep` (IDs), for
   * image garbage collection by the runtime. Returns the removed IDs.
   */
  async prune(keep: Iterable<string> = []): Promise<string[]> {
    await this.init();
    const k = new Set([...keep, ...this.#inUse()]);
    const gone: string[] = [];
    const removed: ImageStoreRecord<ImageDetails>[] = [];
    for (const img of this.#images.list()) {
      if (img.pinned || k.has(img.id)) continue;
      this.#images.remove(img.id);
      removed.push(img);
      gone.push(img.id);
    }
    await this.#index.retain(removed, new Set(this.#inUse()));
    await this.#persist();
    if (gone.length > 0) await this.collectGarbage();
    return gone;
  }

  /** The image config parts for container spec generation; NotFound if absent. */
  async specConfig(ref: string): Promise<ImageSpecConfig> {
    const img = await this.status(ref);
    if (img === undefined) throw new CrikitError("NotFound", `image "${ref}" not found`, { details: { field: "image" } });
    return imageSpecConfig(img.config);
  }

  /**
   * Usage of the image filesystem (content, snapshots and records), counted
   * as `du` does (`dirUsage`); a measurement is reused for `fsInfoCacheMs` unless an image
   * was pulled or removed since.
   */
  async fsInfo(options: { signal?: AbortSignal } = {}): Promise<ImageFsUsage> {
    await this.init();
    if (this.#fsCache !== undefined && Date.now() - this.#fsCache.timestamp < this.#fsCacheMs) return { ...this.#fsCache };
    const opts = options.signal ? { signal: options.signal } : {};
    const usage = await Promise.all(["content", "snapshots", "images"].map((d) => dirUsage(join(this.root, d), opts)));
    const sum = (f: (u: DirUsage) => bigint): number => Number(usage.reduce((a, u) => a + f(u), 0n));
    this.#fsCache = { mountpoint: this.root, usedBytes: sum((u) => u.usedBytes), inodesUsed: sum((u) => u.inodesUsed), timestamp: Date.now() };
    return { ...this.#fsCache };
  }

  /** Lower dirs of an image's rootfs, top first. */
  async lowerDirs(ref: string): Promise<string[]> {
    const img = await this.status(ref);
    if (img === undefined) throw new CrikitError("NotFound", `image "${ref}" not found`, { details: { field: "image" } });
    return this.snapshots.lowerDirs(img.chainIds);
  }

  /**
   * Mounts a container rootfs: an overlay of the image's layers with the
   * container's own upper and work dirs.
   */
  async mountRootfs(ref: string, target: string, dirs: { upperDir: string; workDir: string; signal?: AbortSignal }): Promise<void> {
    const img = await this.status(ref);
    if (img === undefined) throw new CrikitError("NotFound", `image "${ref}" not found`, { details: { field: "image" } });
    await this.snapshots.mount({ chainIds: img.chainIds, target, upperDir: dirs.upperDir, workDir: dirs.workDir, ...(dirs.signal ? { signal: dirs.signal } : {}) });
  }

  /** Unmounts a rootfs mounted by {@link ImageService.mountRootfs}. */
  async unmountRootfs(target: string, options: { signal?: AbortSignal } = {}): Promise<void> {
    await this.snapshots.unmount(target, options);
  }

  /**
   * Stops taking calls (they reject with Unavailable) and waits for running
   * pulls and garbage collection to finish. Idempotent.
   */
  close(): Promise<void> {
    this.#closed ??= (async () => {
      await Promise.allSettled([...this.#pulls.values()]);
      await this.#gc.catch(() => undefined);
      await this.#unpacker?.close();
    })();
    return this.#closed;
  }

  /** Like {@link ImageService.close}, but cancels running pulls first. Idempotent. */
  destroy(reason?: unknown): Promise<void> {
    this.#closing.abort(reason ?? new CrikitError("Unavailable", "the image service is shutting down"));
    return this.close();
  }

  /** Same as {@link ImageService.close}, for `await using`. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
