/**
 * Loading a CNI conf dir and noticing changes without a restart.
 *
 * Choice: re-scan on demand with a fingerprint, not `fs.watch`. Each
 * {@link CniConfDir.load} lists the directory and stats the config files
 * (name, size, mtime, ctime, inode); only when that fingerprint differs from
 * the last one are the files read and parsed again. This costs one `readdir`
 * and a few `stat`s per call (well under a millisecond) and, unlike inotify
 * watching, it cannot miss an event: it sees atomic renames, a directory that
 * is created, deleted or replaced after start, files written by another
 * mount namespace, and changes made while the process was busy. The inode
 * and ctime guard against a same-size rewrite within one mtime tick.
 *
 * @packageDocumentation
 */
import { readdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { buildCniConfigSet, isCniConfigFileName } from "./cni-config.js";
import type { CniConfigSet } from "./cni-config.js";

/** Config files above this size are reported, not read. */
const maxConfigBytes = 1 << 20;

/**
 * A CNI conf dir, re-read when its contents change.
 *
 * @public
 */
export class CniConfDir {
  /** The directory. */
  readonly dir: string;
  #fingerprint: string | undefined;
  #set: CniConfigSet | undefined;
  #loading: Promise<CniConfigSet> | undefined;

  constructor(dir: string) {
    this.dir = dir;
  }

  /**
   * The current configuration set, re-parsed only if the directory changed.
   * A missing directory yields an empty set with no errors.
   */
  load(): Promise<CniConfigSet> {
    // Calls that arrive during a scan share it.
    this.#loading ??= this.#load().finally(() => {
      this.#loading = undefined;
    });
    return this.#loading;
  }

  async #load(): Promise<CniConfigSet> {
    let names: string[];
    try {
      names = (await readdir(this.dir)).filter(isCniConfigFileName).sort();
    } catch (e) {
      if ((e as { code?: unknown }).code !== "ENOENT" && (e as { code?: unknown }).code !== "ENOTDIR") throw e;
      names = [];
    }
    const stats = await Promise.all(
      names.map(async (n) => {
        try {
          const s = await stat(join(this.dir, n));
          return s.isFile() ? { n, s } : undefined;
        } catch {
          return undefined; // vanished between readdir and stat
        }
      }),
    );
    const present = stats.filter((x) => x !== undefined);
    const fp = present.map(({ n, s }) => `${n}\0${s.size}\0${s.mtimeMs}\0${s.ctimeMs}\0${s.ino}`).join("\n");
    if (this.#set !== undefined && fp === this.#fingerprint) return this.#set;
    const files: Array<{ name: string; text: string }> = [];
    const oversize: string[] = [];
    for (const { n, s } of present) {
      if (s.size > maxConfigBytes) {
        oversize.push(n);
        continue;
      }
      try {
        files.push({ name: n, text: await readFile(join(this.dir, n), "utf8") });
      } catch {
        // vanished; the next load sees a different fingerprint
      }
    }
    const set = buildCniConfigSet(files);
    const result: CniConfigSet =
      oversize.length === 0
        ? set
        : {
            ...set,
            errors: [...set.errors, ...oversize.map((file) => ({ file, message: `CNI configuration file "${file}": larger than 1 MiB` }))].sort((a, b) =>
              a.file < b.file ? -1 : 1,
            ),
          };
    this.#fingerprint = fp;
    this.#set = result;
    return result;
  }
}
