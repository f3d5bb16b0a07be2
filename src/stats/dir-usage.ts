/**
 * Disk usage of a directory tree (a container's writable layer), the way
 * `du` counts it: allocated blocks × 512 and one inode per entry, hard
 * links counted once, the root included; and a per-key cache refreshed at
 * most once per period.
 *
 * The rules are in the TSDoc of {@link DirUsageCache}.
 *
 * @packageDocumentation
 */
import { lstat, readdir } from "node:fs/promises";
import { join } from "node:path";

/**
 * The usage of a directory tree.
 *
 * @public
 */
export interface DirUsage {
  /** Allocated bytes (blocks × 512). */
  usedBytes: bigint;
  /** Entries, the root included. */
  inodesUsed: bigint;
  /** When the walk started, ns since the epoch. */
  timestampNs: bigint;
}

/** Directories read at the same time by one walk. */
const WALK_PARALLELISM = 16;

/**
 * Walks `dir` and sums its usage; an absent directory uses nothing.
 * Entries that vanish during the walk are skipped.
 *
 * @public
 */
export async function dirUsage(dir: string, options: { signal?: AbortSignal; nowNs?: () => bigint } = {}): Promise<DirUsage> {
  const timestampNs = options.nowNs?.() ?? BigInt(Date.now()) * 1_000_000n;
  const seen = new Set<string>();
  let usedBytes = 0n;
  let inodesUsed = 0n;
  const count = (st: { dev: bigint; ino: bigint; blocks: bigint; nlink: bigint }): void => {
    if (st.nlink > 1n) {
      const key = `${st.dev}:${st.ino}`;
      if (seen.has(key)) return;
      seen.add(key);
    }
    usedBytes += st.blocks * 512n;
    inodesUsed += 1n;
  };
  let root;
  try {
    root = await lstat(dir, { bigint: true });
  } catch {
    return { usedBytes: 0n, inodesUsed: 0n, timestampNs };
  }
  count(root);
  if (!root.isDirectory()) return { usedBytes, inodesUsed, timestampNs };
  const queue: string[] = [dir];
  const worker = async (): Promise<void> => {
    for (let d = queue.pop(); d !== undefined; d = queue.pop()) {
      options.signal?.throwIfAborted();
      let names: string[];
      try {
        names = await readdir(d);
      } catch {
        continue;
      }
      const stats = await Promise.all(names.map((n) => lstat(join(d, n), { bigint: true }).catch(() => undefined)));
      for (let i = 0; i < names.length; i++) {
        const st = stats[i];
        if (st === undefined) continue;
        count(st);
        if (st.isDirectory()) queue.push(join(d, names[i] as string));
      }
    }
  };
  // Workers stop when the queue is empty at the moment they look; run rounds until no work is left.
  while (queue.length > 0) await Promise.all(Array.from({ length: Math.min(WALK_PARALLELISM, queue.length) }, worker));
  return { usedBytes, inodesUsed, timestampNs };
}

/**
 * Options of {@link DirUsageCache}.
 *
 * @public
 */
export interface DirUsageCacheOptions {
  /** How long a walk's result stays fresh, in ms. @defaultValue 10000 */
  periodMs?: number;
  /** Called when a background walk fails. */
  onError?: (key: string, err: unknown) => void;
}

interface CacheEntry {
  dir: string;
  value?: DirUsage | undefined;
  at: number;
  walking?: Promise<DirUsage> | undefined;
}

/**
 * Directory usage per key (a container ID), walked at most once per period
 * (see below).
 *
 * ## Cache, per key
 *
 * ```
 * (none) --get--> walking (callers wait) --> fresh
 * fresh --get within the period--> the cached value
 * fresh --get after the period--> the cached value now, and one walk in the background --> fresh
 * any --forget / retain without it--> (none)
 * ```
 *
 * A walk is one `lstat` per entry; the period keeps repeated list calls
 * from walking every time (containerd collects this in the background).
 *
 * @public
 */
export class DirUsageCache {
  readonly #entries = new Map<string, CacheEntry>();
  readonly #periodMs: number;
  readonly #onError: (key: string, err: unknown) => void;

  constructor(options: DirUsageCacheOptions = {}) {
    this.#periodMs = options.periodMs ?? 10_000;
    this.#onError = options.onError ?? (() => undefined);
  }

  /** The usage of `dir` under `key`: cached, or walked now when there is none yet. */
  async get(key: string, dir: string): Promise<DirUsage> {
    let e = this.#entries.get(key);
    if (e === undefined || e.dir !== dir) {
      e = { dir, at: 0 };
      this.#entries.set(key, e);
    }
    if (e.value !== undefined) {
      if (Date.now() - e.at >= this.#periodMs && e.walking === undefined) {
        this.#walk(key, e).catch((err: unknown) => this.#onError(key, err));
      }
      return e.value;
    }
    return e.walking ?? this.#walk(key, e);
  }

  #walk(key: string, e: CacheEntry): Promise<DirUsage> {
    const started = Date.now();
    const p = dirUsage(e.dir).then(
      (v) => {
        e.walking = undefined;
        // A forgotten key stays forgotten.
        if (this.#entries.get(key) === e) {
          e.value = v;
          e.at = started;
        }
        return v;
      },
      (err: unknown) => {
        e.walking = undefined;
        throw err;
      },
    );
    e.walking = p;
    return p;
  }

  /** Drops a key. */
  forget(key: string): void {
    this.#entries.delete(key);
  }

  /** Drops every key not in `keys`. */
  retain(keys: Iterable<string>): void {
    const keep = new Set(keys);
    for (const k of this.#entries.keys()) if (!keep.has(k)) this.#entries.delete(k);
  }

  /** Number of keys cached. */
  get size(): number {
    return this.#entries.size;
  }
}
