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
 * itself goes with its last tag). This follows the issue's "removing one of
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
import { loadExeca } from "../lazy.js";
import { join } from "node:path";
import { Readable } from "node:stream";
import { CrikitError } from "../errors.js";
import { ContentStore } from "./content-store.js";
import { chainIds as computeChainIds, isSha256Digest } from "./digest.js";
import { formatReference, isImageIdReference, normalizeReference, parseReference, repoDigest, repoTag, repositoryName, type ParsedReference } from "../reference/index.js";
import { ImageStore, type ImageStoreRecord } from "../stores/index.js";
import { ImageRecordFiles, type ImageDetails, type ImageRecord } from "./image-records.js";
import { MediaType, layerCompression, type Descriptor, type ImageConfigFile, type ImageIndex, type ImageManifest, type Platform } from "./media-types.js";
import { hostPlatform, selectPlatform } from "./platform.js";
import { RegistryClient, type ImageLogger, type PullProgress, type RegistryAuth, type RegistryClientOptions } from "./registry-client.js";
import { crashPoint } from "../crash-points.js";
import { Snapshotter } from "./snapshotter.js";
import { applyLayer } from "./unpack.js";
import { UnpackThread } from "./unpack-thread.js";
import { runStep } from "../telemetry/index.js";
import { silentLogger } from "../logger.js";

/**
 * Options of {@link ImageService}.
 *
 * @public
 */
export interface ImageServiceOptions {
  /** Root directory for content, snapshots and records. */
  root: string;
  /**
   * The registry client, or options to build one.
   * @defaultValue a client with default options
   */
  registry?: RegistryClient | RegistryClientOptions;
  /**
   * The platform to select from multi-platform images.
   * @defaultValue {@link hostPlatform}()
   */
  platform?: Platform;
  /**
   * Time limit of one pull in ms; 0 for none.
   * @defaultValue `0`
   */
  pullTimeoutMs?: number;
  /**
   * References (or IDs) of images that are pinned when pulled (the sandbox image).
   * @defaultValue `[]`
   */
  pinnedImages?: string[];
  /**
   * Image IDs that containers use; their snapshots are never collected.
   * @defaultValue none
   */
  inUse?: () => Iterable<string>;
  /**
   * How long an {@link ImageService.fsInfo} measurement is reused, in ms (0: measure every time).
   * @defaultValue `5000`
   */
  fsInfoCacheMs?: number;
  /**
   * Parallel layer downloads per pull.
   * @defaultValue `3`
   */
  maxConcurrentDownloads?: number;
  /**
   * Unpack layers in a worker thread (same checks, off the caller's event
   * loop; the worker ends after 10 s idle). `false` unpacks on the main thread.
   * @defaultValue `true`
   */
  unpackInWorker?: boolean;
  /** Logger; silent by default. */
  logger?: ImageLogger;
}

/**
 * Options of {@link ImageService.pull}.
 *
 * @public
 */
export interface PullOptions {
  /**
   * Registry credentials (the CRI `PullImageRequest.auth`); anonymous when
   * omitted. A call that joins a running pull of the same reference uses
   * that pull's credentials.
   */
  auth?: RegistryAuth;
  /**
   * Cancels the pull (together with `pullTimeoutMs`). A call that joins a
   * running pull of the same reference waits on that pull's signal.
   */
  signal?: AbortSignal;
  /** Called as blobs download. */
  onProgress?: (p: PullProgress) => void;
  /** Pin the image. */
  pinned?: boolean;
}

/**
 * What {@link ImageService.pull} returns.
 *
 * @public
 */
export interface PullResult {
  /** The image ID (config digest); the CRI `image_ref`. */
  imageRef: string;
  /** The stored record of the pulled image. */
  image: ImageRecord;
}

/**
 * The parts of the image config that container spec generation uses.
 *
 * @public
 */
export interface ImageSpecConfig {
  /** The image's `User` (`name`, `uid`, with optional `:group`), or "" when it sets none. */
  user: string;
  /** The image's `Env` entries, `NAME=value`; `[]` when it sets none. */
  env: string[];
  /** The image's `Entrypoint`; `[]` when it sets none. */
  entrypoint: string[];
  /** The image's `Cmd`; `[]` when it sets none. */
  cmd: string[];
  /** The image's `WorkingDir`, or "" when it sets none. */
  workingDir: string;
  /** Volume paths. */
  volumes: string[];
  /** The image's `Labels`; `{}` when it sets none. */
  labels: Record<string, string>;
  /** For instance `SIGTERM`, or "" when the image sets none. */
  stopSignal: string;
  /** Exposed ports as `port/proto` (`80/tcp`), sorted; `[]` when none. */
  exposedPorts: string[];
}

/**
 * Image filesystem usage, as CRI `ImageFsInfo` wants it.
 *
 * @public
 */
export interface ImageFsUsage {
  /** The directory that holds the images. */
  mountpoint: string;
  /** Bytes used by content, snapshots and records (`du -B1`); the CRI `used_bytes`. */
  usedBytes: number;
  /** Inodes used by content, snapshots and records (`du --inodes`); the CRI `inodes_used`. */
  inodesUsed: number;
  /** ms since the epoch. */
  timestamp: number;
}

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
  readonly #records: ImageRecordFiles;
  readonly #platform: Platform;
  readonly #timeoutMs: number;
  readonly #pinnedRefs: Set<string>;
  readonly #inUse: () => Iterable<string>;
  readonly #maxDownloads: number;
  readonly #unpacker: UnpackThread | undefined;
  readonly #log: ImageLogger;
  /** The in-memory index (IDs, repo tags, repo digests, ID prefixes). */
  readonly #images = new ImageStore<ImageDetails>();
  /** The record last written to disk per image ID, to persist only what changed. */
  readonly #saved = new Map<string, ImageStoreRecord<ImageDetails>>();
  /** Chain IDs of removed images, kept while a container may still use them (see `inUse`). */
  readonly #retained = new Map<string, readonly string[]>();
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
    this.#records = new ImageRecordFiles(join(options.root, "images"));
    this.registry = options.registry instanceof RegistryClient ? options.registry : new RegistryClient(options.registry ?? {});
    this.#platform = options.platform ?? hostPlatform();
    this.#timeoutMs = options.pullTimeoutMs ?? 0;
    this.#pinnedRefs = new Set((options.pinnedImages ?? []).map((r) => (isSha256Digest(r) ? r : normalizeReference(r, "pinnedImages"))));
    this.#inUse = options.inUse ?? (() => []);
    this.#maxDownloads = Math.max(1, options.maxConcurrentDownloads ?? 3);
    this.#unpacker = (options.unpackInWorker ?? true) ? new UnpackThread() : undefined;
    this.#fsCacheMs = options.fsInfoCacheMs ?? 5000;
    this.#log = options.logger ?? silent;
  }

  /** Creates the directories and loads the records from disk. Idempotent. */
  init(): Promise<void> {
    if (this.#closed !== undefined) return Promise.reject(new CrikitError("Unavailable", "the image service is closed"));
    this.#ready ??= (async () => {
      await this.content.init();
      await this.snapshots.init();
      await this.#records.init();
      for (const rec of await this.#records.load()) {
        const { id, repoTags, repoDigests, size, pinned, ...details } = rec;
        const stored = this.#images.add({ id, repoTags, repoDigests, size: BigInt(size), pinned, config: details });
        this.#saved.set(id, stored);
      }
      for (const [id, chain] of Object.entries(await this.#records.loadRetained())) this.#retained.set(id, chain);
      await this.#sweepUnrecorded();
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
      const top = await this.registry.fetchManifest(ref, ref.digest ?? ref.tag ?? "latest", call);
      await this.content.write(top.bytes, top.digest);
      const blobs = [top.digest];
      let manifestDigest = top.digest;
      let manifest: ImageManifest;
      if (top.mediaType === MediaType.ociIndex || top.mediaType === MediaType.dockerManifestList) {
        const index = parseJson<ImageIndex>(top.bytes, "image index");
        const chosen = selectPlatform(index.manifests ?? [], this.#platform);
        if (chosen === undefined) {
          const want = `${this.#platform.os}/${this.#platform.architecture}${this.#platform.variant ? `/${this.#platform.variant}` : ""}`;
          throw new CrikitError("NotFound", `image ${name} has no manifest for platform ${want}`);
        }
        const m = await this.registry.fetchManifest(ref, chosen.digest, call);
        await this.content.write(m.bytes, m.digest);
        blobs.push(m.digest);
        manifestDigest = m.digest;
        manifest = parseJson<ImageManifest>(m.bytes, "image manifest");
      } else if (top.mediaType === MediaType.ociManifest || top.mediaType === MediaType.dockerManifest) {
        manifest = parseJson<ImageManifest>(top.bytes, "image manifest");
      } else {
        throw new CrikitError("InvalidArgument", `image ${name} has unsupported manifest type "${top.mediaType}"`, { details: { field: "image" } });
      }
      if (!manifest.config || !Array.isArray(manifest.layers)) throw new CrikitError("DataLoss", `manifest of ${name} lacks config or layers`);
      await this.#fetchBlob(ref, manifest.config, call, options.onProgress);
      const config = await this.content.readJson<ImageConfigFile>(manifest.config.digest);
      const diffIds = config.rootfs?.diff_ids ?? [];
      if (diffIds.length !== manifest.layers.length) {
        throw new CrikitError("DataLoss", `image ${name}: the config lists ${diffIds.length} layers, the manifest ${manifest.layers.length}`);
      }
      for (const l of manifest.layers) {
        if (layerCompression(l.mediaType) === undefined) throw new CrikitError("InvalidArgument", `image ${name} has a layer of unsupported type "${l.mediaType}"`, { details: { field: "image" } });
      }
      const chain = computeChainIds(diffIds);
      // Downloads run ahead, `maxConcurrentDownloads` at a time, each finished one starting
      // the next, whatever the unpacking's pace; layers are unpacked bottom up as they arrive.
      let next = 0;
      let active = 0;
      const startMore = (): void => {
        while (next < manifest.layers.length && active < this.#maxDownloads && !signal.aborted) {
          const i = next++;
          const d = manifest.layers[i] as Descriptor;
          active++;
          const p = this.#snapshotNeeded(chain[i] as string)
            .then((need) => (need ? this.#fetchBlob(ref, d, call, options.onProgress) : undefined))
            .finally(() => {
              active--;
              startMore();
            });
          p.catch(() => undefined);
          downloads.set(i, p);
        }
      };
      startMore();
      for (let i = 0; i < manifest.layers.length; i++) {
        await downloads.get(i);
        const layer = manifest.layers[i] as Descriptor;
        const chainId = chain[i] as string;
        await this.snapshots.prepare(chainId, async (dir) => {
          const opts = { compression: layerCompression(layer.mediaType) ?? "none", lowerDirs: this.snapshots.lowerDirs(chain.slice(0, i)), signal };
          const unpacker = this.#unpacker;
          const res = await runStep("image.unpack", { "crikit.digest": layer.digest, bytes: layer.size }, () =>
            unpacker === undefined ? applyLayer(dir, Readable.from(this.content.createReadStream(layer.digest)), opts) : unpacker.apply(dir, this.content.path(layer.digest), opts),
          );
          if (res.diffId !== diffIds[i]) {
            throw new CrikitError("DataLoss", `layer ${layer.digest} of ${name} unpacks to ${res.diffId}, the config says ${diffIds[i]}`);
          }
          crashPoint("PullImage.mid-unpack");
        });
        crashPoint("PullImage.after-unpack");
      }
      blobs.push(manifest.config.digest, ...manifest.layers.map((l) => l.digest));
      const id = manifest.config.digest;
      const size = top.bytes.byteLength + manifest.config.size + manifest.layers.reduce((a, l) => a + l.size, 0);
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
      const rec = toRecord(this.#images.get(id));
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

  async #snapshotNeeded(chainId: string): Promise<boolean> {
    return !(await this.snapshots.has(chainId));
  }

  async #fetchBlob(ref: ParsedReference, d: Descriptor, call: { auth?: RegistryAuth; signal?: AbortSignal }, onProgress?: (p: PullProgress) => void): Promise<void> {
    if (await this.content.has(d.digest)) return;
    try {
      await runStep("image.fetch", { "crikit.digest": d.digest, bytes: d.size }, () => this.#downloadBlob(ref, d, call, onProgress));
    } catch (err) {
      if (err instanceof CrikitError || call.signal?.aborted) throw err;
      const code = (err as { cause?: { code?: unknown } }).cause?.code;
      throw new CrikitError("Unavailable", `download of blob ${d.digest} of ${repositoryName(ref)} broke off${typeof code === "string" ? ` (${code})` : ""}; nothing of it was kept`, { cause: err });
    }
  }

  /** One retry loop around open-and-stream, so a body cut short is retried like a refused connection. */
  async #downloadBlob(ref: ParsedReference, d: Descriptor, call: { auth?: RegistryAuth; signal?: AbortSignal }, onProgress?: (p: PullProgress) => void): Promise<void> {
    await this.registry.withRetry(
      `blob ${d.digest}`,
      () =>
        this.content.ingest(d.digest, d.size, () => this.registry.openBlob(ref, d.digest, { ...call, retries: 0 }), {
          ...(call.signal ? { signal: call.signal } : {}),
          ...(onProgress ? { onProgress: (written: number) => onProgress({ digest: d.digest, written, total: d.size }) } : {}),
        }),
      call.signal,
    );
  }

  /**
   * The image that `ref` names: an image ID (`sha256:<hex>` or bare hex), a
   * repo tag or a repo digest, normalised. Undefined when absent.
   */
  async status(ref: string): Promise<ImageRecord | undefined> {
    await this.init();
    const hit = this.#resolve(ref);
    return hit === undefined ? undefined : toRecord(hit.image);
  }

  #resolve(ref: string): { image: ImageStoreRecord<ImageDetails>; by: "id" | "tag" | "digest"; name: string } | undefined {
    if (ref === "") return undefined;
    if (/^[a-f0-9]{64}$/.test(ref) || isImageIdReference(ref)) {
      const id = ref.startsWith("sha256:") ? ref : `sha256:${ref}`;
      const img = this.#images.find(id);
      return img === undefined ? undefined : { image: img, by: "id", name: id };
    }
    let normalized: string | undefined;
    try {
      normalized = normalizeReference(ref);
    } catch {
      normalized = undefined;
    }
    if (normalized !== undefined) {
      const img = this.#images.find(normalized);
      if (img !== undefined) return { image: img, by: normalized.includes("@") ? "digest" : "tag", name: normalized };
    }
    // A unique prefix of an image ID, as `crictl rmi 3f2a` sends.
    if (/^(sha256:)?[a-f0-9]{1,63}$/.test(ref)) {
      const img = this.#images.find(ref);
      if (img !== undefined) return { image: img, by: "id", name: img.id };
    }
    return undefined;
  }

  /** Remembers the layers of removed images that containers still use, on disk so a restart keeps them. */
  async #retain(removed: readonly ImageStoreRecord<ImageDetails>[]): Promise<void> {
    const used = new Set(this.#inUse());
    let changed = false;
    for (const img of removed) {
      if (!used.has(img.id)) continue;
      this.#retained.set(img.id, img.config.chainIds);
      changed = true;
    }
    if (changed) await this.#saveRetained();
  }

  async #saveRetained(): Promise<void> {
    await this.#records.saveRetained(Object.fromEntries(this.#retained));
  }

  /** Writes the records that changed since the last write and deletes those of removed images. */
  async #persist(): Promise<void> {
    this.#fsCache = undefined;
    const live = new Set<string>();
    for (const rec of this.#images.list()) {
      live.add(rec.id);
      if (this.#saved.get(rec.id) === rec) continue;
      await this.#records.save(toRecord(rec));
      this.#saved.set(rec.id, rec);
    }
    for (const id of [...this.#saved.keys()]) {
      if (live.has(id)) continue;
      await this.#records.delete(id);
      this.#saved.delete(id);
    }
  }

  /** All images, or those `filter` names (an ID, tag or digest reference), sorted by ID. */
  async list(filter?: { image?: string }): Promise<ImageRecord[]> {
    await this.init();
    if (filter?.image) {
      const one = this.#resolve(filter.image);
      return one === undefined ? [] : [toRecord(one.image)];
    }
    return this.#images
      .list()
      .map(toRecord)
      .sort((a, b) => (a.id < b.id ? -1 : 1));
  }

  /**
   * Removes the image `ref` names; no error if absent. By a tag while the
   * image has other tags, only the tag is removed. Disk space is reclaimed
   * before this resolves.
   */
  async remove(ref: string): Promise<void> {
    await this.init();
    const hit = this.#resolve(ref);
    if (hit === undefined) return;
    const img = hit.image;
    if (hit.by === "tag" && img.repoTags.length > 1) {
      this.#images.untag(hit.name);
      await this.#persist();
      return;
    }
    this.#images.remove(img.id);
    await this.#retain([img]);
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
      const used = new Set(this.#inUse());
      let changed = false;
      for (const [id, chain] of this.#retained) {
        if (used.has(id)) for (const c of chain) snaps.add(c);
        else changed = this.#retained.delete(id) || changed;
      }
      if (changed) await this.#saveRetained();
      this.#fsCache = undefined;
      for (const b of await this.content.list()) if (!blobs.has(b)) await this.content.delete(b);
      for (const c of await this.snapshots.list()) if (!snaps.has(c)) await this.snapshots.remove(c);
    };
    this.#gc = this.#gc.then(run, run);
    return this.#gc;
  }

  /**
   * At start-up: removes the blobs and snapshots no record names nor
   * retains, which a pull cut short by a crash leaves (its retry fetches
   * them again).
   */
  async #sweepUnrecorded(): Promise<void> {
    const blobs = new Set(this.#images.list().flatMap((img) => img.config.blobs));
    const snaps = new Set([...this.#images.list().flatMap((img) => img.config.chainIds), ...[...this.#retained.values()].flat()]);
    for (const b of await this.content.list()) if (!blobs.has(b)) await this.content.delete(b);
    for (const c of await this.snapshots.list()) if (!snaps.has(c)) await this.snapshots.remove(c);
  }

  /** Sets or clears the pin of an image (pinned images are kept by {@link ImageService.prune}). */
  async setPinned(ref: string, pinned: boolean): Promise<void> {
    await this.init();
    const hit = this.#resolve(ref);
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
    await this.#retain(removed);
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
   * Usage of the image filesystem (content, snapshots and records), measured
   * with `du`; a measurement is reused for `fsInfoCacheMs` unless an image
   * was pulled or removed since.
   */
  async fsInfo(options: { signal?: AbortSignal } = {}): Promise<ImageFsUsage> {
    await this.init();
    if (this.#fsCache !== undefined && Date.now() - this.#fsCache.timestamp < this.#fsCacheMs) return { ...this.#fsCache };
    const opts = { cwd: this.root, ...(options.signal ? { cancelSignal: options.signal } : {}) };
    const bytes = await (await loadExeca())("du", ["-s", "-B1", "--", "content", "snapshots", "images"], opts);
    const inodes = await (await loadExeca())("du", ["-s", "--inodes", "--", "content", "snapshots", "images"], opts);
    const sum = (out: string): number => out.split("\n").reduce((a, l) => a + (Number.parseInt(l, 10) || 0), 0);
    this.#fsCache = { mountpoint: this.root, usedBytes: sum(String(bytes.stdout)), inodesUsed: sum(String(inodes.stdout)), timestamp: Date.now() };
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

/**
 * The spec-relevant parts of an image config, with empty defaults.
 *
 * @public
 */
export function imageSpecConfig(config: ImageConfigFile): ImageSpecConfig {
  const c = config.config ?? {};
  return {
    user: c.User ?? "",
    env: c.Env ?? [],
    entrypoint: c.Entrypoint ?? [],
    cmd: c.Cmd ?? [],
    workingDir: c.WorkingDir ?? "",
    volumes: Object.keys(c.Volumes ?? {}).sort(),
    labels: c.Labels ?? {},
    stopSignal: c.StopSignal ?? "",
    exposedPorts: Object.keys(c.ExposedPorts ?? {}).sort(),
  };
}

function toRecord(r: ImageStoreRecord<ImageDetails>): ImageRecord {
  return { id: r.id, repoTags: [...r.repoTags], repoDigests: [...r.repoDigests], size: Number(r.size), pinned: r.pinned, ...r.config };
}

function parseJson<T>(bytes: Buffer, what: string): T {
  try {
    return JSON.parse(bytes.toString("utf8")) as T;
  } catch (err) {
    throw new CrikitError("DataLoss", `${what} is not valid JSON`, { cause: err });
  }
}
