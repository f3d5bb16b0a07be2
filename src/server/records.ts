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
import { join } from "node:path";
import { randomBytes } from "node:crypto";

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
 * Writes `data` to `path` atomically and durably (temp file, fsync, rename,
 * directory fsync). When a step fails (a full disk), the temp file is
 * removed and `path` keeps its old content.
 *
 * @public
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const dir = join(path, "..");
  const tmp = `${path}.tmp-${randomBytes(6).toString("hex")}`;
  const fh = await open(tmp, "w", 0o600);
  try {
    try {
      await fh.writeFile(data);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
  const dh = await open(dir, "r");
  try {
    await dh.sync();
  } finally {
    await dh.close();
  }
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
  async put(id: string, record: T): Promise<void> {
    if (!this.#made) {
      await mkdir(this.dir, { recursive: true, mode: 0o700 });
      this.#made = true;
    }
    await writeFileAtomic(this.#path(id), recordToJson(record));
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
