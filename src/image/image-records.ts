/**
 * The persisted image records: one JSON file per image under `root`, named
 * after the image ID's hex (`<config-hex>.json`), written atomically (temp
 * file, fsync, rename). On start the records are read back, which rebuilds
 * the in-memory index of repo tags and repo digests.
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
    const tmp = join(this.root, `.tmp-${randomBytes(6).toString("hex")}`);
    const fh = await open(tmp, "wx", 0o644);
    try {
      try {
        await fh.writeFile(JSON.stringify(rec));
        await fh.sync();
      } finally {
        await fh.close();
      }
      await rename(tmp, join(this.root, `${digestHex(rec.id)}.json`));
    } catch (e) {
      await rm(tmp, { force: true });
      throw e;
    }
  }

  async loadRetained(): Promise<Record<string, string[]>> {
    try {
      return JSON.parse(await readFile(join(this.root, "retained.json"), "utf8")) as Record<string, string[]>;
    } catch {
      return {};
    }
  }

  async saveRetained(map: Record<string, readonly string[]>): Promise<void> {
    const tmp = join(this.root, `.tmp-${randomBytes(6).toString("hex")}`);
    const fh = await open(tmp, "wx", 0o644);
    try {
      try {
        await fh.writeFile(JSON.stringify(map));
        await fh.sync();
      } finally {
        await fh.close();
      }
      await rename(tmp, join(this.root, "retained.json"));
    } catch (e) {
      await rm(tmp, { force: true });
      throw e;
    }
  }

  async delete(id: string): Promise<void> {
    await rm(join(this.root, `${digestHex(id)}.json`), { force: true });
  }
}
