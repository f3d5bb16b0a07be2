/**
 * The persisted image records: one JSON file per image under `root`, named
 * after the image ID's hex (`<config-hex>.json`), written atomically and
 * durably (temp file, fsync, rename, directory fsync). On start the
 * records are read back, which rebuilds the in-memory index of repo tags
 * and repo digests.
 *
 * `retained.json` maps the IDs of removed images that containers still use
 * to their chain IDs, so their layers survive a restart until released.
 *
 * The in-memory index is crikit's image store (`src/stores`); this file is
 * its on-disk half.
 *
 * @packageDocumentation
 */
import { randomBytes } from "node:crypto";
import { mkdir, open, readdir, readFile, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import { fsyncDir } from "../fs/sync-dir.js";
import { isImageIdReference, normalizeReference } from "../reference/index.js";
import type { ImageStore, ImageStoreRecord } from "../stores/index.js";
import { digestHex } from "./digest.js";
import type { ImageConfigFile } from "./media-types.js";

/**
 * What the image module keeps per image besides names, size and pin (which
 * the image store holds).
 *
 * @public
 */
export type ImageDetails = Omit<ImageRecord, "id" | "repoTags" | "repoDigests" | "size" | "pinned">;

/**
 * What crikit knows about one pulled image.
 *
 * @public
 */
export interface ImageRecord {
  /** The image ID: the config digest. */
  id: string;
  /** Normalised `registry/repo:tag` names. */
  repoTags: string[];
  /** Normalised `registry/repo@digest` names (digest of what was pulled: index or manifest). */
  repoDigests: string[];
  /** The digest of the platform manifest. */
  manifestDigest: string;
  /** Every blob this image needs: index (if any), manifest, config, layers. */
  blobs: string[];
  /** Layer digests, bottom first. */
  layers: string[];
  /** Chain IDs, bottom first. */
  chainIds: string[];
  /** Compressed size: manifest, config and layers. */
  size: number;
  /** Never removed by garbage collection (the sandbox image, for instance). */
  pinned: boolean;
  /** The image config document. */
  config: ImageConfigFile;
  /** When the image was first pulled, ms since the epoch. */
  pulledAt: number;
}

/**
 * Reads and writes image records.
 *
 * @internal
 */
export class ImageRecordFiles {
  readonly root: string;

  constructor(root: string) {
    this.root = root;
  }

  async init(): Promise<void> {
    await mkdir(this.root, { recursive: true });
  }

  async load(): Promise<ImageRecord[]> {
    const out: ImageRecord[] = [];
    for (const n of await readdir(this.root)) {
      if (n.startsWith(".tmp-")) {
        await rm(join(this.root, n), { force: true });
        continue;
      }
      if (!/^[a-f0-9]{64}\.json$/.test(n)) continue;
      try {
        out.push(JSON.parse(await readFile(join(this.root, n), "utf8")) as ImageRecord);
      } catch {
        // A damaged record: the image is pulled again when needed.
      }
    }
    return out;
  }

  async save(rec: ImageRecord): Promise<void> {
    await this.#writeAtomic(`${digestHex(rec.id)}.json`, JSON.stringify(rec));
  }

  async loadRetained(): Promise<Record<string, string[]>> {
    try {
      return JSON.parse(await readFile(join(this.root, "retained.json"), "utf8")) as Record<string, string[]>;
    } catch {
      return {};
    }
  }

  async saveRetained(map: Record<string, readonly string[]>): Promise<void> {
    await this.#writeAtomic("retained.json", JSON.stringify(map));
  }

  /** Writes `name` under the root atomically and durably: temp file, fsync, rename, directory fsync. */
  async #writeAtomic(name: string, data: string): Promise<void> {
    const tmp = join(this.root, `.tmp-${randomBytes(6).toString("hex")}`);
    const fh = await open(tmp, "wx", 0o644);
    try {
      try {
        await fh.writeFile(data);
        await fh.sync();
      } finally {
        await fh.close();
      }
      await rename(tmp, join(this.root, name));
    } catch (e) {
      await rm(tmp, { force: true });
      throw e;
    }
    await fsyncDir(this.root);
  }

  async delete(id: string): Promise<void> {
    await rm(join(this.root, `${digestHex(id)}.json`), { force: true });
  }
}

/**
 * The image that `ref` names in `images`: an image ID (`sha256:<hex>` or
 * bare hex), a repo tag or a repo digest, normalised, or a unique prefix of
 * an image ID; how it was named, and the normalised name.
 */
export function resolveImage(images: ImageStore<ImageDetails>, ref: string): { image: ImageStoreRecord<ImageDetails>; by: "id" | "tag" | "digest"; name: string } | undefined {
  if (ref === "") return undefined;
  if (/^[a-f0-9]{64}$/.test(ref) || isImageIdReference(ref)) {
    const id = ref.startsWith("sha256:") ? ref : `sha256:${ref}`;
    const img = images.find(id);
    return img === undefined ? undefined : { image: img, by: "id", name: id };
  }
  let normalized: string | undefined;
  try {
    normalized = normalizeReference(ref);
  } catch {
    normalized = undefined;
  }
  if (normalized !== undefined) {
    const img = images.find(normalized);
    if (img !== undefined) return { image: img, by: normalized.includes("@") ? "digest" : "tag", name: normalized };
  }
  // A unique prefix of an image ID, as `crictl rmi 3f2a` sends.
  if (/^(sha256:)?[a-f0-9]{1,63}$/.test(ref)) {
    const img = images.find(ref);
    if (img !== undefined) return { image: img, by: "id", name: img.id };
  }
  return undefined;
}

/** The record of a stored image, as `ImageService` answers it. */
export function toImageRecord(r: ImageStoreRecord<ImageDetails>): ImageRecord {
  return { id: r.id, repoTags: [...r.repoTags], repoDigests: [...r.repoDigests], size: Number(r.size), pinned: r.pinned, ...r.config };
}

/**
 * The image index as kept on disk: each image's record, written when it
 * changed and deleted with the image, and the chain IDs of removed images
 * that containers still use (kept, so a restart keeps their layers).
 */
export class PersistedImageIndex {
  readonly #files: ImageRecordFiles;
  readonly #images: ImageStore<ImageDetails>;
  /** The record last written per image ID, to write only what changed. */
  readonly #saved = new Map<string, ImageStoreRecord<ImageDetails>>();
  /** Chain IDs of removed images, kept while a container may still use them. */
  readonly #retained = new Map<string, readonly string[]>();

  constructor(files: ImageRecordFiles, images: ImageStore<ImageDetails>) {
    this.#files = files;
    this.#images = images;
  }

  /** Creates the directory and loads the records into the index. */
  async load(): Promise<void> {
    await this.#files.init();
    for (const rec of await this.#files.load()) {
      const { id, repoTags, repoDigests, size, pinned, ...details } = rec;
      this.#saved.set(id, this.#images.add({ id, repoTags, repoDigests, size: BigInt(size), pinned, config: details }));
    }
    for (const [id, chain] of Object.entries(await this.#files.loadRetained())) this.#retained.set(id, chain);
  }

  /**
   * At start-up, after {@link PersistedImageIndex.load}: removes the blobs
   * and snapshots no record names nor retains, which a pull cut short by a
   * crash leaves (its retry fetches them again).
   */
  async sweepUnrecorded(content: { list(): Promise<string[]>; delete(digest: string): Promise<unknown> }, snapshots: { list(): Promise<string[]>; remove(chainId: string): Promise<unknown> }): Promise<void> {
    const images = this.#images.list();
    const blobs = new Set(images.flatMap((img) => img.config.blobs));
    const snaps = new Set([...images.flatMap((img) => img.config.chainIds), ...[...this.#retained.values()].flat()]);
    for (const b of await content.list()) if (!blobs.has(b)) await content.delete(b);
    for (const c of await snapshots.list()) if (!snaps.has(c)) await snapshots.remove(c);
  }

  /** Writes the records that changed since the last write and deletes those of removed images. */
  async persist(): Promise<void> {
    const live = new Set<string>();
    for (const rec of this.#images.list()) {
      live.add(rec.id);
      if (this.#saved.get(rec.id) === rec) continue;
      await this.#files.save(toImageRecord(rec));
      this.#saved.set(rec.id, rec);
    }
    for (const id of [...this.#saved.keys()]) {
      if (live.has(id)) continue;
      await this.#files.delete(id);
      this.#saved.delete(id);
    }
  }

  /** Remembers the layers of the removed images that are in `used`. */
  async retain(removed: readonly ImageStoreRecord<ImageDetails>[], used: ReadonlySet<string>): Promise<void> {
    const kept = removed.filter((img) => used.has(img.id));
    for (const img of kept) this.#retained.set(img.id, img.config.chainIds);
    if (kept.length > 0) await this.#files.saveRetained(Object.fromEntries(this.#retained));
  }

  /** Adds the retained chains of images still in `used` to `snaps`, and forgets the others. */
  async keepRetained(used: ReadonlySet<string>, snaps: Set<string>): Promise<void> {
    let changed = false;
    for (const [id, chain] of this.#retained) {
      if (used.has(id)) for (const c of chain) snaps.add(c);
      else changed = this.#retained.delete(id) || changed;
    }
    if (changed) await this.#files.saveRetained(Object.fromEntries(this.#retained));
  }
}
