/**
 * A content-addressed blob store on disk.
 *
 * Layout under `root`:
 *
 * ```
 * blobs/sha256/<hex>    verified blobs, read-only once written
 * ingest/<random>       partial downloads (removed on failure and on open)
 * ```
 *
 * A blob is written to `ingest/`, hashed and counted as it streams, flushed
 * with fsync, and renamed into `blobs/` only when its sha256 and size match the
 * descriptor; the directory is fsync'd after the rename. A reader therefore
 * never sees a partial or corrupt blob under `blobs/`. Concurrent requests for
 * one digest share one write (the first caller's source is used; the others
 * wait for it). Collection of unreferenced blobs is the caller's job
 * ({@link ContentStore.delete}); the store does not know which blobs are used.
 *
 * @packageDocumentation
 */
import { createHash, randomBytes } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdir, open, readdir, readFile, rename, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { crashPoint } from "../crash-points.js";
import { CrikitError } from "../errors.js";
import { fsyncDir } from "../fs/sync-dir.js";
import { dirUsage } from "../stats/dir-usage.js";
import { digestHex, sha256Digest } from "./digest.js";

/**
 * Options of {@link ContentStore}.
 *
 * @public
 */
export interface ContentStoreOptions {
  /** The directory that holds `blobs/` and `ingest/`; created if missing. */
  root: string;
}

/**
 * Options of {@link ContentStore.ingest}.
 *
 * @public
 */
export interface IngestOptions {
  /** Cancels the write; the partial file is removed. */
  signal?: AbortSignal;
  /** Called with the bytes written so far, at most once per chunk. */
  onProgress?: (written: number) => void;
}

/**
 * Something that yields a blob's bytes: an async iterable of chunks, opened lazily.
 *
 * @public
 */
export type BlobSource = () => Promise<AsyncIterable<Uint8Array> | Iterable<Uint8Array>>;

/**
 * Content-addressed blob store with atomic, verified writes.
 *
 * @public
 */
export class ContentStore {
  /** The store's root directory. */
  readonly root: string;
  readonly #inflight = new Map<string, Promise<void>>();
  #ready: Promise<void> | undefined;

  constructor(options: ContentStoreOptions) {
    this.root = options.root;
  }

  /** Creates the directories and removes leftovers of interrupted writes. Idempotent. */
  init(): Promise<void> {
    this.#ready ??= (async () => {
      await mkdir(join(this.root, "blobs", "sha256"), { recursive: true });
      await rm(join(this.root, "ingest"), { recursive: true, force: true });
      await mkdir(join(this.root, "ingest"), { recursive: true });
    })();
    return this.#ready;
  }

  /** The path of a blob (whether or not it exists). */
  path(digest: string): string {
    return join(this.root, "blobs", "sha256", digestHex(digest));
  }

  /** Whether the blob is stored. */
  async has(digest: string): Promise<boolean> {
    try {
      await stat(this.path(digest));
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return false;
      throw err;
    }
  }

  /** The blob's bytes; NotFound if it is not stored. */
  async read(digest: string): Promise<Buffer> {
    try {
      return await readFile(this.path(digest));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") {
        throw new CrikitError("NotFound", `blob ${digest} is not in the content store`, { cause: err });
      }
      throw err;
    }
  }

  /** A stream of the blob's bytes. */
  createReadStream(digest: string): NodeJS.ReadableStream & AsyncIterable<Buffer> {
    return createReadStream(this.path(digest), { highWaterMark: 1 << 20 });
  }

  /** The blob parsed as JSON. */
  async readJson<T>(digest: string): Promise<T> {
    const buf = await this.read(digest);
    try {
      return JSON.parse(buf.toString("utf8")) as T;
    } catch (err) {
      throw new CrikitError("DataLoss", `blob ${digest} is not valid JSON`, { cause: err });
    }
  }

  /**
   * Stores `data` under its own digest, or under `expected` after checking it
   * matches. Returns the digest.
   */
  async write(data: Uint8Array, expected?: string): Promise<string> {
    const digest = sha256Digest(data);
    if (expected !== undefined && expected !== digest) {
      throw new CrikitError("DataLoss", `content has digest ${digest}, expected ${expected}`);
    }
    await this.ingest(digest, data.byteLength, async () => [data]);
    return digest;
  }

  /**
   * Stores the blob `digest` of `size` bytes from `source`, unless it is
   * already stored. The bytes are verified before the blob becomes visible;
   * a mismatch throws DataLoss and keeps nothing. Concurrent calls for one
   * digest share one write.
   */
  async ingest(digest: string, size: number, source: BlobSource, options: IngestOptions = {}): Promise<void> {
    const hex = digestHex(digest);
    for (;;) {
      const running = this.#inflight.get(hex);
      if (running === undefined) break;
      try {
        await running;
        return;
      } catch {
        // The other writer failed; try with our own source below.
      }
    }
    // Registered before the first await, so a concurrent call finds it.
    const p = (async () => {
      if (await this.has(digest)) return;
      await this.#write(hex, size, source, options);
    })();
    this.#inflight.set(hex, p);
    try {
      await p;
    } finally {
      if (this.#inflight.get(hex) === p) this.#inflight.delete(hex);
    }
  }

  async #write(hex: string, size: number, source: BlobSource, options: IngestOptions): Promise<void> {
    await this.init();
    const { signal, onProgress } = options;
    signal?.throwIfAborted();
    const tmp = join(this.root, "ingest", `${hex.slice(0, 16)}-${randomBytes(6).toString("hex")}`);
    const fh = await open(tmp, "wx", 0o644);
    let ok = false;
    try {
      const hash = createHash("sha256");
      let written = 0;
      // Small network chunks are gathered into ~1 MiB gathered writes (writev): fewer
      // syscalls, and no copy into a staging buffer (less GC).
      let pending: Uint8Array[] = [];
      let pendingBytes = 0;
      const flush = async (): Promise<void> => {
        if (pendingBytes === 0) return;
        const bufs = pending;
        pending = [];
        pendingBytes = 0;
        await fh.writev(bufs);
      };
      for await (const chunk of await source()) {
        signal?.throwIfAborted();
        written += chunk.byteLength;
        if (written > size) {
          throw new CrikitError("DataLoss", `blob sha256:${hex} is larger than the expected ${size} bytes`);
        }
        hash.update(chunk);
        pending.push(chunk);
        pendingBytes += chunk.byteLength;
        if (pendingBytes >= 1 << 20 || pending.length >= 512) await flush();
        onProgress?.(written);
      }
      await flush();
      crashPoint("PullImage.mid-blob-write");
      if (written !== size) {
        // A body cut short: worth another try.
        throw new CrikitError("DataLoss", `blob sha256:${hex} has ${written} bytes, expected ${size}`, { details: { retryable: true } });
      }
      const got = hash.digest("hex");
      if (got !== hex) {
        throw new CrikitError("DataLoss", `blob has digest sha256:${got}, expected sha256:${hex}`);
      }
      await fh.sync();
      await fh.close();
      await rename(tmp, join(this.root, "blobs", "sha256", hex));
      await fsyncDir(join(this.root, "blobs", "sha256"));
      ok = true;
      crashPoint("PullImage.after-blob-write");
    } finally {
      if (!ok) {
        await fh.close().catch(() => undefined);
        await rm(tmp, { force: true });
      }
    }
  }

  /** Removes a blob; no error if it is absent. */
  async delete(digest: string): Promise<void> {
    await rm(this.path(digest), { force: true });
  }

  /** The digests of all stored blobs. */
  async list(): Promise<string[]> {
    await this.init();
    const names = await readdir(join(this.root, "blobs", "sha256"));
    return names.filter((n) => /^[a-f0-9]{64}$/.test(n)).map((n) => `sha256:${n}`);
  }

  /** Bytes and inodes the blob directory uses, counted as `du` does (see `dirUsage`). */
  async usage(): Promise<{ bytes: number; inodes: number }> {
    const u = await dirUsage(join(this.root, "blobs", "sha256"));
    return { bytes: Number(u.usedBytes), inodes: Number(u.inodesUsed) };
  }
}
