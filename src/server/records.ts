/**
 * Durable JSON records for sandboxes and containers.
 *
 * Each record is one file, `<dir>/<id>.json`, written atomically: a temp file
 * in the same directory, fsync, rename over the old file, fsync of the
 * directory. A crash leaves either the old or the new record, never a torn
 * one; a stray temp file from a crash is ignored and removed by `loadAll`.
 * `bigint` values (CRI timestamps in nanoseconds) are kept exactly, as
 * `{"$bigint": "<decimal>"}`.
 *
 * @packageDocumentation
 */
import { mkdir, open, readdir, readFile, rename, rm } from "node:fs/promises";
import { dirname, join } from "node:path";
import { randomBytes } from "node:crypto";
import { fsyncDir } from "../fs/sync-dir.js";

function replacer(_key: string, value: unknown): unknown {
  return typeof value === "bigint" ? { $bigint: value.toString() } : value;
}

function reviver(_key: string, value: unknown): unknown {
  if (value !== null && typeof value === "object" && !Array.isArray(value)) {
    const v = value as Record<string, unknown>;
    const keys = Object.keys(v);
    if (keys.length === 1 && keys[0] === "$bigint" && typeof v["$bigint"] === "string") return BigInt(v["$bigint"]);
  }
  return value;
}

/** Serialises a record to JSON text, keeping bigints exact. @public */
export function recordToJson(value: unknown): string {
  return JSON.stringify(value, replacer, 1);
}

/** Parses JSON text written by {@link recordToJson}. @public */
export function recordFromJson(text: string): unknown {
  return JSON.parse(text, reviver);
}

/**
 * Group commit of directory fsyncs: `sync(dir)` resolves once an fsync of
 * `dir` that began after the call has finished, so every rename made in
 * `dir` before the call is durable. Calls that arrive while an fsync of the
 * directory is under way share the next one: a burst of N record writes in
 * one directory costs N file fsyncs and about two directory fsyncs, not 2N.
 *
 * @public
 */
export class DirSyncer {
  readonly #fsync: (dir: string) => Promise<void>;
  readonly #state = new Map<string, { running: Promise<void>; next?: Promise<void> }>();

  /** `fsync` syncs one directory; by default it opens the directory and fsyncs it. */
  constructor(fsync: (dir: string) => Promise<void> = fsyncDir) {
    this.#fsync = fsync;
  }

  /** Makes the renames already done in `dir` durable (see the class). */
  sync(dir: string): Promise<void> {
    const st = this.#state.get(dir);
    if (st === undefined) return this.#start(dir);
    // One fsync runs and may have begun before our rename: wait for the next, shared by everyone arriving now.
    st.next ??= st.running.then(
      () => this.#start(dir),
      () => this.#start(dir),
    );
    return st.next;
  }

  #start(dir: string): Promise<void> {
    const running = this.#fsync(dir).finally(() => {
      const st = this.#state.get(dir);
      if (st?.running !== running) return;
      if (st.next === undefined) this.#state.delete(dir);
    });
    const st = this.#state.get(dir);
    if (st === undefined) this.#state.set(dir, { running });
    else {
      st.running = running;
      delete st.next;
    }
    return running;
  }
}

/** The process's directory syncer, shared by every {@link writeFileAtomic}. */
const dirSyncer = new DirSyncer();

/**
 * Writes `data` to `path` atomically and durably (temp file, fsync, rename,
 * directory fsync, unless `options.durable` is false; the directory fsync is shared with concurrent writes in
 * the same directory, see {@link DirSyncer}). When a step fails (a full
 * disk), the temp file is removed and `path` keeps its old content.
 *
 * @public
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array, options: WriteOptions = {}): Promise<void> {
  const durable = options.durable ?? true;
  const tmp = `${path}.tmp-${randomBytes(6).toString("hex")}`;
  const fh = await open(tmp, "w", 0o600);
  try {
    try {
      await fh.writeFile(data);
      if (durable) await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
  if (durable) await dirSyncer.sync(dirname(path));
}

/**
 * Options of {@link writeFileAtomic} and {@link RecordDir.put}.
 *
 * @public
 */
export interface WriteOptions {
  /**
   * Whether the write must survive a power loss (fsync of the file and of
   * its directory). With `false` it is still atomic, and survives a crash of
   * the process (the kernel keeps it), but not of the machine: for what a
   * reboot makes moot anyway, such as an intent about a process.
   * @defaultValue true
   */
  durable?: boolean;
}

/**
 * A directory of JSON records keyed by ID.
 *
 * @public
 */
export class RecordDir<T> {
  /** The directory holding the `<id>.json` files; created (mode 0700) on the first `put`. */
  readonly dir: string;
  #made = false;

  constructor(dir: string) {
    this.dir = dir;
  }

  #path(id: string): string {
    if (!/^[A-Za-z0-9_.-]+$/.test(id) || id.startsWith(".")) throw new Error(`invalid record id ${JSON.stringify(id)}`);
    return join(this.dir, `${id}.json`);
  }

  /** Writes the record for `id`, atomically, before returning. */
  async put(id: string, record: T, options?: WriteOptions): Promise<void> {
    if (!this.#made) {
      await mkdir(this.dir, { recursive: true, mode: 0o700 });
      this.#made = true;
    }
    await writeFileAtomic(this.#path(id), recordToJson(record), options);
  }

  /** Removes the record for `id`; a missing one is not an error. */
  async delete(id: string): Promise<void> {
    await rm(this.#path(id), { force: true });
  }

  /** Reads the record for `id`, or undefined if there is none. */
  async get(id: string): Promise<T | undefined> {
    try {
      return recordFromJson(await readFile(this.#path(id), "utf8")) as T;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw err;
    }
  }

  /**
   * Reads every record. Stray temp files are removed; a record that does not
   * parse is reported through `onCorrupt` and skipped.
   */
  async loadAll(onCorrupt?: (id: string, err: unknown) => void): Promise<Map<string, T>> {
    const out = new Map<string, T>();
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return out;
      throw err;
    }
    for (const name of names.sort()) {
      if (name.includes(".json.tmp-")) {
        await rm(join(this.dir, name), { force: true });
        continue;
      }
      if (!name.endsWith(".json")) continue;
      const id = name.slice(0, -".json".length);
      try {
        out.set(id, recordFromJson(await readFile(join(this.dir, name), "utf8")) as T);
      } catch (err) {
        onCorrupt?.(id, err);
      }
    }
    return out;
  }
}
